// End to end: a `pattern` instance streamed to headless Chromium over WHEP, inside a private
// network namespace. ICE, DTLS, SRTP and SCTP against a real browser; decoded frames counted by
// the browser; 1,000 input messages checked by the daemon; DELETE frees everything; an offer with
// an altered fingerprint never connects and is freed.
import fs from 'node:fs';
import { enterNetns, startDaemon, createPattern, launchChromium, VIEWER_JS, waitFor, check,
  fail, inputHash } from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);

const daemon = await startDaemon('[rtc]\npublic_ip = 127.0.0.1\nice_servers = stun:stun.example.org:3478\n' +
  'ice_servers = turn:turn.example.org:3478?transport=udp\n');
let browser;
try {
  const id = await createPattern(daemon);
  const fdsBefore = daemon.fdCount();
  ({ browser } = await launchChromium().then(async (b) => {
    const page = await b.context.newPage();
    await page.goto(daemon.base + '/');
    await page.addScriptTag({ content: VIEWER_JS });
    await run(page, id, fdsBefore);
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

async function run(page, id, fdsBefore) {
  const endpoint = `${daemon.base}/api/v1/instances/${id}/whep`;
  const t0 = Date.now();
  const vi = await page.evaluate(([e, t]) => window.whep(e, t), [endpoint, daemon.token]);
  await page.evaluate((i) => new Promise((resolve, reject) => {
    const pc = window.viewers[i].pc;
    const t = setTimeout(() => reject(new Error('not connected: ' + pc.connectionState)), 10000);
    const ok = () => { if (pc.connectionState === 'connected') { clearTimeout(t); resolve(); } };
    pc.onconnectionstatechange = ok;
    ok();
  }), vi);
  check(true, `ICE + DTLS connected in ${Date.now() - t0} ms`);

  const stats = await waitFor(async () => {
    const s = await page.evaluate((i) => window.videoStats(i), vi);
    return s && s.framesDecoded >= 150 ? s : null;
  }, { timeoutMs: 10000, what: '150 decoded frames' });
  check(stats.frameWidth === 720 && stats.frameHeight === 1280,
    `150 frames decoded at 720x1280 in ${Date.now() - t0} ms (got ${stats.frameWidth}x${stats.frameHeight})`);
  const first = await page.evaluate((i) => window.viewers[i].firstFrameMs, vi);
  check(first !== null, `first frame shown ${Math.round(first)} ms after the WHEP POST`);

  // 1,000 valid input messages (protocol v1 touch down/move) on the `input` channel, then five
  // malformed ones: the daemon receives all in order, drops the malformed and keeps serving.
  const messages = await page.evaluate(async (i) => {
    const dc = window.viewers[i].dc;
    if (dc.readyState !== 'open') await new Promise((r) => { dc.onopen = r; });
    const sent = [];
    const send = (m) => { dc.send(m); sent.push(Array.from(m)); };
    for (let n = 0; n < 1000; n++) {
      const m = new Uint8Array(9);
      const dv = new DataView(m.buffer);
      dv.setUint8(0, 1); dv.setUint8(1, n === 0 ? 0 : 1); dv.setUint8(2, 0);
      dv.setUint16(3, (n * 65) & 0xffff, true); dv.setUint16(5, (65535 - n * 7) & 0xffff, true);
      dv.setUint16(7, n, true);
      send(m);
    }
    send(new Uint8Array([1, 0, 0]));                    // short touch
    send(new Uint8Array([1, 9, 0, 0, 0, 0, 0, 0, 0]));   // bad action
    send(new Uint8Array([99, 1, 2, 3]));                 // unknown type
    send(new Uint8Array([3, 0xff, 0xfe]));               // text that is not UTF-8
    send(new Uint8Array(0));                             // empty
    return sent;
  }, vi);
  const sid = await page.evaluate((i) => window.viewers[i].sid, vi);
  const want = inputHash(messages);
  const got = await waitFor(async () => {
    const r = await daemon.api('GET', `/api/v1/sessions/${sid}`);
    return r.json && r.json.input.messages >= 1005 ? r.json.input : null;
  }, { what: '1,005 input messages at the daemon' });
  check(got.messages === 1005 && got.hash === want,
    `daemon received 1,000 valid + 5 malformed messages complete and in order (hash ${got.hash})`);
  check(got.dropped === 5, `the 5 malformed messages were counted and dropped (got ${got.dropped})`);
  check(await daemon.metric('ancloud_input_messages_total') === 1005, 'metrics count 1,005 input messages');
  check(await daemon.metric('ancloud_input_dropped_total') === 5, 'metrics count 5 dropped');
  const still = await page.evaluate((i) => window.videoStats(i), vi);
  await new Promise((r) => setTimeout(r, 500));
  check((await page.evaluate((i) => window.videoStats(i), vi)).framesDecoded > still.framesDecoded,
    'video keeps flowing after malformed input');

  // DELETE frees the session.
  const del = await daemon.api('DELETE', `/api/v1/sessions/${sid}`);
  check(del.status === 200, `DELETE session answers 200 (got ${del.status})`);
  check(await daemon.metric('ancloud_rtc_sessions') === 0, 'metrics show 0 sessions after DELETE');
  check((await daemon.api('GET', `/api/v1/sessions/${sid}`)).status === 404, 'deleted session is gone');
  check((await daemon.api('DELETE', `/api/v1/sessions/${sid}`)).status === 404, 'second DELETE is 404');
  await page.evaluate((i) => window.viewers[i].pc.close(), vi);
  await waitFor(() => daemon.fdCount() <= fdsBefore, { timeoutMs: 3000, what: 'fds back to the count before' })
    .catch((e) => { console.error(daemon.fdList()); throw e; });
  check(true, `no fds leaked (${daemon.fdCount()} open, ${fdsBefore} before the session)`);

  // An altered fingerprint: DTLS fails on our side, the session never connects and is freed.
  const bad = await page.evaluate(([e, t]) => window.whep(e, t, { alterFingerprint: true }),
    [endpoint, daemon.token]);
  const badSid = await page.evaluate((i) => window.viewers[i].sid, bad);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/sessions/${badSid}`)).status === 404,
    { timeoutMs: 15000, what: 'the session with the altered fingerprint to be freed' });
  const state = await page.evaluate((i) => window.viewers[i].pc.connectionState, bad);
  check(state !== 'connected', `altered fingerprint never connects (browser: ${state}) and is freed`);
  check(await daemon.metric('ancloud_rtc_sessions') === 0, 'metrics show 0 sessions');

  // The answer advertises [rtc] public_ip, and [rtc] ice_servers come as WHEP Link headers.
  const offerSdp = await page.evaluate((i) => window.viewers[i].pc.localDescription.sdp, vi);
  const w = await daemon.api('POST', `/api/v1/instances/${id}/whep`, offerSdp, 'application/sdp');
  check(w.status === 201 && /a=candidate:\S+ 1 udp \d+ 127\.0\.0\.1 \d+ typ host/.test(w.text),
    'the answer has a host candidate on the configured public_ip');
  const links = w.headers.get('link') || '';
  check(links.includes('<stun:stun.example.org:3478>; rel="ice-server"') &&
    links.includes('<turn:turn.example.org:3478?transport=udp>; rel="ice-server"'),
    `ice_servers are handed out as Link headers (${links})`);
  check(w.headers.get('content-type') === 'application/sdp', 'the answer is application/sdp');
  await daemon.api('DELETE', w.headers.get('location'));

  // [rtc] max_sessions (live on SIGHUP): one session, the next offer is turned away with 503.
  const confPath = `${daemon.dir}/ancloud.conf`;
  fs.writeFileSync(confPath, fs.readFileSync(confPath, 'utf8').replace('[rtc]\n', '[rtc]\nmax_sessions = 1\n'));
  daemon.proc.kill('SIGHUP');
  await waitFor(() => /SIGHUP: reloaded/.test(daemon.log()), { what: 'the reload' });
  const one = await daemon.api('POST', `/api/v1/instances/${id}/whep`, offerSdp, 'application/sdp');
  const two = await daemon.api('POST', `/api/v1/instances/${id}/whep`, offerSdp, 'application/sdp');
  check(one.status === 201 && two.status === 503 && two.json?.error?.message,
    `over [rtc] max_sessions → 503 (${two.status}: ${two.json?.error?.message})`);
  await daemon.api('DELETE', one.headers.get('location'));
  const three = await daemon.api('POST', `/api/v1/instances/${id}/whep`, offerSdp, 'application/sdp');
  check(three.status === 201, 'a freed session makes room again');
  await daemon.api('DELETE', three.headers.get('location'));

  // Error answers of the WHEP endpoint.
  const offer = 'v=0\r\n';
  check((await daemon.api('POST', `/api/v1/instances/${id}/whep`, offer, 'text/plain')).status === 415, 'wrong content type → 415');
  check((await daemon.api('POST', `/api/v1/instances/${id}/whep`, offer, 'application/sdp')).status === 400, 'bad SDP → 400');
  check((await daemon.api('POST', '/api/v1/instances/000000000000/whep', offer, 'application/sdp')).status === 404, 'unknown instance → 404');
  const noauth = await fetch(endpoint, { method: 'POST', body: offer, headers: { 'Content-Type': 'application/sdp' } });
  check(noauth.status === 401, 'no token → 401');
  await daemon.api('POST', `/api/v1/instances/${id}/stop`);
  check((await daemon.api('POST', `/api/v1/instances/${id}/whep`, offer, 'application/sdp')).status === 409, 'stopped instance → 409');
}
