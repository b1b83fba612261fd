// A linux guest's stdout and stderr reach the instance log through a FIFO the daemon reads, capped
// by [instance] log_max_kib: a guest that writes without end for seconds does not take its log
// (plus <log>.1) past the cap, the daemon answers API requests meanwhile, the bytes it could not
// keep up with are counted in the log, and ordinary output still shows up in GET .../log. The
// guest has no writable host file bound in. The output survives the lifecycle: a kill -9 of the
// daemon (the guest keeps writing; the next daemon adopts it and reads on), a restart, stop and
// delete. The image is busybox only (no tools/mkimage).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enterNetns, startDaemon, waitFor, check, fail, skip } from './lib.mjs';

for (const [bin, pkg] of [['/usr/bin/lxc-start', 'lxc'], ['/usr/bin/mksquashfs', 'squashfs-tools'],
  ['/usr/bin/squashfuse', 'squashfuse'], ['/usr/bin/Xvfb', 'xvfb'], ['/bin/busybox', 'busybox-static']]) {
  if (!fs.existsSync(bin)) skip(`needs ${bin} (Debian package ${pkg})`);
}
if (enterNetns(import.meta.url, { containers: true })) process.exit(0);

const CAP_KIB = 64;
const CAP = CAP_KIB * 1024;
// The file may pass the cap by one chunk of the final flush (base/caplog.h): a quarter of it.
const SLACK = CAP / 4 + 1024;
const FLOOD_S = 4;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anc-logcap-'));
fs.chmodSync(dir, 0o755);
const stage = path.join(dir, 'stage');
fs.mkdirSync(path.join(stage, 'bin'), { recursive: true });
fs.copyFileSync('/bin/busybox', path.join(stage, 'bin', 'busybox'));
fs.chmodSync(path.join(stage, 'bin', 'busybox'), 0o755);
for (const x of ['sh', 'echo', 'yes', 'sleep', 'kill', 'test', 'cat']) {
  fs.symlinkSync('busybox', path.join(stage, 'bin', x));
}
for (const d of ['dev', 'proc', 'sys', 'tmp', 'root']) fs.mkdirSync(path.join(stage, d));
fs.mkdirSync(path.join(dir, 'images'));
const mk = spawnSync('mksquashfs', [stage, `${dir}/images/tiny.img`, '-noappend', '-quiet', '-comp', 'gzip'],
  { stdio: 'inherit' });
if (mk.status !== 0) fail('mksquashfs failed');

// The guest: a greeting (with its run number) on stdout and stderr, whether its output is a FIFO,
// on its first run FLOOD_S seconds of `yes`, then a line a second for ever.
const GUEST = [
  'n=$(cat /root/runs 2>/dev/null || echo 0); n=$((n+1)); echo $n >/root/runs',
  'echo guest-hello-start-$n; echo guest-on-stderr >&2',
  'if test -p /dev/.ancloud-output; then echo guest-output-is-a-fifo; else echo guest-output-is-a-file; fi',
  `if test $n = 1; then yes flood-flood-flood-flood-flood-flood & sleep ${FLOOD_S}; kill $!; fi`,
  'echo guest-after-flood',
  't=0; while :; do t=$((t+1)); echo guest-tick-$t; sleep 1; done',
].join('; ');

const conf = `[instance]\nlog_max_kib = ${CAP_KIB}\n`;
let daemon = await startDaemon(conf, { dir, network: false });
try {
  const r = await daemon.api('POST', '/api/v1/instances', {
    name: 'chatty', kind: 'linux', image: 'tiny', width: 64, height: 64, fps: 5,
    command: ['/bin/sh', '-c', GUEST],
  });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  const id = r.json.id;
  const logPath = `${dir}/state/instances/${id}.log`;
  const size = (p) => { try { return fs.statSync(p).size; } catch { return 0; } };
  const getLog = async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;

  // The daemon's CPU time (ticks of 10 ms) and bytes written, to report what a flood costs it.
  const usage = (pid) => {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    const wchar = Number(fs.readFileSync(`/proc/${pid}/io`, 'utf8').match(/wchar: (\d+)/)[1]);
    return { cpu: (Number(st[11]) + Number(st[12])) * 10, wchar };
  };
  const u0 = usage(daemon.proc.pid);
  const t0 = Date.now();
  await daemon.api('POST', `/api/v1/instances/${id}/start`);
  // While the guest floods: the API answers, and the log and its .1 stay under the cap.
  let maxMs = 0, requests = 0, maxLog = 0, maxOld = 0;
  while (Date.now() - t0 < (FLOOD_S + 3) * 1000) {
    const t = Date.now();
    const g = await daemon.api('GET', `/api/v1/instances/${id}`);
    if (g.status !== 200) throw new Error(`GET instance: ${g.status}`);
    maxMs = Math.max(maxMs, Date.now() - t);
    requests++;
    maxLog = Math.max(maxLog, size(logPath));
    maxOld = Math.max(maxOld, size(`${logPath}.1`));
    if (/guest-tick-\d+/.test(await getLog())) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  const u1 = usage(daemon.proc.pid);
  check(maxMs < 2000, `the API answered ${requests} requests during the flood, the slowest in ${maxMs} ms ` +
    `(the daemon meanwhile: ${u1.cpu - u0.cpu} ms of CPU in ${Date.now() - t0} ms, ` +
    `${Math.round((u1.wchar - u0.wchar) / 1048576)} MiB written)`);
  // Its lines right after the flood may be among the dropped bytes (the pipe still held flood);
  // the ticks that follow are not.
  const log = await waitFor(async () => {
    const t = await getLog();
    return /guest-tick-\d+\nguest-tick-\d+\n/.test(t) ? t : null;
  }, { what: 'the guest\'s lines after its flood', timeoutMs: 20000 });
  maxLog = Math.max(maxLog, size(logPath));
  maxOld = Math.max(maxOld, size(`${logPath}.1`));
  check(maxLog <= CAP + SLACK && maxOld <= CAP + SLACK,
    `the log stayed under its cap of ${CAP_KIB} KiB (largest seen: ${maxLog} bytes, its .1: ${maxOld} bytes)`);
  check(fs.existsSync(`${logPath}.1`) && /log rotated at its cap of 64 KiB/.test(log),
    'the log was rotated to .1 with a line saying so');
  const dropped = [...log.matchAll(/(\d+) bytes of output dropped/g)];
  const oldLog = fs.readFileSync(`${logPath}.1`, 'utf8');
  const droppedOld = [...oldLog.matchAll(/(\d+) bytes of output dropped/g)];
  check(dropped.length + droppedOld.length > 0,
    `the bytes the log could not keep up with are counted in it (${[...droppedOld, ...dropped]
      .reduce((a, m) => a + Number(m[1]), 0)} bytes in what is left)`);
  check(true, 'ordinary guest output after the flood shows up in GET .../log');
  const stat = fs.statSync(`${dir}/run/${id}/guest-output`);
  check(stat.isFIFO(), 'the host end is a FIFO under the run directory');

  // kill -9: the guest goes on (no SIGPIPE: it holds a reader itself); the next daemon adopts it
  // and reads its FIFO again.
  const info = spawnSync('lxc-info', ['-P', `${dir}/state/lxc`, '-n', `ancloud-${id}`, '-pH'],
    { encoding: 'utf8' });
  const initPid = info.stdout.trim();
  if (!/^\d+$/.test(initPid)) throw new Error(`lxc-info: ${info.stdout} ${info.stderr}`);
  // Killed just after a tick reached the file: the next one (a second later) is in no daemon's
  // buffer when it dies.
  const tickNow = async () => Number([...(await getLog()).matchAll(/guest-tick-(\d+)\n/g)].pop()?.[1] ?? 0);
  const before = await tickNow();
  const lastTick = await waitFor(async () => { const t = await tickNow(); return t > before ? t : null; },
    { what: 'a fresh tick', timeoutMs: 5000, intervalMs: 20 });
  check(await daemon.stop({ keep: true, signal: 'SIGKILL' }) === 'SIGKILL', 'daemon killed with SIGKILL');
  await new Promise((res) => setTimeout(res, 2500)); // the guest ticks with no daemon reading
  check(fs.existsSync(`/proc/${initPid}`), `the guest (init pid ${initPid}) lives on without a daemon`);
  daemon = await startDaemon(conf, { dir, network: false });
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'running',
    { what: 'instance running after the restart', timeoutMs: 20000 });
  const after = await waitFor(async () => {
    const t = await getLog();
    const at = t.search(/adopted container \S+ \(init pid \d+\)/);
    return at >= 0 && /guest-tick-\d+/.test(t.slice(at)) ? t.slice(at) : null;
  }, { what: 'guest output read by the next daemon', timeoutMs: 15000 });
  check(after.includes(`init pid ${initPid}`), 'the next daemon adopted the same guest and reads its output');
  const ticks = await waitFor(async () => {
    const t = await getLog();
    return t.includes(`guest-tick-${lastTick + 3}\n`) ? t : null;
  }, { what: 'the ticks of the time without a daemon', timeoutMs: 10000 });
  const at = (n) => ticks.indexOf(`guest-tick-${n}\n`);
  check(at(lastTick) < at(lastTick + 1) && at(lastTick + 1) < at(lastTick + 2) && at(lastTick) >= 0,
    `what the guest wrote while no daemon read (after tick ${lastTick}) waited in the FIFO and is in the log`);
  check(fs.existsSync(`/proc/${initPid}`), 'the guest was not restarted');

  // A restart of the instance: a fresh FIFO, and the new guest's output in the log.
  await daemon.api('POST', `/api/v1/instances/${id}/stop`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'stopped',
    { what: 'instance stopped', timeoutMs: 30000 });
  check(!fs.existsSync(`/proc/${initPid}`), 'the guest is gone after stop');
  await daemon.api('POST', `/api/v1/instances/${id}/start`);
  const second = await waitFor(async () => {
    const t = await getLog();
    return /guest-hello-start-2\n/.test(t) && /guest-on-stderr/.test(t) ? t : null;
  }, { what: 'the restarted guest\'s output', timeoutMs: 30000 });
  check(/guest-output-is-a-fifo/.test(second.slice(second.indexOf('guest-hello-start-2'))),
    'after a restart of the instance its new guest\'s output is in the log; its stdout is a FIFO, ' +
    'not a host file');
  check(size(logPath) <= CAP + SLACK && size(`${logPath}.1`) <= CAP + SLACK,
    `the log is still under its cap (${size(logPath)}, .1: ${size(`${logPath}.1`)})`);

  const del = await daemon.api('DELETE', `/api/v1/instances/${id}`);
  check(del.status < 300, `delete: ${del.status}`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).status === 404,
    { what: 'the instance deleted', timeoutMs: 30000 });
  check(true, 'a running guest with a FIFO is deleted');
} catch (e) {
  console.error(daemon.log());
  for (const i of (await daemon.api('GET', '/api/v1/instances')).json?.instances ?? []) {
    console.error(`instance log of ${i.id} (its end):\n` +
      (await daemon.api('GET', `/api/v1/instances/${i.id}/log?bytes=3000`)).text);
  }
  await daemon.stop(); // SIGTERM stops the guest
  fail(e.stack || String(e));
}
check(await daemon.stop() === 0, 'daemon exits 0');
