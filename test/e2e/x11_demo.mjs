// End to end with a real guest: the SDL2 demo app as an `x11` instance on its own Xvfb, viewed in
// headless Chromium. Its colours are at the right places in the decoded video; a tap on the video
// reaches the app at the mapped coordinate and its marker appears there in the video; typed text
// (CJK included) arrives; two viewers share one encoder.
import fs from 'node:fs';
import { enterNetns, startDaemon, launchChromium, VIEWER_JS, SAMPLER_JS, waitFor, check, fail, startX11Demo }
  from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
if (!fs.existsSync(demo)) fail(`${demo} is not built`);
if (!fs.existsSync('/usr/bin/Xvfb')) fail('needs /usr/bin/Xvfb');

const W = 720, H = 1280;
const daemon = await startDaemon();
let browser;
try {
  const id = await startX11Demo(daemon, { width: W, height: H });
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'running',
    { what: 'instance running' });
  const appLog = async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;
  await waitFor(async () => (await appLog()).includes('"event":"ready"'), { what: 'the app to be ready' });
  check(true, 'x11 instance running the demo app');

  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: VIEWER_JS + SAMPLER_JS });
  const endpoint = `${daemon.base}/api/v1/instances/${id}/whep`;
  const v1 = await page.evaluate(([e, t]) => window.whep(e, t), [endpoint, daemon.token]);
  await waitFor(async () => (await page.evaluate((i) => window.videoStats(i), v1))?.framesDecoded > 0,
    { what: 'first decoded frame' });
  await waitFor(() => page.evaluate((i) => window.viewers[i].video.videoWidth === 720, v1),
    { what: 'video dimensions' });

  // Colours at known places: the background (#20303c) in the middle of the screen.
  // The first decoded frame can reach the canvas as black for a moment under load (CI saw it
  // once): wait for the colour rather than take one sample, and name the last one on failure.
  let bg;
  await waitFor(async () => {
    bg = await page.evaluate(([i, x, y]) => window.samplePixel(i, x, y), [v1, 360, 1000]);
    return near(bg, [0x20, 0x30, 0x3c], 24);
  }, { what: 'the background colour at (360,1000)' }).catch((e) => { throw new Error(`${e.message}: last ${bg}`); });
  check(true, `background colour at (360,1000) is ${bg}`);
  // The header bar (#0f1a22, y < 56 at 720 px) and the text area (#2a3e4c, y 108..364), right side.
  for (const [x, y, rgb, what] of [[700, 28, [0x0f, 0x1a, 0x22], 'header bar'], [700, 300, [0x2a, 0x3e, 0x4c], 'text area']]) {
    const px = await page.evaluate(([i, a, b]) => window.samplePixel(i, a, b), [v1, x, y]);
    check(near(px, rgb, 24), `${what} colour at (${x},${y}) is ${px}`);
  }

  // A tap at normalized (0.25, 0.5) → the app reports a touch at (180, 640) ± 1 %.
  await page.evaluate((i) => window.tap(i, 0.25, 0.5), v1);
  const down = await waitFor(async () => {
    const m = (await appLog()).match(/"event":"down","x":(\d+),"y":(\d+)/);
    return m ? [Number(m[1]), Number(m[2])] : null;
  }, { what: 'the app to see the tap' });
  check(Math.abs(down[0] - 180) <= 7.2 && Math.abs(down[1] - 640) <= 12.8,
    `the app saw the tap at (${down}) for (180,640)`);
  const marker = await waitFor(async () => {
    const px = await page.evaluate(([i, x, y]) => window.samplePixel(i, x, y), [v1, down[0], down[1]]);
    return near(px, [0xff, 0xd4, 0x00], 48) ? px : null;
  }, { what: 'the marker in the received video' });
  check(true, `the marker (${marker}) is in the received video at (${down})`);

  // Text, CJK included, typed through the data channel.
  await page.evaluate((i) => {
    const bytes = new TextEncoder().encode('hello 世界');
    const m = new Uint8Array(1 + bytes.length);
    m[0] = 3; m.set(bytes, 1);
    window.viewers[i].dc.send(m);
  }, v1);
  const typed = await waitFor(async () => {
    const t = [...(await appLog()).matchAll(/"event":"text","text":"([^"]*)"/g)].map((x) => x[1]).join('');
    return t.includes('hello 世界') ? t : null;
  }, { what: 'the typed text in the app' });
  check(true, `the app received "${typed}"`);

  // A second viewer: both decode, one encoder serves them.
  const v2 = await page.evaluate(([e, t]) => window.whep(e, t), [endpoint, daemon.token]);
  await waitFor(async () => (await page.evaluate((i) => window.videoStats(i), v2))?.framesDecoded > 0,
    { what: 'the second viewer decoding' });
  const f1 = (await page.evaluate((i) => window.videoStats(i), v1)).framesDecoded;
  await page.evaluate((i) => { // draw something so both get new frames
    const m = new Uint8Array([1, 0, 0, 0, 0x80, 0, 0x80, 0xff, 0xff]);
    window.viewers[i].dc.send(m);
    window.viewers[i].dc.send(new Uint8Array([1, 2, 0, 0, 0x80, 0, 0x80, 0xff, 0xff]));
  }, v1);
  await waitFor(async () => (await page.evaluate((i) => window.videoStats(i), v1)).framesDecoded > f1,
    { what: 'the first viewer still decoding' });
  const enc = await daemon.metric('ancloud_encoders'), ses = await daemon.metric('ancloud_rtc_sessions');
  check(enc === 1 && ses === 2, `two viewers, one encoder (metrics: ${enc} encoder(s), ${ses} sessions)`);
  const inst = (await daemon.api('GET', `/api/v1/instances/${id}`)).json;
  check(inst.viewers === 2, `instance reports 2 viewers (${inst.stream.frames_encoded} frames encoded once for both)`);

  await daemon.api('POST', `/api/v1/instances/${id}/stop`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'stopped',
    { what: 'instance stopped' });
  check(!/ancloud-demo|Xvfb/.test(childProcesses(daemon.proc.pid)), 'no app or Xvfb left after stop');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');

function near(px, rgb, tol) {
  return px && Math.abs(px[0] - rgb[0]) <= tol && Math.abs(px[1] - rgb[1]) <= tol &&
    Math.abs(px[2] - rgb[2]) <= tol;
}

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
