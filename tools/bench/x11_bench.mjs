#!/usr/bin/env node
// Figures for a real guest (the demo app as an x11 instance, 720x1280 @ 30 fps) viewed by headless
// Chromium inside a private network namespace:
//  - daemon CPU % with one viewer, for a static screen and for the app's --animate, against a
//    baseline measured in the same run (the running instance with no viewer);
//  - tap-to-visible latency over N taps (default 60): from sending the touch on the data channel
//    to the first decoded frame that shows the marker (requestVideoFrameCallback + canvas).
// Usage (root): ANCLOUDD=build/src/ancloudd ANC_BUILD_ROOT=build tools/bench/x11_bench.mjs [taps]
import fs from 'node:fs';
import { enterNetns, startDaemon, launchChromium, VIEWER_JS, SAMPLER_JS, waitFor }
  from '../../test/e2e/lib.mjs';

process.env.ANC_SOURCE_ROOT ||= new URL('../..', import.meta.url).pathname;
if (enterNetns(import.meta.url)) process.exit(0);
const taps = Number(process.argv[2] || 60);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
const seconds = 10;

const sorted = (a) => [...a].sort((x, y) => x - y);
const pct = (a, p) => sorted(a)[Math.min(a.length - 1, Math.ceil(a.length * p) - 1)];
const ticks = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]);
};
async function cpu(pid) {
  const a = ticks(pid), t = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  return ((ticks(pid) - a) / 100) / ((Date.now() - t) / 1000) * 100;
}

async function instance(daemon, name, animate) {
  const command = [demo, '--width', '720', '--height', '1280', ...(animate ? ['--animate'] : [])];
  const r = await daemon.api('POST', '/api/v1/instances',
    { name, kind: 'x11', width: 720, height: 1280, fps: 30, command });
  await daemon.api('POST', `/api/v1/instances/${r.json.id}/start`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${r.json.id}/log`)).text
    .includes('"ready"'), { what: 'app ready' });
  return r.json.id;
}

const TAP_TIMEOUT_MS = 2000;
const TAP_JS = `
window.tapLatency = function (i, nx, ny) {
  const v = window.viewers[i];
  const x = Math.round(nx * v.video.videoWidth), y = Math.round(ny * v.video.videoHeight);
  return new Promise((resolve) => {
    const t0 = performance.now();
    let done = false;
    const check = () => {
      if (done) return;
      const [r, g, b] = window.samplePixel(i, x, y);
      if (r > 200 && g > 160 && b < 80) { done = true; resolve(performance.now() - t0); }
      else v.video.requestVideoFrameCallback(check);
    };
    // A static screen sends one frame per change: if that frame does not show the marker clearly
    // no other frame follows, so a tap must be able to miss instead of waiting forever.
    setTimeout(() => { if (!done) { done = true; resolve(null); } }, ${TAP_TIMEOUT_MS});
    v.video.requestVideoFrameCallback(check);
    v.dc.send(window.touchMessage(0, nx, ny));
    v.dc.send(window.touchMessage(2, nx, ny));
  });
};
`;

const daemon = await startDaemon();
const { browser, context } = await launchChromium();
try {
  const page = await context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: VIEWER_JS + SAMPLER_JS + TAP_JS });
  const rows = [];
  for (const animate of [false, true]) {
    const id = await instance(daemon, animate ? 'animated' : 'static', animate);
    const base = await cpu(daemon.proc.pid);
    const vi = await page.evaluate(([e, t]) => window.whep(e, t),
      [`${daemon.base}/api/v1/instances/${id}/whep`, daemon.token]);
    await waitFor(async () => (await page.evaluate((i) => window.videoStats(i), vi))?.framesDecoded > 0,
      { what: 'video' });
    await page.evaluate((i) => new Promise((r) => {
      const dc = window.viewers[i].dc;
      if (dc.readyState === 'open') r(); else dc.onopen = r;
    }), vi);
    const with1 = await cpu(daemon.proc.pid);
    const st = (await daemon.api('GET', `/api/v1/instances/${id}`)).json.stream;
    rows.push({ animate, base, with1, st });
    if (!animate) {
      const lat = [];
      for (let n = 0; n < taps; n++) {
        const [nx, ny] = n % 2 ? [0.3, 0.35] : [0.7, 0.65];
        const ms = await page.evaluate(([i, x, y]) => window.tapLatency(i, x, y), [vi, nx, ny]);
        lat.push(ms ?? Infinity); // a miss counts as slower than any hit
        await new Promise((r) => setTimeout(r, 100));
      }
      const hits = lat.filter(Number.isFinite), fmt = (v) => Number.isFinite(v) ? `${v.toFixed(1)} ms` : `> ${TAP_TIMEOUT_MS} ms (miss)`;
      const kbps = (await daemon.api('GET', `/api/v1/instances/${id}`)).json.stream.bitrate_kbps;
      console.log(`tap-to-visible latency (${animate ? 'animated' : 'static'} screen), ${taps} taps: median ${fmt(pct(lat, 0.5))}, ` +
        `p95 ${fmt(pct(lat, 0.95))}, min ${fmt(Math.min(...lat))}, max ${fmt(Math.max(...lat))}; ` +
        `${taps - hits.length} miss(es): marker not recognisable within ${TAP_TIMEOUT_MS} ms; stream bitrate now ${kbps} kbps`);
      if (hits.length)
        console.log(`  over the ${hits.length} hits: median ${pct(hits, 0.5).toFixed(1)} ms, p95 ${pct(hits, 0.95).toFixed(1)} ms`);
    }
    const sid = await page.evaluate((i) => window.viewers[i].sid, vi);
    await page.evaluate((i) => window.viewers[i].pc.close(), vi);
    await daemon.api('DELETE', `/api/v1/sessions/${sid}`);
    await daemon.api('DELETE', `/api/v1/instances/${id}`);
  }
  console.log(`daemon CPU, x11 instance 720x1280 @ 30 fps, ${seconds} s samples (one core = 100 %):`);
  for (const r of rows) {
    console.log(`  ${r.animate ? '--animate' : 'static   '}: no viewer ${r.base.toFixed(1)} %, ` +
      `1 viewer ${r.with1.toFixed(1)} % (frames captured ${r.st.frames_captured}, encoded ` +
      `${r.st.frames_encoded}, idle ticks skipped by DAMAGE: ${r.st.ticks_idle ?? 'n/a'})`);
  }
} catch (e) {
  console.error(e);
  console.error(daemon.log().split('\n').slice(-30).join('\n'));
  process.exitCode = 1;
} finally {
  await browser.close();
  await daemon.stop();
}
