// Input-to-present latency measured live: the web app's stats overlay on an x11 instance running
// the demo app. Taps on the video → the daemon's frame messages (type 130) → the overlay's last,
// p50 and p95; the page's latency reports (type 16) → /metrics' per-instance histogram. The
// per-session series exist while the viewer is connected and are gone after it leaves. Then
// tools/bench/x11_bench.mjs runs in the same namespace and its tap latency is printed next to the
// overlay's figures.
import fs from 'node:fs';
import { spawnSync } from 'node:child_process';
import { enterNetns, startDaemon, launchChromium, waitFor, check, fail, startX11Demo } from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
if (!fs.existsSync(demo)) fail(`${demo} is not built`);
const TAPS = 30;

// The samples of one series in Prometheus text: name{labels} value.
const series = (text, name, labelPart) => text.split('\n')
  .filter((l) => l.startsWith(name + '{') && l.includes(labelPart))
  .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));

const daemon = await startDaemon();
let browser, overlay;
try {
  const id = await startX11Demo(daemon);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text
    .includes('"ready"'), { what: 'the app' });

  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.setViewportSize({ width: 800, height: 900 });
  await page.goto(`${daemon.base}/#token=${daemon.token}`);
  await page.click(`.card[data-id="${id}"] button:has-text("View")`);
  await page.waitForFunction(() => document.getElementById('video').videoWidth === 720, null,
    { timeout: 10000 });
  await page.click('#stats');
  check(await page.isVisible('#stats-overlay'), 'the stats button shows the overlay');
  const sid = (await page.textContent('#my-session')).split(' ').pop();

  const box = await page.locator('#video').boundingBox();
  for (let n = 0; n < TAPS; n++) {
    const [fx, fy] = n % 2 ? [0.3, 0.35] : [0.7, 0.65];
    await page.mouse.click(box.x + fx * box.width, box.y + fy * box.height);
    await new Promise((res) => setTimeout(res, 150));
  }
  overlay = await waitFor(async () => {
    const d = await page.evaluate(() => ({ ...document.getElementById('stats-overlay').dataset,
      text: document.getElementById('stats-overlay').textContent }));
    return Number(d.n) >= TAPS ? d : null;
  }, { what: `${TAPS} input-to-present samples in the overlay` });
  const [last, p50, p95] = [overlay.last, overlay.p50, overlay.p95].map(Number);
  console.log(`overlay: ${overlay.text.replace(/\n/g, ' | ')}`);
  check([last, p50, p95].every((v) => v > 0 && v < 1000) && p50 <= p95,
    `the overlay shows input-to-present last ${last.toFixed(1)}, p50 ${p50.toFixed(1)}, ` +
    `p95 ${p95.toFixed(1)} ms (${overlay.n} samples)`);
  const figures = [/\d+ fps/, /\d+ kbps/, /rtt \d+ ms/, /loss [\d.]+ %/, /jitter [\d.]+ ms/, /decode [\d.]+ ms/];
  check(figures.every((re) => re.test(overlay.text)),
    `the overlay shows fps, bit rate, RTT, loss, jitter and decode time from getStats ` +
    `(missing: ${figures.filter((re) => !re.test(overlay.text)).join(' ') || 'none'})`);

  const metrics = async () => (await daemon.api('GET', '/metrics')).text;
  const count = await waitFor(async () => {
    const c = series(await metrics(), 'ancloud_input_to_present_seconds_count', `instance="${id}"`)[0];
    return c >= TAPS ? c : null;
  }, { what: 'the latency histogram of the instance in /metrics' });
  // One scrape for all three figures: reports keep arriving between scrapes.
  const text = await metrics();
  const n = series(text, 'ancloud_input_to_present_seconds_count', `instance="${id}"`)[0];
  const inf = series(text, 'ancloud_input_to_present_seconds_bucket', `instance="${id}",le="+Inf"`)[0];
  const le1 = series(text, 'ancloud_input_to_present_seconds_bucket', `instance="${id}",le="1"`)[0];
  check(n >= count && inf === n && le1 === n,
    `/metrics has ancloud_input_to_present_seconds for the instance: ${n} samples, all ≤ 1 s`);
  const sess = `instance="${id}",session="${sid}"`;
  // Every series of the issue (docs/api.md "Metrics"), each with a value that fits the run.
  const want = (labels, rules) => Object.entries(rules).map(([name, ok]) => {
    const v = series(text, name, labels)[0];
    return { name, v, ok: v !== undefined && ok(v) };
  });
  const any = (v) => v >= 0;
  const perSession = want(sess, {
    ancloud_session_frames_sent_total: (v) => v > 0, ancloud_session_bytes_sent_total: (v) => v > 0,
    ancloud_session_retransmits_total: any, ancloud_session_nacks_total: any,
    ancloud_session_plis_total: any, ancloud_session_firs_total: any, ancloud_session_remb_bps: any,
    ancloud_session_rtt_seconds: any, ancloud_session_input_messages_total: (v) => v >= 2 * TAPS,
    ancloud_session_input_to_present_seconds_count: (v) => v >= TAPS,
  });
  const bad = (l) => l.filter((x) => !x.ok).map((x) => `${x.name}=${x.v}`).join(', ') || 'none';
  check(perSession.every((x) => x.ok), `the per-session series of the connected viewer are there ` +
    `(${perSession.length}; wrong or missing: ${bad(perSession)})`);
  // The session's RTCP counters are the ones its API shows (read before and after the scrape).
  const api = (await daemon.api('GET', `/api/v1/sessions/${sid}`)).json.video;
  const val = (name) => perSession.find((x) => x.name === name).v;
  check(['nacks', 'plis', 'firs'].every((k) => val(`ancloud_session_${k}_total`) <= api[k]) &&
    val('ancloud_session_remb_bps') > 0 === api.remb_bps > 0,
    `NACK/PLI/FIR ${['nacks', 'plis', 'firs'].map((k) => val(`ancloud_session_${k}_total`)).join('/')} ` +
    `and REMB ${val('ancloud_session_remb_bps')} bps agree with the session's API`);
  const perInstance = want(`instance="${id}"`, {
    ancloud_stream_frames_captured_total: (v) => v > 0, ancloud_stream_frames_encoded_total: (v) => v > 0,
    ancloud_stream_bytes_total: (v) => v > 0, ancloud_stream_keyframes_total: (v) => v >= 1,
    ancloud_stream_encode_ms: (v) => v > 0 && v < 1000, ancloud_stream_fps: any, // below
    ancloud_stream_bitrate_kbps: (v) => v > 0, ancloud_stream_viewers: (v) => v === 1,
  });
  check(perInstance.every((x) => x.ok), `the per-instance stream series are there ` +
    `(${perInstance.map((x) => `${x.name.replace('ancloud_stream_', '')} ${x.v}`).join(', ')}; ` +
    `wrong or missing: ${bad(perInstance)})`);
  // fps counts the frames encoded since the previous scrape: a still screen has none, so the
  // screen changes (taps) between two scrapes here.
  await metrics();
  const t0 = Date.now();
  for (let k = 0; k < 8; k++) {
    await page.mouse.click(box.x + (k % 2 ? 0.3 : 0.7) * box.width, box.y + 0.5 * box.height);
    await new Promise((res) => setTimeout(res, 150));
  }
  const fps = series(await metrics(), 'ancloud_stream_fps', `instance="${id}"`)[0];
  check(fps > 0 && fps <= 31, `ancloud_stream_fps ${fps?.toFixed(1)} over ${Date.now() - t0} ms of taps`);

  await page.click('#player-close');
  await waitFor(async () => await daemon.metric('ancloud_rtc_sessions') === 0,
    { what: 'the session to end' });
  const after = await metrics();
  check(!after.includes(`session="${sid}"`), 'the session\'s series are gone after it leaves');
  check(series(after, 'ancloud_input_to_present_seconds_count', `instance="${id}"`)[0] >= n,
    'the instance\'s histogram stays');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');

// The bench's tap-to-visible latency (a marker's pixels seen in a canvas) in the same run.
const bench = spawnSync(process.execPath,
  [new URL('../../tools/bench/x11_bench.mjs', import.meta.url).pathname, '20'],
  { encoding: 'utf8', env: process.env, timeout: 180000 });
const line = (bench.stdout || '').split('\n').find((l) => l.startsWith('tap-to-visible')) || '';
console.log(bench.stdout);
const m = line.match(/median ([\d.]+) ms, p95 ([\d.]+) ms/);
console.log('input-to-present, this run:');
console.log(`  overlay (first frame captured after the input, presented): p50 ${Number(overlay.p50).toFixed(1)} ms, ` +
  `p95 ${Number(overlay.p95).toFixed(1)} ms over ${overlay.n} inputs`);
console.log(`  x11_bench (marker visible in a decoded frame): ${m ? `p50 ${m[1]} ms, p95 ${m[2]} ms` : `no figure (exit ${bench.status})`}`);
check(bench.status === 0 && m, 'x11_bench ran in the same run');
