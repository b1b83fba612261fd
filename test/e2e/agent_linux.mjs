// End to end with the in-guest agent: demo.img as a `linux` instance with "capture": "agent".
// The daemon keeps the guest's Xvfb but does not capture it; /usr/bin/ancloud-agent (the
// scrcpy-server stand-in in the image) runs in the container through lxc-attach, captures the
// display and sends H.264 over its sockets; the daemon passes it through to Chromium. Checks:
// frames decode; a touch shows the agent's marker and reaches the app; two fingers (CDP touch
// on the web UI's player) show two markers; CJK text arrives; pasted CJK text (type 6, paste)
// arrives through the X CLIPBOARD and Ctrl+V; the app's Ctrl+C reaches the page as a type-128
// message with its text; a keyframe request gives a
// keyframe within 1 s; kill -9 of the agent in the guest gives frames again within 3 s on the
// same peer connection.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enterNetns, startDaemon, launchChromium, VIEWER_JS, SAMPLER_JS, waitFor, check, fail, skip }
  from './lib.mjs';

for (const [bin, pkg] of [['/usr/bin/lxc-start', 'lxc'], ['/usr/bin/mksquashfs', 'squashfs-tools'],
  ['/usr/bin/squashfuse', 'squashfuse'], ['/usr/bin/Xvfb', 'xvfb']]) {
  if (!fs.existsSync(bin)) skip(`needs ${bin} (Debian package ${pkg})`);
}
if (enterNetns(import.meta.url, { containers: true })) process.exit(0);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
if (!fs.existsSync(demo)) fail(`${demo} is not built`);

const W = 720, H = 1280;
const RED = [0xff, 0x30, 0x30], GREEN = [0x30, 0xc0, 0x30]; // tools/guest/agent_input.c, slots 0, 1
const near = (px, want, tol) => px.every((c, i) => Math.abs(c - want[i]) <= tol);
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anc-e2e-'));
fs.chmodSync(dir, 0o755);
const mk = spawnSync(path.join(process.env.ANC_SOURCE_ROOT, 'tools', 'mkimage'), [`${dir}/images/demo.img`],
  { stdio: 'inherit', env: { ...process.env, ANCLOUD_DEMO: demo } });
if (mk.status !== 0) fail('tools/mkimage failed');
check(true, 'demo.img built (with the stand-in agent)');

// Host pids of the agent processes (the container's pid namespace is visible from here).
// The agents inside this test's container (its cgroup is named after it): other tests on the
// machine may run agents of their own.
function agentPids(id) {
  const out = [];
  for (const p of fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x))) {
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
      if (argv[0] !== '/usr/bin/ancloud-agent' || !argv.some((a) => a.startsWith('scid='))) continue;
      if (fs.readFileSync(`/proc/${p}/cgroup`, 'utf8').includes(`ancloud-${id}`)) out.push(Number(p));
    } catch { /* gone */ }
  }
  return out;
}

const daemon = await startDaemon('', { dir });
let browser;
try {
  const r = await daemon.api('POST', '/api/v1/instances', {
    name: 'demo', kind: 'linux', image: 'demo', width: W, height: H, fps: 30, capture: 'agent',
    command: ['/bin/sh', '-c', `exec /sbin/ancloud-guest --width ${W} --height ${H} >/tmp/app.log 2>&1`],
  });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  const id = r.json.id;
  await daemon.api('POST', `/api/v1/instances/${id}/start`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'running',
    { what: 'instance running', timeoutMs: 30000 });
  const instLog = async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;
  const log = await instLog();
  check(/agent connected: .*H\.264 720x1280/.test(log), 'running once the agent in the guest is connected');
  check(/agent: \/usr\/bin\/ancloud-agent \(scid [0-9a-f]{8}/.test(log), 'the agent started with a scid');
  check(!/X connection|cannot be captured/.test(daemon.log()), 'the daemon does not capture the display itself');
  const appLogPath = `${dir}/state/instances/${id}/upper/tmp/app.log`;
  const appLog = () => { try { return fs.readFileSync(appLogPath, 'utf8'); } catch { return ''; } };
  await waitFor(() => appLog().includes('"event":"ready"'), { what: 'the app to be ready', timeoutMs: 20000 });

  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: VIEWER_JS + SAMPLER_JS });
  const endpoint = `${daemon.base}/api/v1/instances/${id}/whep`;
  const v = await page.evaluate(([e, t]) => window.whep(e, t), [endpoint, daemon.token]);
  const stats = () => page.evaluate(async (i) => {
    const s = await window.videoStats(i);
    let kf = 0;
    (await window.viewers[i].pc.getStats()).forEach((x) => {
      if (x.type === 'inbound-rtp' && x.kind === 'video') kf = x.keyFramesDecoded || 0;
    });
    return { ...s, keyFramesDecoded: kf };
  }, v);
  const st0 = await waitFor(async () => { const s = await stats(); return s?.framesDecoded > 0 && s.frameWidth > 0 ? s : null; },
    { what: 'first decoded frame', timeoutMs: 15000 });
  check(st0.frameWidth === W && st0.frameHeight === H,
    `the agent's H.264 decodes in Chromium (${st0.frameWidth}x${st0.frameHeight})`);

  // A touch held down: the agent's marker (slot 0, red) in the video, the app sees the down.
  const send = (bytes) => page.evaluate(async ([i, m]) => {
    const dc = window.viewers[i].dc;
    if (dc.readyState !== 'open') await new Promise((r) => { dc.onopen = r; });
    dc.send(new Uint8Array(m));
  }, [v, bytes]);
  const touch = (action, nx, ny, ptr) => page.evaluate(([a, x, y, p]) => [...window.touchMessage(a, x, y, p)],
    [action, nx, ny, ptr]);
  await send(await touch(0, 0.25, 0.5, 0));
  const down = await waitFor(() => {
    const m = appLog().match(/"event":"down","x":(\d+),"y":(\d+)/);
    return m ? [Number(m[1]), Number(m[2])] : null;
  }, { what: 'the app to see the touch' });
  check(Math.abs(down[0] - W / 4) <= W / 100 && Math.abs(down[1] - H / 2) <= H / 100,
    `the app in the container saw the touch at (${down}) for (${W / 4},${H / 2})`);
  const marker = await waitFor(async () => {
    const px = await page.evaluate(([i, x, y]) => window.samplePixel(i, x, y), [v, W / 4, H / 2]);
    return near(px, RED, 60) ? px : null;
  }, { what: 'the agent\'s marker in the video' });
  check(true, `the agent's marker (${marker}) is in the received video at the touch`);
  await send(await touch(2, 0.25, 0.5, 0));

  // Text, CJK included.
  const text = [...new TextEncoder().encode('hello 世界')];
  await send([3, ...text]);
  const typed = await waitFor(() => {
    const t = [...appLog().matchAll(/"event":"text","text":"([^"]*)"/g)].map((x) => x[1]).join('');
    return t.includes('hello 世界') ? t : null;
  }, { what: 'the typed text in the app' });
  check(true, `the app received "${typed}"`);

  // Paste (type 6, flag paste): the agent owns CLIPBOARD with the text and presses Ctrl+V; the app
  // asks the owner for it and types it in.
  const pasteText = '貼り付け テスト';
  await send([6, 1, ...new TextEncoder().encode(pasteText)]);
  const pasted = await waitFor(() => {
    const m = [...appLog().matchAll(/"event":"paste","text":"([^"]*)"/g)].map((x) => x[1]);
    return m.length ? m[m.length - 1] : null;
  }, { what: 'the pasted text in the app' });
  check(pasted === pasteText, `the app pasted "${pasted}" from the guest's CLIPBOARD`);

  // The guest's clipboard to the page: Ctrl+C (type 2, KEY_C with the Ctrl modifier) makes the
  // app own CLIPBOARD with all its text; the agent sees the new owner and the daemon sends a
  // type-128 message to the viewer.
  const KEY_C = 46, MOD_CTRL = 2;
  const key = (action) => [2, action, 0, 0, KEY_C, 0, 0, 0, MOD_CTRL, 0, 0, 0];
  const received = () => page.evaluate((i) => window.viewers[i].received.filter((m) => m[0] === 128), v);
  const n128 = (await received()).length;
  await send(key(0));
  await send(key(1));
  const copied = await waitFor(() => appLog().match(/"event":"copy","text":"([^"]*)"/)?.[1],
    { what: 'the app\'s copy' });
  check(copied === `hello 世界${pasteText}`, `the app owns CLIPBOARD with "${copied}"`);
  const clip = await waitFor(async () => (await received())[n128], { what: 'a type-128 message on the data channel', timeoutMs: 5000 });
  const clipText = new TextDecoder().decode(new Uint8Array(clip.slice(2)));
  check(clip[1] === 0 && clipText === copied,
    `the page received the guest's clipboard (type 128, flags ${clip[1]}): "${clipText}"`);

  // A keyframe request (what a PLI does): the stream's keyframe count rises within 1 s.
  await new Promise((res) => setTimeout(res, 1100)); // past the stream's once-a-second limit
  const kf = async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.stream.keyframes;
  const k0 = await kf(), kd0 = (await stats()).keyFramesDecoded;
  const t0 = Date.now();
  await send([5, 1]);
  await waitFor(async () => (await kf()) > k0, { what: 'a keyframe after the request', timeoutMs: 1000, intervalMs: 20 });
  const kfMs = Date.now() - t0;
  await waitFor(async () => (await stats()).keyFramesDecoded > kd0, { what: 'Chromium to decode the keyframe', timeoutMs: 2000 });
  check(true, `a keyframe request gives a keyframe in ${kfMs} ms (stream count ${k0} → ${await kf()}, decoded by Chromium)`);

  // Two fingers through the web UI's player, as CDP touch events: two markers in the video.
  const ctx2 = await browser.newContext({ hasTouch: true });
  const ui = await ctx2.newPage();
  await ui.setViewportSize({ width: 800, height: 900 });
  await ui.goto(`${daemon.base}/#token=${daemon.token}`);
  await ui.click(`.card[data-id="${id}"] button:has-text("View")`, { timeout: 10000 });
  await ui.waitForFunction(() => document.getElementById('video').videoWidth === 720, null, { timeout: 10000 });
  // One controller per instance: the first viewer (this test's page) has control; hand it to the
  // web UI's session so that its fingers reach the guest.
  const uiSid = await waitFor(async () => (await ui.textContent('#my-session'))?.match(/session (\w+)/)?.[1],
    { what: "the web UI's session id" });
  check((await daemon.api('POST', `/api/v1/sessions/${uiSid}/control`)).status === 200,
    `control handed to the web UI's session ${uiSid}`);
  const box = await ui.locator('#video').boundingBox();
  const scale = Math.min(box.width / W, box.height / H);
  const ox = box.x + (box.width - W * scale) / 2, oy = box.y + (box.height - H * scale) / 2;
  const fingers = [[0.3, 0.3], [0.7, 0.7]].map(([nx, ny], i) =>
    ({ x: ox + nx * W * scale, y: oy + ny * H * scale, id: i + 1, radiusX: 2, radiusY: 2, force: 1 }));
  const cdp = await ctx2.newCDPSession(ui);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [fingers[0]] });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: fingers });
  const two = await waitFor(async () => {
    const a = await page.evaluate(([i, x, y]) => window.samplePixel(i, x, y), [v, 0.3 * W, 0.3 * H]);
    const c = await page.evaluate(([i, x, y]) => window.samplePixel(i, x, y), [v, 0.7 * W, 0.7 * H]);
    return near(a, RED, 60) && near(c, GREEN, 60) ? [a, c] : null;
  }, { what: 'two markers in the video' });
  check(true, `two fingers show two markers (${two[0]} and ${two[1]})`);
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await ctx2.close();

  // kill -9 of the agent in the guest: the daemon restarts it; the same viewer gets frames again.
  const pids = agentPids(id);
  check(pids.length === 1, `one agent runs in the guest (host pid ${pids})`);
  const connects = (await instLog()).split('agent connected').length - 1;
  process.kill(pids[0], 'SIGKILL');
  const tk = Date.now();
  await new Promise((res) => setTimeout(res, 100));
  const fk = (await stats()).framesDecoded;
  await waitFor(async () => (await stats()).framesDecoded > fk, { what: 'frames after the agent was killed', timeoutMs: 3000, intervalMs: 20 });
  const backMs = Date.now() - tk;
  check((await instLog()).split('agent connected').length - 1 > connects && !agentPids(id).includes(pids[0]),
    'a new agent run is connected');
  const vs = await stats();
  check(await page.evaluate((i) => window.viewers[i].pc.connectionState, v) === 'connected',
    `frames again ${backMs} ms after kill -9 of the agent, on the same peer connection (${vs.framesDecoded} decoded)`);

  await daemon.api('POST', `/api/v1/instances/${id}/stop`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'stopped',
    { what: 'instance stopped', timeoutMs: 30000 });
  check(agentPids(id).length === 0, 'no agent left after stop');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');
