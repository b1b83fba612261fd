#!/usr/bin/env node
// Open-to-first-frame on a phone: the web app in Chromium's phone emulation (390×844 at 3×,
// touch) inside a private network namespace; each round clicks View on the dashboard card of an
// instance (the demo app as an x11 instance, 720x1280 @ 30 fps) and times the click to the first
// decoded frame (the video element's first requestVideoFrameCallback), then closes the player.
// Prints every round, the median and p90, and, as a baseline in the same run, the same rounds
// in a desktop-sized context.
// Usage (root): ANCLOUDD=build/src/ancloudd ANC_BUILD_ROOT=build tools/bench/phone_open_bench.mjs [rounds]
import { enterNetns, startDaemon, launchChromium, startX11Demo, waitFor }
  from '../../test/e2e/lib.mjs';

process.env.ANC_SOURCE_ROOT ||= new URL('../..', import.meta.url).pathname;
if (enterNetns(import.meta.url)) process.exit(0);
const rounds = Number(process.argv[2] || 10);
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

const daemon = await startDaemon();
let browser;
try {
  const id = await startX11Demo(daemon);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text
    .includes('"ready"'), { what: 'app ready' });
  browser = (await launchChromium()).browser;
  const phone = await measure(browser, daemon, id,
    { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true });
  const desktop = await measure(browser, daemon, id, { viewport: { width: 1280, height: 900 } });
  const line = (name, t) => console.log(`${name}: open-to-first-frame median ${pct(t, 0.5).toFixed(0)} ms, ` +
    `p90 ${pct(t, 0.9).toFixed(0)} ms over ${t.length} (${t.map((x) => x.toFixed(0)).join(' ')})`);
  line('phone 390x844@3', phone);
  line('desktop 1280x900 (baseline)', desktop);
  console.log(`ratio phone/desktop (medians): ${(pct(phone, 0.5) / pct(desktop, 0.5)).toFixed(2)}`);
} finally {
  if (browser) await browser.close();
  await daemon.stop();
}
