// End to end: GET /api/v1/instances/{id}/screenshot against the real daemon. A `pattern`
// instance's PNG decodes to the instance's size with the test card's known colours, and matches
// the video frame Chromium decodes over WHEP within a small tolerance on the card's still parts;
// an `x11` instance (a still, black screen: Xvfb -br) gives the same strong ETag twice and
// If-None-Match answers 304 with no body; 409 while stopped, 404 for an unknown id, 401 without
// a token and for another instance's viewer token, 200 for the instance's own viewer token. The
// demo app on an x11 instance: a tap's marker shows in the next screenshot under a new ETag, and
// the screenshot matches the decoded video wherever the screen is flat. The dashboard's card
// shows the running instance's thumbnail, refreshed with If-None-Match.
import zlib from 'node:zlib';
import { enterNetns, startDaemon, createPattern, launchChromium, VIEWER_JS, SAMPLER_JS, waitFor,
  check, fail, startX11Demo } from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);

const W = 720, H = 1280;
// The test card (src/media/pattern.c): 75 % bars over the top 40 %, a 16-step grey ramp under
// them (6 %), then the black panel.
const BARS = [0xbfbfbf, 0xbfbf00, 0x00bfbf, 0x00bf00, 0xbf00bf, 0xbf0000, 0x0000bf, 0x101010];
const RAMP_Y = Math.floor(H * 40 / 100) + Math.floor(H * 6 / 100 / 2);
const rampX = (i) => Math.floor((Math.floor(i * W / 16) + Math.floor((i + 1) * W / 16)) / 2);
const PANEL_Y = Math.floor(H * 46 / 100) + 4;

// A PNG decoder for what the daemon writes (8-bit RGB or RGBA, not interlaced): chunks, inflate,
// then the five row filters undone. Returns { width, height, px(x, y) -> [r, g, b] }.
function decodePng(buf) {
  if (!buf.subarray(0, 8).equals(Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]))) fail(`not a PNG: ${buf}`);
  let off = 8, width = 0, height = 0, bpp = 0;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off), type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      width = data.readUInt32BE(0); height = data.readUInt32BE(4);
      if (data[8] !== 8 || (data[9] !== 2 && data[9] !== 6) || data[12] !== 0) fail('unexpected PNG format');
      bpp = data[9] === 2 ? 3 : 4;
    } else if (type === 'IDAT') {
      idat.push(data);
    }
    off += 12 + len;
  }
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const stride = width * bpp, out = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (stride + 1)], line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[y * stride + i - bpp] : 0, b = y > 0 ? out[(y - 1) * stride + i] : 0;
      const c = i >= bpp && y > 0 ? out[(y - 1) * stride + i - bpp] : 0;
      let p = 0;
      if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) {
        const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c);
        p = pa <= pb && pa <= pc ? a : (pb <= pc ? b : c);
      }
      out[y * stride + i] = (line[i] + p) & 0xff;
    }
  }
  return { width, height, px: (x, y) => [...out.subarray(y * stride + x * bpp, y * stride + x * bpp + 3)] };
}

async function shot(id, headers = {}, token = daemon.token) {
  const h = { ...headers };
  if (token) h.Authorization = `Bearer ${token}`;
  const res = await fetch(`${daemon.base}/api/v1/instances/${id}/screenshot`, { headers: h });
  return { status: res.status, headers: res.headers, body: Buffer.from(await res.arrayBuffer()) };
}

const rgb = (v) => [v >> 16, (v >> 8) & 0xff, v & 0xff];
const same = (a, b, tol = 0) => a.every((v, i) => Math.abs(v - b[i]) <= tol);

async function checkPattern(id) {
  const t0 = Date.now();
  const r = await shot(id);
  check(r.status === 200, `pattern screenshot 200 in ${Date.now() - t0} ms` + (r.status === 200 ? '' : ` (got ${r.status} ${r.body})`));
  check(r.headers.get('content-type') === 'image/png', 'Content-Type: image/png');
  check(/^"[0-9a-f]{16}"$/.test(r.headers.get('etag') || ''), `strong ETag ${r.headers.get('etag')}`);
  check(r.headers.get('cache-control') === 'no-cache', 'Cache-Control: no-cache');
  const png = decodePng(r.body);
  check(png.width === W && png.height === H, `PNG ${png.width}x${png.height} = instance size (${r.body.length} bytes)`);
  const bars = BARS.map(rgb);
  for (let x = 0; x < W; x++)
    if (!bars.some((b) => same(b, png.px(x, 100)))) fail(`pixel ${x},100 ${png.px(x, 100)} is no bar colour`);
  for (let i = 0; i < 16; i++)
    if (!same(png.px(rampX(i), RAMP_Y), [i * 17, i * 17, i * 17])) fail(`ramp step ${i}: ${png.px(rampX(i), RAMP_Y)}`);
  check(same(png.px(4, PANEL_Y), [0, 0, 0]), 'bars, the 16 ramp steps and the panel have the card\'s exact colours');
  return png;
}

async function checkErrors(id, otherId) {
  check((await shot('000000000000')).status === 404, 'unknown instance: 404');
  const noToken = await shot(id, {}, null);
  check(noToken.status === 401, `no token: 401 (got ${noToken.status})`);
  check((await shot(id, {}, 'not-a-token')).status === 401, 'a wrong token: 401');
  const stopped = await shot(otherId);
  check(stopped.status === 409 && /stopped/.test(stopped.body.toString()),
    `stopped instance: 409 (${stopped.body})`);
  const tok = await daemon.api('POST', `/api/v1/instances/${id}/tokens`, { role: 'view', ttl_s: 60 });
  check(tok.status === 201, `viewer token issued (${tok.status})`);
  const own = await shot(id, {}, tok.json.token);
  check(own.status === 200 && decodePng(own.body).width === W, 'the instance\'s own viewer token: 200');
  check((await shot(otherId, {}, tok.json.token)).status === 401, 'another instance\'s viewer token: 401');
}

async function checkX11() {
  const r = await daemon.api('POST', '/api/v1/instances', {
    name: 'still', kind: 'x11', width: 320, height: 240, fps: 10, command: ['/bin/sleep', '600'] });
  check(r.status === 201, `x11 instance created (${r.status} ${r.text})`);
  const id = r.json.id;
  await daemon.api('POST', `/api/v1/instances/${id}/start`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'running',
    { what: 'x11 instance running' });
  const a = await shot(id), b = await shot(id);
  check(a.status === 200 && b.status === 200, 'x11 screenshots 200');
  const png = decodePng(a.body);
  check(png.width === 320 && png.height === 240, `x11 PNG ${png.width}x${png.height}`);
  for (let y = 0; y < 240; y += 7)
    for (let x = 0; x < 320; x += 7)
      if (!same(png.px(x, y), [0, 0, 0])) fail(`x11 pixel ${x},${y} is ${png.px(x, y)}, not Xvfb -br's black`);
  const etag = a.headers.get('etag');
  check(etag && etag === b.headers.get('etag'), `a still screen keeps its ETag (${etag})`);
  const nm = await shot(id, { 'If-None-Match': etag });
  check(nm.status === 304 && nm.body.length === 0 && nm.headers.get('etag') === etag,
    'If-None-Match with the current tag: 304, no body, the same ETag');
  const weak = await shot(id, { 'If-None-Match': `"0000000000000000", W/${etag}` });
  check(weak.status === 304, 'a list with the tag (weak form) matches too');
  const other = await shot(id, { 'If-None-Match': '"0000000000000000"' });
  check(other.status === 200 && other.body.length > 0, 'another tag: 200 with the picture');
  await daemon.api('POST', `/api/v1/instances/${id}/stop`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'stopped',
    { what: 'x11 instance stopped' });
  check((await shot(id)).status === 409, 'stopped x11 instance: 409');
}

// The screenshot against the frame Chromium decodes: the ramp and the panel do not move, so a
// sample of the video there must match the PNG within the codec's error.
async function checkVideo(page, id) {
  const vi = await page.evaluate(([e, t]) => window.whep(e, t),
    [`${daemon.base}/api/v1/instances/${id}/whep`, daemon.token]);
  await waitFor(async () => {
    const s = await page.evaluate((i) => window.videoStats(i), vi);
    return s && s.framesDecoded >= 30;
  }, { timeoutMs: 15000, what: '30 decoded frames' });
  await new Promise((r) => setTimeout(r, 1500)); // the refine frames: a clean picture
  const png = decodePng((await shot(id)).body);
  const points = [...Array(16).keys()].map((i) => [rampX(i), RAMP_Y]).concat([[4, PANEL_Y], [W - 4, PANEL_Y]]);
  let worst = 0;
  for (const [x, y] of points) {
    const v = await page.evaluate(([i, px, py]) => window.samplePixel(i, px, py), [vi, x, y]);
    const p = png.px(x, y);
    const d = Math.max(...v.map((c, k) => Math.abs(c - p[k])));
    worst = Math.max(worst, d);
    if (d > 12) fail(`video ${v} vs screenshot ${p} at ${x},${y}: off by ${d}`);
  }
  check(true, `the decoded video matches the screenshot at ${points.length} points within ${worst} (tolerance 12)`);
}

// A real app on an x11 instance (the demo app): the PNG is its captured framebuffer, so a tap's
// marker is in the next screenshot (under a new ETag), and wherever the screen is flat the video
// Chromium decodes shows the same colours.
async function checkX11Video(page) {
  const id = await startX11Demo(daemon, { name: 'app' });
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text.includes('"ready"'),
    { what: 'the app' });
  const vi = await page.evaluate(([e, t]) => window.whep(e, t),
    [`${daemon.base}/api/v1/instances/${id}/whep`, daemon.token]);
  // On the screen: Chromium pauses a muted autoplaying video scrolled out of view (this one comes
  // below the pattern's).
  await page.evaluate((i) => { window.viewers[i].video.style.cssText = 'position:fixed;left:0;top:0;width:360px'; }, vi);
  await waitFor(async () => (await page.evaluate((i) => window.videoStats(i), vi))?.framesDecoded > 0 &&
    page.evaluate((i) => window.viewers[i].dc.readyState === 'open', vi), { what: 'the app\'s video' });
  const isMarker = ([r, g, b]) => r > 200 && g > 160 && b < 80; // DEMO_COLOR_MARKER, #ffd400
  const before = await shot(id);
  const [tx, ty] = [W / 2, Math.round(H * 0.6)];
  check(!isMarker(decodePng(before.body).px(tx, ty)), 'before the tap the screenshot has no marker there');
  await page.evaluate(([i, x, y]) => window.tap(i, x, y), [vi, tx / W, ty / H]);
  const after = await waitFor(async () => {
    const a = await shot(id);
    return a.headers.get('etag') !== before.headers.get('etag') && isMarker(decodePng(a.body).px(tx, ty)) ? a : null;
  }, { what: 'the marker in a screenshot under a new ETag' });
  check(true, `after a tap the screenshot shows the marker (ETag ${before.headers.get('etag')} → ${after.headers.get('etag')})`);
  await waitFor(async () => isMarker(await page.evaluate(([i, x, y]) => window.samplePixel(i, x, y), [vi, tx, ty])),
    { what: 'the marker in the video', timeoutMs: 5000 });
  await new Promise((r) => setTimeout(r, 1500)); // the screen still: its last frames decoded
  const png = decodePng((await shot(id)).body);
  const flat = (x, y) => {
    const c = png.px(x, y);
    for (let dy = -4; dy <= 4; dy++) for (let dx = -4; dx <= 4; dx++) if (!same(png.px(x + dx, y + dy), c)) return false;
    return true;
  };
  const points = [];
  for (let y = 8; y < H - 8; y += 40) for (let x = 8; x < W - 8; x += 40) if (flat(x, y)) points.push([x, y]);
  let worst = 0;
  for (const [x, y] of points) {
    const v = await page.evaluate(([i, px, py]) => window.samplePixel(i, px, py), [vi, x, y]);
    const d = Math.max(...v.map((c, k) => Math.abs(c - png.px(x, y)[k])));
    worst = Math.max(worst, d);
    if (d > 12) fail(`x11 video ${v} vs screenshot ${png.px(x, y)} at ${x},${y}: off by ${d}`);
  }
  check(points.length >= 100 && isMarker(png.px(tx, ty)),
    `x11: the decoded video matches the screenshot at ${points.length} flat points within ${worst} (tolerance 12)`);
}

// The dashboard's card of a running instance shows its screen, fetched with the token and
// refreshed with If-None-Match; a stopped instance's card has none.
async function checkDashboard(context, id, stoppedId) {
  const page = await context.newPage();
  const shots = [];
  page.on('request', (q) => { if (q.url().endsWith('/screenshot')) shots.push(q.headers()); });
  await page.goto(`${daemon.base}/#token=${daemon.token}`);
  const sel = `.card[data-id="${id}"] img.thumb`;
  await page.waitForFunction((s) => { const i = document.querySelector(s); return i && i.naturalWidth > 0; },
    sel, { timeout: 10000 });
  const size = await page.evaluate((s) => [document.querySelector(s).naturalWidth,
    document.querySelector(s).naturalHeight], sel);
  check(size[0] === W && size[1] === H, `the card shows a ${size[0]}x${size[1]} thumbnail`);
  check(shots.length > 0 && shots[0].authorization === `Bearer ${daemon.token}`,
    'the thumbnail is fetched with the token in Authorization');
  await waitFor(() => shots.some((h) => /^"[0-9a-f]{16}"$/.test(h['if-none-match'] || '')),
    { timeoutMs: 15000, what: 'a refresh with If-None-Match' });
  check(true, `the thumbnail refreshes with If-None-Match (${shots.length} requests)`);
  check(await page.locator(`.card[data-id="${stoppedId}"] img.thumb`).count() === 0,
    'a stopped instance\'s card has no thumbnail');
  await page.close();
}

const daemon = await startDaemon('[rtc]\npublic_ip = 127.0.0.1\n');
let browser;
try {
  const id = await createPattern(daemon, { width: W, height: H });
  const r = await daemon.api('POST', '/api/v1/instances', { name: 'off', kind: 'pattern', width: 64, height: 64 });
  await checkPattern(id);
  await checkErrors(id, r.json.id);
  await checkX11();
  ({ browser } = await launchChromium().then(async (b) => {
    const page = await b.context.newPage();
    await page.goto(daemon.base + '/');
    await page.addScriptTag({ content: VIEWER_JS + SAMPLER_JS });
    await checkVideo(page, id);
    await checkX11Video(page);
    await checkDashboard(b.context, id, r.json.id);
    return b;
  }));
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
const code = await daemon.stop();
check(code === 0, `daemon exits 0 on SIGTERM (got ${code})`);
process.exit(0);
