// WHEP through a cluster's redirect, in the real web client: the page comes from node B, which
// does not run the instance and answers the page's WHEP offer with 307 to the owner node C (the
// real daemon, another origin), with a viewer token in the Location's query. Chromium must
// follow it (a preflight to C, then the offer again), play the video and open the input channel
// with C directly, and the player must end its session with a DELETE sent to C, not to B.
// B is a tiny node:http server that plays the non-owner: it answers the offer with the 307 and
// passes everything else (the page, the dashboard's API calls) through to the daemon.
import http from 'node:http';
import { enterNetns, startDaemon, createPattern, launchChromium, waitFor, check, fail } from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);

const daemon = await startDaemon();
const owner = new URL(daemon.base);
const log = { redirected: [], sessionCallsViaB: [] };

// The non-owner's 307: like ancloudd's own (rest.h), authenticated first, with a short-lived
// token of the caller's role (the admin's: control) and never the caller's own token.
async function redirectOffer(req, res, id) {
  for await (const chunk of req) void chunk; // the offer itself stays unread, as a node does
  if (req.headers.authorization !== `Bearer ${daemon.token}`) {
    res.writeHead(401).end();
    return;
  }
  const t = await daemon.api('POST', `/api/v1/instances/${id}/tokens`, { role: 'control', ttl_s: 60 });
  if (t.status !== 201) fail(`token for the redirect: ${t.status} ${t.text}`);
  const location = `${daemon.base}/api/v1/instances/${id}/whep?token=${t.json.token}`;
  log.redirected.push({ origin: req.headers.origin, location });
  res.writeHead(307, { Location: location, 'Cache-Control': 'no-store' }).end();
}

function passThrough(req, res) {
  const up = http.request({
    host: owner.hostname, port: owner.port, method: req.method, path: req.url,
    headers: { ...req.headers, host: owner.host },
  }, (r) => {
    res.writeHead(r.statusCode, r.headers);
    r.pipe(res);
  });
  up.on('error', (e) => { res.writeHead(502).end(String(e)); });
  req.pipe(up);
}

const nodeB = http.createServer((req, res) => {
  const path = new URL(req.url, 'http://b').pathname;
  const whep = path.match(/^\/api\/v1\/instances\/([0-9a-f]+)\/whep$/);
  if (req.method === 'POST' && whep) {
    redirectOffer(req, res, whep[1]).catch((e) => fail(`redirect: ${e.stack}`));
    return;
  }
  if (path.startsWith('/api/v1/sessions')) log.sessionCallsViaB.push(`${req.method} ${path}`);
  passThrough(req, res);
});
await new Promise((r) => nodeB.listen(0, '127.0.0.1', r));
const B = `http://127.0.0.1:${nodeB.address().port}`;
let browser;

try {
  const id = await createPattern(daemon, { width: 320, height: 240, fps: 15 });
  check(B !== daemon.base, `the page's node ${B} and the owner ${daemon.base} are two origins`);

  // CORS at the owner, from outside the browser: the WHEP routes only.
  const pre = await fetch(`${daemon.base}/api/v1/instances/${id}/whep`, {
    method: 'OPTIONS',
    headers: { Origin: B, 'Access-Control-Request-Method': 'POST',
      'Access-Control-Request-Headers': 'authorization, content-type' },
  });
  check(pre.status === 204 && pre.headers.get('access-control-allow-origin') === B &&
    pre.headers.get('access-control-allow-methods') === 'POST, OPTIONS' &&
    /Authorization/.test(pre.headers.get('access-control-allow-headers')) &&
    /Location/.test(pre.headers.get('access-control-expose-headers')),
  'the owner answers the WHEP preflight 204 with CORS headers, no token needed');
  const rest = await fetch(`${daemon.base}/api/v1/instances`,
    { headers: { Origin: B, Authorization: `Bearer ${daemon.token}` } });
  check(rest.status === 200 && !rest.headers.get('access-control-allow-origin'),
    'the rest of the API has no CORS headers');

  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  const requests = [];
  page.on('request', (r) => requests.push({ method: r.method(), url: r.url(), from: r.redirectedFrom()?.url() }));
  const deletes = [];
  page.on('response', (r) => {
    if (r.request().method() === 'DELETE') {
      deletes.push({ url: r.url(), status: r.status(), auth: r.request().headers().authorization });
    }
  });
  await page.goto(`${B}/#token=${daemon.token}`);
  await page.waitForSelector(`.card[data-id="${id}"] button:has-text("View")`, { timeout: 10000 });
  await page.click(`.card[data-id="${id}"] button:has-text("View")`);

  await waitFor(() => page.evaluate(() => {
    const v = document.getElementById('video');
    return v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 10;
  }), { what: 'the video to play through the redirect', timeoutMs: 20000 });
  check(true, 'Chromium plays the owner\'s video through the 307');
  check(log.redirected.length === 1 && log.redirected[0].origin === B,
    `node B redirected the page's offer once (Origin ${log.redirected[0]?.origin})`);
  const offers = requests.filter((r) => r.method === 'POST' && r.url.includes('/whep'));
  check(offers.length === 2 && offers[0].url.startsWith(`${B}/`) &&
    offers[1].url.startsWith(`${daemon.base}/`) && offers[1].from === offers[0].url &&
    offers[1].url.includes('?token='),
  'the offer went to B, then (followed by fetch) to the owner with the token in the query');

  // The input channel: the daemon's control message arrives on it when it opens.
  await waitFor(() => page.evaluate(() => document.getElementById('control-state').dataset.you === '1'),
    { what: 'the input channel to open (control message)', timeoutMs: 10000 });
  const sessions = (await daemon.api('GET', '/api/v1/sessions')).json.sessions;
  check(sessions.length === 1, 'the owner has the page\'s session');
  const sid = sessions[0].id;
  // The role says which credential the owner saw: the admin token had the Authorization header
  // been kept across origins, the redirect's control token if it was dropped (Fetch).
  check(sessions[0].role === 'control',
    `the owner admitted the offer by the query token; Chromium dropped the Authorization header (role ${sessions[0].role})`);
  const box = await page.locator('#video').boundingBox();
  await page.mouse.click(box.x + box.width / 2, box.y + box.height / 2);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/sessions/${sid}`)).json.input.messages >= 2,
    { what: 'the tap to reach the owner on the input channel' });
  check(true, 'the page\'s input reaches the owner over the data channel');

  // Closing the player: the DELETE goes to the owner, with the redirect's token. The peer
  // connection closes at the same time (its DTLS close_notify ends the session too), so the
  // DELETE finds the session (200) or finds it already gone (404); 401 would be a refused token.
  const redirectToken = new URL(log.redirected[0].location).searchParams.get('token');
  await page.click('#player-close');
  await waitFor(() => deletes.length > 0, { what: 'the player\'s DELETE' });
  check(deletes[0].url === `${daemon.base}/api/v1/sessions/${sid}` &&
    deletes[0].auth === `Bearer ${redirectToken}` && [200, 404].includes(deletes[0].status),
  `the player's DELETE went to the owner's session resource with the redirect token (${deletes[0].status})`);
  await waitFor(async () => (await daemon.api('GET', '/api/v1/sessions')).json.sessions.length === 0,
    { what: 'the session to end' });
  check(log.sessionCallsViaB.length === 0,
    `no session call went through node B (${log.sessionCallsViaB.join(', ') || 'none'})`);

  // A page of B may not use the rest of the owner's API.
  const refused = await page.evaluate(async ([base, token]) => {
    try {
      await fetch(`${base}/api/v1/instances`, { headers: { Authorization: `Bearer ${token}` } });
      return false;
    } catch {
      return true;
    }
  }, [daemon.base, daemon.token]);
  check(refused, 'Chromium refuses a cross-origin call to a non-WHEP route (no CORS)');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack);
} finally {
  if (browser) await browser.close();
  nodeB.close();
  await daemon.stop();
}
process.exit(0);
