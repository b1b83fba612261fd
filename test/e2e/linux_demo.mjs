// End to end with a container: demo.img (tools/mkimage: the SDL2 demo app with busybox) as a
// `linux` instance — its own Xvfb, an LXC container from the squashfs image with an overlay, the
// X socket bound in, an address on the guest bridge — viewed in headless Chromium; a tap on the
// video reaches the app in the container, whose event log reports it. Stop leaves nothing behind.
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
const mk = spawnSync(path.join(process.env.ANC_SOURCE_ROOT, 'tools', 'mkimage'), [`${dir}/images/demo.img`],
  { stdio: 'inherit', env: { ...process.env, ANCLOUD_DEMO: demo } });
if (mk.status !== 0) fail('tools/mkimage failed');
check(true, 'demo.img built');

const daemon = await startDaemon('', { dir });
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

  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: VIEWER_JS });
  const endpoint = `${daemon.base}/api/v1/instances/${id}/whep`;
  const v1 = await page.evaluate(([e, t]) => window.whep(e, t), [endpoint, daemon.token]);
  await waitFor(async () => (await page.evaluate((i) => window.videoStats(i), v1))?.framesDecoded > 0,
    { what: 'first decoded frame' });
  check(true, 'the container\'s screen decodes in Chromium');

  // A tap at normalized (0.25, 0.5) → the app reports a touch at (180, 640) ± 1 %.
  await page.evaluate((i) => window.tap(i, 0.25, 0.5), v1);
  const down = await waitFor(() => {
    const m = appLog().match(/"event":"down","x":(\d+),"y":(\d+)/);
    return m ? [Number(m[1]), Number(m[2])] : null;
  }, { what: 'the app to see the tap' });
  check(Math.abs(down[0] - 180) <= 7.2 && Math.abs(down[1] - 640) <= 12.8,
    `the app in the container saw the tap at (${down}) for (180,640)`);

  await daemon.api('POST', `/api/v1/instances/${id}/stop`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'stopped',
    { what: 'instance stopped', timeoutMs: 20000 });
  const mounts = fs.readFileSync('/proc/self/mounts', 'utf8');
  check(!mounts.includes(`${dir}/run`), 'no image or overlay mount left after stop');
  check(!/Xvfb|squashfuse/.test(childProcesses(daemon.proc.pid)), 'no Xvfb or squashfuse left after stop');

  // A guest that fails: error with the reason; restart = on-failure starts it again.
  const bad = await daemon.api('POST', '/api/v1/instances', {
    name: 'fails', kind: 'linux', image: 'demo', width: 64, height: 64, command: ['/bin/sh', '-c', 'exit 3'],
  });
  await daemon.api('POST', `/api/v1/instances/${bad.json.id}/start`);
  const err = await waitFor(async () => {
    const j = (await daemon.api('GET', `/api/v1/instances/${bad.json.id}`)).json;
    return j.state === 'error' ? j.error : null;
  }, { what: 'the failing guest in error', timeoutMs: 20000 });
  check(err === 'container exited with status 3', `failing guest: error "${err}"`);
  const again = await daemon.api('POST', '/api/v1/instances', {
    name: 'again', kind: 'linux', image: 'demo', width: 64, height: 64, restart: 'on-failure',
    command: ['/bin/sh', '-c', 'echo run >> /root/runs; exit 1'],
  });
  await daemon.api('POST', `/api/v1/instances/${again.json.id}/start`);
  const runs = `${dir}/state/instances/${again.json.id}/upper/root/runs`;
  await waitFor(() => fs.existsSync(runs) && fs.readFileSync(runs, 'utf8').split('\n').length > 3,
    { what: 'restarts on failure', timeoutMs: 30000 });
  check(true, 'restart = on-failure starts a failing guest again');
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

function childProcesses(pid) {
  let out = '';
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const stat = fs.readFileSync(`/proc/${p}/stat`, 'utf8');
      const ppid = Number(stat.split(') ')[1].split(' ')[1]);
      if (ppid === pid) out += fs.readFileSync(`/proc/${p}/cmdline`, 'utf8') + '\n';
    } catch { /* gone */ }
  }
  return out;
}
