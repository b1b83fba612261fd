// End to end with a container: demo.img (tools/mkimage: the SDL2 demo app with busybox) as a
// `linux` instance — its own Xvfb, an LXC container from the squashfs image with an overlay, the
// X socket bound in, an address on the guest bridge — viewed in headless Chromium; a tap on the
// video reaches the app in the container, whose event log reports it; the clipboard both ways
// (a paste from the page, the app's Ctrl+C to the page). Stop leaves nothing behind.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enterNetns, startDaemon, launchChromium, VIEWER_JS, waitFor, check, fail, skip }
  from './lib.mjs';

for (const [bin, pkg] of [['/usr/bin/lxc-start', 'lxc'], ['/usr/bin/mksquashfs', 'squashfs-tools'],
  ['/usr/bin/squashfuse', 'squashfuse'], ['/usr/bin/Xvfb', 'xvfb']]) {
  if (!fs.existsSync(bin)) skip(`needs ${bin} (Debian package ${pkg})`);
}
if (enterNetns(import.meta.url, { containers: true })) process.exit(0);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
if (!fs.existsSync(demo)) fail(`${demo} is not built`);

const W = 720, H = 1280;
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anc-e2e-'));
fs.chmodSync(dir, 0o755); // dnsmasq reads its hosts file under the run dir as an unprivileged user
const mk = spawnSync(path.join(process.env.ANC_SOURCE_ROOT, 'tools', 'mkimage'), [`${dir}/images/demo.img`],
  { stdio: 'inherit', env: { ...process.env, ANCLOUD_DEMO: demo } });
if (mk.status !== 0) fail('tools/mkimage failed');
check(true, 'demo.img built');

let daemon = await startDaemon('', { dir });
let browser;
try {
  check(/network: bridge ancloud on 192\.168\.240\.0\/24/.test(daemon.log()), 'guest bridge set up');
  const images = (await daemon.api('GET', '/api/v1/images')).json.images;
  check(images.length === 1 && images[0].name === 'demo' && images[0].kind === 'linux', 'demo image listed');
  // The container has no console: the app's event log goes to a file in its overlay.
  const r = await daemon.api('POST', '/api/v1/instances', {
    name: 'demo', kind: 'linux', image: 'demo', width: W, height: H, fps: 30,
    command: ['/bin/sh', '-c', `exec /sbin/ancloud-guest --width ${W} --height ${H} >/tmp/app.log 2>&1`],
  });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  const id = r.json.id;
  await daemon.api('POST', `/api/v1/instances/${id}/start`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'running',
    { what: 'instance running', timeoutMs: 20000 });
  const appLogPath = `${dir}/state/instances/${id}/upper/tmp/app.log`;
  const appLog = () => { try { return fs.readFileSync(appLogPath, 'utf8'); } catch { return ''; } };
  await waitFor(() => appLog().includes('"event":"ready"'), { what: 'the app to be ready', timeoutMs: 20000 });
  const log = (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;
  check(/starting container from image demo at 192\.168\.240\.\d+\/24/.test(log), 'container got an address');
  check(true, 'linux instance running the demo app in a container');

  // The guest network from inside the container: its address, names from dnsmasq
  // (the gateway's and the instance's own, published when it started).
  const inCt = (...cmd) => spawnSync('lxc-attach', ['-P', `${dir}/state/lxc`, '-n', `ancloud-${id}`, '--',
    '/bin/busybox', ...cmd], { encoding: 'utf8', timeout: 20000 });
  const addr = inCt('ip', '-4', '-o', 'addr', 'show', 'eth0').stdout.match(/inet (192\.168\.240\.\d+)\/24/);
  check(addr, `the container has an address on eth0 (${addr?.[1]})`);
  // The host is closed to guests except DHCP and DNS (docs/networking.md): a ping is refused.
  const ping = inCt('ping', '-c', '1', '-W', '2', '192.168.240.1');
  check(ping.status !== 0, `the host does not answer the container's ping${ping.status ? '' : `: ${ping.stdout}`}`);
  const ns = await waitFor(() => {
    const r = inCt('nslookup', 'demo.ancloud', '192.168.240.1');
    return r.stdout.includes(addr[1]) ? r.stdout : null;
  }, { what: 'dnsmasq to resolve demo.ancloud in the container', timeoutMs: 10000 });
  check(ns && inCt('nslookup', 'gateway.ancloud', '192.168.240.1').stdout.includes('192.168.240.1'),
    `the container resolves demo.ancloud (${addr[1]}) and gateway.ancloud through dnsmasq`);

  // Views the instance in a fresh Chromium and taps at normalized (nx, ny): the app in the
  // container reports the touch (its n-th) at the mapped coordinate within 1 %.
  const viewAndTap = async (nx, ny, n, what) => {
    if (browser) await browser.close();
    const b = await launchChromium();
    browser = b.browser;
    const page = await b.context.newPage();
    await page.goto(daemon.base + '/');
    await page.addScriptTag({ content: VIEWER_JS });
    const endpoint = `${daemon.base}/api/v1/instances/${id}/whep`;
    const v = await page.evaluate(([e, t]) => window.whep(e, t), [endpoint, daemon.token]);
    await waitFor(async () => (await page.evaluate((i) => window.videoStats(i), v))?.framesDecoded > 0,
      { what: `first decoded frame (${what})` });
    check(true, `the container's screen decodes in Chromium (${what})`);
    await page.evaluate(([i, x, y]) => window.tap(i, x, y), [v, nx, ny]);
    const down = await waitFor(() => {
      const all = [...appLog().matchAll(/"event":"down","x":(\d+),"y":(\d+)/g)];
      return all.length >= n ? [Number(all[n - 1][1]), Number(all[n - 1][2])] : null;
    }, { what: `the app to see the tap (${what})` });
    const want = [nx * W, ny * H];
    check(Math.abs(down[0] - want[0]) <= W / 100 && Math.abs(down[1] - want[1]) <= H / 100,
      `the app in the container saw the tap at (${down}) for (${want}) (${what})`);
    return { page, v };
  };
  const first = await viewAndTap(0.25, 0.5, 1, 'first daemon');

  // The clipboard both ways with host capture (the daemon's own X connection to the guest's
  // display, src/input/xclip.c): a paste from the page lands in the app in the container, and the
  // app's Ctrl+C reaches the page as a type-128 message.
  const send = (bytes) => first.page.evaluate(([i, m]) => window.viewers[i].dc.send(new Uint8Array(m)), [first.v, bytes]);
  await waitFor(() => first.page.evaluate((i) => window.viewers[i].dc.readyState === 'open', first.v),
    { what: 'the input channel open' });
  const pasteText = 'コンテナ 粘贴';
  await send([6, 1, ...new TextEncoder().encode(pasteText)]);
  const pasted = await waitFor(() => [...appLog().matchAll(/"event":"paste","text":"([^"]*)"/g)].map((x) => x[1])
    .find((t) => t === pasteText), { what: 'the pasted text in the app' });
  check(pasted === pasteText, `page → guest: the app in the container pasted "${pasted}"`);
  const KEY_LEFTCTRL = 29, KEY_C = 46;
  const key = (up, code) => [2, up, 0, 0, code, 0, 0, 0, 0, 0, 0, 0];
  const received = () => first.page.evaluate((i) => window.viewers[i].received.filter((m) => m[0] === 128), first.v);
  const n128 = (await received()).length;
  for (const m of [key(0, KEY_LEFTCTRL), key(0, KEY_C), key(1, KEY_C), key(1, KEY_LEFTCTRL)]) await send(m);
  const copied = await waitFor(() => appLog().match(/"event":"copy","text":"([^"]*)"/)?.[1], { what: 'the app\'s copy' });
  const clip = await waitFor(async () => (await received())[n128], { what: 'a type-128 message', timeoutMs: 5000 });
  const clipText = new TextDecoder().decode(new Uint8Array(clip.slice(2)));
  check(copied.includes(pasteText) && clip[1] === 0 && clipText === copied,
    `guest → page: the app's Ctrl+C ("${copied}") reached the page as "${clipText}"`);

  // kill -9 of the daemon: the guest and its display live on, and the next daemon takes them
  // over (same container init, the app not started again) and serves viewers and taps again.
  const initPid = (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text.match(/init pid (\d+)/)[1];
  await browser.close();
  browser = undefined;
  check(await daemon.stop({ keep: true, signal: 'SIGKILL' }) === 'SIGKILL', 'daemon killed with SIGKILL');
  check(fs.existsSync(`/proc/${initPid}`), `the container (init pid ${initPid}) outlived the daemon`);
  const KEEP = '[instance]\nkeep_running_on_exit = true\n';
  daemon = await startDaemon(KEEP, { dir });
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'running',
    { what: 'instance running after the restart', timeoutMs: 20000 });
  const log2 = (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;
  const adopted = log2.match(/adopted container \S+ \(init pid (\d+)\)/);
  check(adopted && adopted[1] === initPid, `the restarted daemon adopted the container (init pid ${adopted?.[1]})`);
  check(appLog().split('"event":"ready"').length === 2, 'the app in the container was not restarted');
  await viewAndTap(0.75, 0.25, 2, 'after kill -9 and restart');

  // A clean stop with [instance] keep_running_on_exit (a daemon upgrade): exit 0, the guest, its
  // display and the bridge stay; the next daemon takes them over again.
  await browser.close();
  browser = undefined;
  check(await daemon.stop({ keep: true }) === 0, 'SIGTERM with keep_running_on_exit: exit 0');
  check(fs.existsSync(`/proc/${initPid}`), 'the container kept running through the clean stop');
  check(spawnSync('ip', ['link', 'show', 'ancloud']).status === 0, 'the bridge stayed for it');
  daemon = await startDaemon(KEEP, { dir });
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'running',
    { what: 'instance running after the clean restart', timeoutMs: 20000 });
  const log3 = (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;
  check(/keep running \(keep_running_on_exit\)/.test(log3) &&
    [...log3.matchAll(/adopted container \S+ \(init pid (\d+)\)/g)].pop()?.[1] === initPid,
  'adopted again after the clean stop (same init pid)');
  check(appLog().split('"event":"ready"').length === 2, 'the app was still not restarted');
  await viewAndTap(0.5, 0.75, 3, 'after a clean stop and restart');

  await daemon.api('POST', `/api/v1/instances/${id}/stop`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'stopped',
    { what: 'instance stopped', timeoutMs: 20000 });
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8');
  check(!mounts.includes(`${dir}/run`), 'no image or overlay mount left after stop');
  // The Xvfb is the first daemon's (adopted), not a child of this one: look at every process.
  check(!/Xvfb|squashfuse/.test(processesMentioning(dir)), 'no Xvfb or squashfuse left after stop');
  check(!fs.existsSync(`/proc/${initPid}`), 'the container\'s init is gone after stop');

  // A guest that fails: error with the reason; restart = on-failure starts it again.
  const bad = await daemon.api('POST', '/api/v1/instances', {
    name: 'fails', kind: 'linux', image: 'demo', width: 64, height: 64, command: ['/bin/sh', '-c', 'echo guest-says-hello; echo on-stderr >&2; exit 3'],
  });
  await daemon.api('POST', `/api/v1/instances/${bad.json.id}/start`);
  const err = await waitFor(async () => {
    const j = (await daemon.api('GET', `/api/v1/instances/${bad.json.id}`)).json;
    return j.state === 'error' ? j.error : null;
  }, { what: 'the failing guest in error', timeoutMs: 20000 });
  check(err === 'container exited with status 3', `failing guest: error "${err}"`);
  const badLog = (await daemon.api('GET', `/api/v1/instances/${bad.json.id}/log`)).text;
  check(/guest-says-hello/.test(badLog) && /on-stderr/.test(badLog),
    'the guest\'s stdout and stderr are in the instance log');
  const again = await daemon.api('POST', '/api/v1/instances', {
    name: 'again', kind: 'linux', image: 'demo', width: 64, height: 64, restart: 'on-failure',
    command: ['/bin/sh', '-c', 'echo run >> /root/runs; exit 1'],
  });
  await daemon.api('POST', `/api/v1/instances/${again.json.id}/start`);
  const runs = `${dir}/state/instances/${again.json.id}/upper/root/runs`;
  await waitFor(() => fs.existsSync(runs) && fs.readFileSync(runs, 'utf8').split('\n').length > 3,
    { what: 'restarts on failure', timeoutMs: 30000 });
  const ag = (await daemon.api('GET', `/api/v1/instances/${again.json.id}`)).json;
  check(ag.restarts >= 2 && /restarting in [\d.]+ s/.test(daemon.log()),
    `restart = on-failure starts a failing guest again, with a back-off (${ag.restarts} restarts)`);
  await daemon.api('DELETE', `/api/v1/instances/${again.json.id}`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${again.json.id}`)).status === 404,
    { what: 'the restarting instance deleted', timeoutMs: 30000 });
  check(true, 'a restarting instance can be deleted');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');

function processesMentioning(text) {
  let out = '';
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const cmd = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (cmd.includes(text)) out += cmd + '\n';
    } catch { /* gone */ }
  }
  return out;
}
