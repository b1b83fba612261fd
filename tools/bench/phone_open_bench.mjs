#!/usr/bin/env node
// Open-to-first-frame on a phone: the web app in Chromium's phone emulation (390×844 at 3×,
// touch) inside a private network namespace; each round clicks View on the dashboard card of an
// instance (the demo app as an x11 instance, 720x1280 @ 30 fps) and times the click to the first
// decoded frame (the video element's first requestVideoFrameCallback), then closes the player.
// Prints every round, the median and p90, and, as a baseline in the same run, the same rounds
// in a desktop-sized context.
// Then, still on the phone, the page's own input-to-present latency: taps on the video, p50/p95
// as its stats overlay shows them (web/js/stats.js: daemon frame messages matched with
// requestVideoFrameCallback), and, in the same run, tools/bench/x11_bench.mjs's tap-to-visible
// latency (the marker's pixels seen in a decoded frame) beside it.
// Usage (root): ANCLOUDD=build/src/ancloudd ANC_BUILD_ROOT=build tools/bench/phone_open_bench.mjs [rounds [taps]]
import { spawnSync } from 'node:child_process';
import { enterNetns, startDaemon, launchChromium, startX11Demo, waitFor }
  from '../../test/e2e/lib.mjs';

process.env.ANC_SOURCE_ROOT ||= new URL('../..', import.meta.url).pathname;
if (enterNetns(import.meta.url)) process.exit(0);
const rounds = Number(process.argv[2] || 10);
const taps = Number(process.argv[3] || 40);
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
const sorted = (a) => [...a].sort((x, y) => x - y);
const pct = (a, p) => sorted(a)[Math.min(a.length - 1, Math.ceil(a.length * p) - 1)];

async function measure(browser, daemon, id, contextOptions) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], ...contextOptions });
  const page = await context.newPage();
  await page.goto(`${daemon.base}/#token=${daemon.token}`);
  const view = `.card[data-id="${id}"] button:has-text("View")`;
  const times = [];
  for (let i = 0; i < rounds; i++) {
    await page.waitForSelector(view, { timeout: 10000 });
    // Armed before the click: the first frame the video element presents after it.
    await page.evaluate(() => {
      const v = document.getElementById('video');
      window.firstFrame = new Promise((res) => {
        const arm = () => v.requestVideoFrameCallback((now) => res(now));
        arm();
      });
    });
    const t0 = await page.evaluate(() => performance.now());
    await page.click(view);
    const t1 = await page.evaluate(() => window.firstFrame);
    times.push(t1 - t0);
    await page.click('#player-close');
    await waitFor(async () => await daemon.metric('ancloud_rtc_sessions') === 0,
      { what: 'the session to end', timeoutMs: 10000 });
  }
  await context.close();
  return times;
}

// Taps on the playing video of the phone page, one every 200 ms, alternating between two spots
// (the demo app draws its marker at each: the screen changes with every tap); the overlay's
// figures once it holds a sample for every tap.
async function inputToPresent(browser, daemon, id) {
  const context = await browser.newContext({ permissions: ['camera', 'microphone'], ...PHONE });
  const page = await context.newPage();
  await page.goto(`${daemon.base}/#token=${daemon.token}`);
  await page.click(`.card[data-id="${id}"] button:has-text("View")`);
  await page.waitForFunction(() => document.getElementById('video').videoWidth > 0, null, { timeout: 10000 });
  await page.click('#stats');
  const box = await page.locator('#video').boundingBox();
  const frame = await page.evaluate(() => {
    const v = document.getElementById('video');
    return { w: v.videoWidth, h: v.videoHeight };
  });
  // The picture inside the element (letterboxed to keep its aspect).
  const scale = Math.min(box.width / frame.w, box.height / frame.h);
  const fw = frame.w * scale, fh = frame.h * scale;
  const fx = box.x + (box.width - fw) / 2, fy = box.y + (box.height - fh) / 2;
  for (let n = 0; n < taps; n++) {
    const [nx, ny] = n % 2 ? [0.3, 0.35] : [0.7, 0.65];
    await page.touchscreen.tap(fx + nx * fw, fy + ny * fh);
    await new Promise((res) => setTimeout(res, 200));
  }
  const overlay = () => page.evaluate(() => ({ ...document.getElementById('stats-overlay').dataset }));
  await waitFor(async () => Number((await overlay()).n) >= taps,
    { what: `${taps} input-to-present samples in the overlay`, timeoutMs: 10000 });
  // The last taps' answers may still be on their way.
  await new Promise((res) => setTimeout(res, 1000));
  const d = await overlay();
  const text = await page.textContent('#stats-overlay');
  await page.click('#player-close');
  await context.close();
  return { p50: Number(d.p50), p95: Number(d.p95), n: Number(d.n), text };
}

const daemon = await startDaemon();
let browser, latency;
try {
  const id = await startX11Demo(daemon);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text
    .includes('"ready"'), { what: 'app ready' });
  browser = (await launchChromium()).browser;
  const phone = await measure(browser, daemon, id, PHONE);
  const desktop = await measure(browser, daemon, id, { viewport: { width: 1280, height: 900 } });
  const line = (name, t) => console.log(`${name}: open-to-first-frame median ${pct(t, 0.5).toFixed(0)} ms, ` +
    `p90 ${pct(t, 0.9).toFixed(0)} ms over ${t.length} (${t.map((x) => x.toFixed(0)).join(' ')})`);
  line('phone 390x844@3', phone);
  line('desktop 1280x900 (baseline)', desktop);
  console.log(`ratio phone/desktop (medians): ${(pct(phone, 0.5) / pct(desktop, 0.5)).toFixed(2)}`);
  await waitFor(async () => await daemon.metric('ancloud_rtc_sessions') === 0, { what: 'no session' });
  latency = await inputToPresent(browser, daemon, id);
  console.log(`overlay at the end: ${latency.text.replace(/\n/g, ' | ')}`);
} finally {
  if (browser) await browser.close();
  await daemon.stop();
}

// x11_bench in the same run (and namespace), once this daemon is gone: its own daemon, instance
// and viewer.
const bench = spawnSync(process.execPath,
  [new URL('x11_bench.mjs', import.meta.url).pathname, String(taps)],
  { encoding: 'utf8', env: process.env, timeout: 300000 });
const tapLine = (bench.stdout || '').split('\n').find((l) => l.startsWith('tap-to-visible')) || '';
const m = tapLine.match(/median ([\d.]+) ms, p95 ([\d.]+) ms/);
if (tapLine) console.log(`x11_bench: ${tapLine}`);
console.log(`input-to-present, this run (${taps} taps each):`);
console.log(`  the page on the phone (stats overlay: first frame captured after the input, presented): ` +
  `p50 ${latency.p50.toFixed(1)} ms, p95 ${latency.p95.toFixed(1)} ms over ${latency.n} input messages (a touch down and up per tap)`);
console.log(`  x11_bench (marker visible in a decoded frame, desktop headless viewer): ` +
  `${m ? `p50 ${m[1]} ms, p95 ${m[2]} ms` : `no figure (exit ${bench.status}) ${bench.stderr.slice(-400)}`}`);
if (!m) process.exitCode = 1;
