// Viewer tokens and roles end to end, with a real guest (the SDL2 demo app as an x11 instance,
// which logs every touch it gets) and the real web client in Chromium:
// - viewer tokens for another instance, expired, tampered or revoked answer 401; a viewer token
//   opens nothing but its instance's WHEP and its own session;
// - a share link opens and plays without the admin token, which the page never stores, and the
//   token leaves the address bar;
// - a `view` page's taps never reach the app; the controller's do; control is handed from page A
//   to page B (A's taps stop arriving, B's arrive, every page shows it); revoking B's token
//   closes its session and control goes back to A;
// - a spectator's keyframe-request flood yields at most one keyframe a second;
// - tokens and revocations survive a daemon restart.
import fs from 'node:fs';
import { enterNetns, startDaemon, launchChromium, VIEWER_JS, waitFor, check, fail, startX11Demo }
  from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
if (!fs.existsSync(demo)) fail(`${demo} is not built`);
if (!fs.existsSync('/usr/bin/Xvfb')) fail('needs /usr/bin/Xvfb');

const W = 360, H = 640;
let daemon = await startDaemon();
let browser;

async function token(instId, role, ttl = 600) {
  const r = await daemon.api('POST', `/api/v1/instances/${instId}/tokens`, { role, ttl_s: ttl });
  if (r.status !== 201) throw new Error(`token: ${r.status} ${r.text}`);
  return r.json;
}

// A WHEP POST with a viewer token and a throwaway body: 401 means the token was refused; any other
// status (400 for the body, 409 for a stopped instance) means it was accepted.
async function whepStatus(instId, tok) {
  const res = await fetch(`${daemon.base}/api/v1/instances/${instId}/whep`, {
    method: 'POST', body: 'v=0\r\n',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${tok}` },
  });
  await res.text();
  return res.status;
}

async function asViewer(method, path, tok) {
  const res = await fetch(daemon.base + path, { method, headers: { Authorization: `Bearer ${tok}` } });
  await res.text();
  return res.status;
}

try {
  const id = await startX11Demo(daemon, { width: W, height: H });
  const other = (await daemon.api('POST', '/api/v1/instances',
    { name: 'other', kind: 'pattern', width: 64, height: 64, fps: 5 })).json.id;
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'running',
    { what: 'instance running' });
  const appLog = async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;
  const downs = async () => ((await appLog()).match(/"event":"down"/g) || []).length;
  await waitFor(async () => (await appLog()).includes('"event":"ready"'), { what: 'the app to be ready' });

  // ---- Hostile tokens ----
  const view = await token(id, 'view');
  const ctlA = await token(id, 'control');
  const ctlB = await token(id, 'control');
  const otherTok = await token(other, 'control');
  const short = await token(id, 'control', 1);
  check(view.token.length <= 160 && /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/.test(view.token),
    `a viewer token is compact base64url (${view.token.length} chars)`);
  const listed = (await daemon.api('GET', `/api/v1/instances/${id}/tokens`)).json.tokens;
  check(listed.length === 4 && !JSON.stringify(listed).includes(view.token.split('.')[1]) &&
    listed.every((t) => t.id && t.role && t.expires_at && !t.token),
  'GET tokens lists id, role, expires_at of each, never the token text');
  check(await whepStatus(id, view.token) === 400, 'a view token opens its instance\'s WHEP (400: the dummy offer)');
  check(await whepStatus(id, otherTok.token) === 401, 'a token of another instance → 401');
  const [claims, mac] = view.token.split('.');
  const flip = (s, i) => s.slice(0, i) + (s[i] === 'A' ? 'B' : 'A') + s.slice(i + 1);
  check(await whepStatus(id, `${flip(claims, 10)}.${mac}`) === 401, 'tampered claims → 401');
  check(await whepStatus(id, `${claims}.${flip(mac, 5)}`) === 401, 'tampered MAC → 401');
  // The other instance's claims with this instance's id put in and the MAC kept: still refused.
  const forged = Buffer.from(Buffer.from(otherTok.token.split('.')[0], 'base64url').toString()
    .replace(other, id)).toString('base64url');
  check(await whepStatus(id, `${forged}.${otherTok.token.split('.')[1]}`) === 401, 'another instance\'s token re-labelled → 401');
  await new Promise((res) => setTimeout(res, 2100));
  check(await whepStatus(id, short.token) === 401, 'an expired token → 401');
  check(await asViewer('GET', '/api/v1/instances', ctlA.token) === 401, 'a viewer token does not open the REST API');
  check(await asViewer('GET', `/api/v1/instances/${id}/tokens`, ctlA.token) === 401, 'a viewer token cannot list tokens');
  check(await asViewer('GET', '/metrics', ctlA.token) === 401, 'a viewer token does not open /metrics');

  // ---- Share links in the real page ----
  const b = await launchChromium();
  browser = b.browser;
  const open = async (tok) => {
    const ctx = await browser.newContext({ permissions: ['camera', 'microphone'] });
    const page = await ctx.newPage();
    await page.goto(`${daemon.base}/#/view/${id}?t=${tok.token}`);
    await waitFor(() => page.evaluate(() => document.getElementById('video').videoWidth > 0),
      { what: 'the shared view to play', timeoutMs: 15000 });
    const sid = await waitFor(() => page.evaluate(() =>
      (document.getElementById('my-session').textContent.match(/[0-9a-f]{16}/) || [])[0]),
    { what: 'the page\'s session id' });
    return { page, sid };
  };
  const controlOf = (p) => p.page.evaluate(() => {
    const s = document.getElementById('control-state');
    return { you: s.dataset.you, controller: s.dataset.controller, text: s.textContent };
  });
  const tapOn = async (p) => {
    const box = await p.page.locator('#video').boundingBox();
    await p.page.mouse.click(box.x + box.width * 0.5, box.y + box.height * 0.6);
  };
  // Taps from p: do they reach the app? (waits long enough for one to arrive when it does)
  const tapArrives = async (p) => {
    const before = await downs();
    await tapOn(p);
    try {
      await waitFor(async () => (await downs()) > before, { what: 'a tap', timeoutMs: 3000 });
      return true;
    } catch {
      return false;
    }
  };

  // The dashboard makes share links: Share on the card, role and validity, Create link, Copy.
  const admin = await b.context.newPage();
  await admin.goto(`${daemon.base}/#token=${daemon.token}`);
  await admin.click('button[aria-label="Share demo"]');
  await admin.selectOption('#share-role', 'view');
  await admin.selectOption('#share-ttl', '600');
  await admin.click('#share-create');
  const link = await waitFor(() => admin.evaluate(() => document.getElementById('share-link').value),
    { what: 'the share link' });
  check(link.startsWith(`${daemon.base}/#/view/${id}?t=`), `the dashboard made a share link (${link.slice(0, 60)}…)`);
  const fromPage = { token: link.split('?t=')[1] };
  const shared = (await daemon.api('GET', `/api/v1/instances/${id}/tokens`)).json.tokens;
  check(shared.length === 4 && shared.some((t) => t.role === 'view' && t.expires_at - Date.now() / 1000 > 590),
    'it is a 10-minute view token');
  await waitFor(() => admin.evaluate(() => document.querySelectorAll('#share-tokens li').length === 4),
    { what: 'the panel to list the tokens' });
  await admin.close();

  // A fresh browser context: nothing in localStorage but what the share link brings.
  const V = await open(fromPage);
  check(true, `the view share link plays (session ${V.sid})`);
  const state = await V.page.evaluate(() => ({ href: location.href, admin: localStorage.getItem('ancloud.token') }));
  check(!state.href.includes('t=') && !state.href.includes(fromPage.token.split('.')[0]) &&
    state.href.endsWith(`#/view/${id}`),
    `the token is gone from the address bar (${state.href.replace(daemon.base, '')})`);
  check(state.admin === null, 'the page holds no admin token');
  await waitFor(async () => (await controlOf(V)).text === 'Nobody has control', { what: 'V: nobody has control' });
  // A view page sends no input at all (the daemon would refuse it), and its input buttons are
  // greyed out; the control pages below have them.
  const INPUT_BUTTONS = ['#keyboard', '#paste', 'button[data-key=back]', 'button[data-key=home]',
    'button[data-key=recents]'];
  const buttonsOf = (p) => p.page.evaluate((sels) => sels.map((q) => {
    const el = document.querySelector(q);
    return { q, disabled: el.disabled, title: el.title };
  }), INPUT_BUTTONS);
  const vb = await buttonsOf(V);
  check(vb.every((x) => x.disabled && /view-only/.test(x.title)),
    `the view page greys out its input buttons (${vb.filter((x) => x.disabled).length}/${vb.length}: "${vb[0].title}")`);
  check(!(await tapArrives(V)), 'a view page\'s tap never reaches the app');
  await V.page.keyboard.type('ab');
  await V.page.keyboard.press('Enter');
  await V.page.evaluate(() => document.querySelector('button[data-key=back]').click());
  await V.page.evaluate(() => document.getElementById('paste').click());
  await new Promise((res) => setTimeout(res, 500));
  const vs = (await daemon.api('GET', `/api/v1/sessions/${V.sid}`)).json;
  check(vs.role === 'view' && vs.input.messages === 0 && vs.input.refused === 0,
    `and sends none: a tap, keys, Back and Paste later the daemon got ${vs.input.messages} messages ` +
    `(${vs.input.refused} refused)`);

  const A = await open(ctlA);
  await waitFor(async () => (await controlOf(A)).you === '1', { what: 'A to hold control' });
  await waitFor(async () => (await controlOf(V)).controller === A.sid, { what: 'V to show A has control' });
  check(true, `the first control page holds control; the view page shows "${(await controlOf(V)).text}"`);
  check(await tapArrives(A), 'the controller\'s tap reaches the app');
  const ab = await buttonsOf(A);
  check(ab.every((x) => !x.disabled), 'a control page\'s input buttons are not greyed out');

  const B = await open(ctlB);
  await waitFor(async () => (await controlOf(B)).controller === A.sid, { what: 'B to show A has control' });
  check((await controlOf(B)).you === '0' && !(await tapArrives(B)), 'a second control page watches; its taps do not arrive');
  check(await asViewer('POST', `/api/v1/sessions/${A.sid}/control`, ctlB.token) === 403,
    'B cannot take control itself (403)');
  check(await asViewer('POST', `/api/v1/sessions/${V.sid}/control`, ctlA.token) === 409,
    'control cannot go to a view session (409)');
  check(await asViewer('POST', `/api/v1/sessions/${B.sid}/control`, otherTok.token) === 401,
    'a token of another instance cannot hand control (401)');
  check(await asViewer('DELETE', `/api/v1/sessions/${A.sid}`, view.token) === 401,
    'a viewer token cannot delete another\'s session (401)');

  // Hand-off from A's page to B.
  await A.page.fill('#give-control-sid', B.sid);
  await A.page.click('#give-control button[type=submit]');
  await waitFor(async () => (await controlOf(B)).you === '1', { what: 'B to hold control' });
  await waitFor(async () => (await controlOf(A)).you === '0' && (await controlOf(A)).controller === B.sid,
    { what: 'A to show B has control' });
  await waitFor(async () => (await controlOf(V)).controller === B.sid, { what: 'V to show B has control' });
  check(true, `hand-off: every page shows B has control ("${(await controlOf(A)).text}")`);
  check(!(await tapArrives(A)), 'after the hand-off A\'s taps stop arriving');
  check(await tapArrives(B), 'and B\'s arrive');

  // A keyframe-request flood from the spectator (control op 1, the PLI path): ≤ 1 keyframe/s.
  const flood = await b.context.newPage();
  await flood.goto(daemon.base + '/');
  await flood.addScriptTag({ content: VIEWER_JS });
  const fv = await flood.evaluate(([e, t]) => window.whep(e, t), [`${daemon.base}/api/v1/instances/${id}/whep`, view.token]);
  await waitFor(() => flood.evaluate((i) => window.viewers[i].dc.readyState === 'open', fv), { what: 'the flood channel' });
  const kf0 = (await daemon.api('GET', `/api/v1/instances/${id}`)).json.stream.keyframes;
  const merged0 = await daemon.metric('ancloud_keyframe_requests_coalesced_total');
  const t0 = Date.now();
  await flood.evaluate(async (i) => {
    const dc = window.viewers[i].dc;
    for (let k = 0; k < 300; k++) {
      dc.send(new Uint8Array([5, 1]));
      await new Promise((r) => setTimeout(r, 10));
    }
  }, fv);
  const secs = (Date.now() - t0) / 1000;
  await new Promise((res) => setTimeout(res, 300));
  const kf = (await daemon.api('GET', `/api/v1/instances/${id}`)).json.stream.keyframes - kf0;
  const merged = (await daemon.metric('ancloud_keyframe_requests_coalesced_total')) - merged0;
  check(kf <= Math.ceil(secs) + 1 && merged >= 250,
    `a 300-request flood over ${secs.toFixed(1)} s: ${kf} keyframes, ${merged} requests coalesced`);

  // Revoking B's token closes its session; control passes back to A.
  const rv = await daemon.api('DELETE', `/api/v1/instances/${id}/tokens/${ctlB.id}`);
  check(rv.status === 200 && rv.json.sessions_closed === 1, `revoke → 200, ${rv.json?.sessions_closed} session closed`);
  check((await daemon.api('GET', `/api/v1/sessions/${B.sid}`)).status === 404, 'the revoked token\'s session is gone');
  check(await whepStatus(id, ctlB.token) === 401, 'a revoked token → 401');
  await waitFor(async () => (await controlOf(A)).you === '1', { what: 'control back to A' });
  check(true, 'control passes to the next control-capable viewer');
  await browser.close();
  browser = null;

  // Tokens and revocations survive a restart.
  check(await daemon.stop({ keep: true }) === 0, 'daemon stops');
  daemon = await startDaemon('', { dir: daemon.dir });
  check(await whepStatus(id, view.token) !== 401 && await whepStatus(id, ctlA.token) !== 401,
    'after a restart the tokens still open WHEP');
  check(await whepStatus(id, ctlB.token) === 401, 'and the revoked one stays refused');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');
