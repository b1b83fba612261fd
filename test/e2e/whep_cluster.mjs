// The real redirect of a cluster: one etcd member and two ancloudd nodes (a, b) in namespaces of
// their own (clusterlib.mjs). The web client is loaded from a; the instance runs on b. a answers
// the player's WHEP offer 307 to b, Chromium follows it, and the video, the input channel and
// the DELETE all go to b directly:
// - with the admin token: the Location carries a new one-minute redirect token (role control),
//   never the admin token;
// - with a share link's viewer token (issued through a, recorded on b, the owner): the Location
//   carries that token as it is, and b checks its record.
import { enterCluster, startEtcd, startNode, gotoApp, TOKEN } from './clusterlib.mjs';
import { check, fail, waitFor, launchChromium } from './lib.mjs';

if (enterCluster(import.meta.url)) process.exit(0);
const etcd = startEtcd({ count: 1 });
const nodes = [];
let browser;

// A page of a that views instance id (with the admin token, or a share link's token) and
// records its WHEP requests and DELETE answers.
async function openPlayer(context, a, id, share) {
  const page = await context.newPage();
  const seen = { offers: [], deletes: [] };
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url().includes('/whep')) seen.offers.push(r.url());
  });
  page.on('response', (r) => {
    if (r.status() === 307) seen.location = r.headers().location;
    if (r.request().method() === 'DELETE') seen.deletes.push({ url: r.url(), status: r.status() });
  });
  const view = `.card[data-id="${id}"] button:has-text("View")`;
  if (share) {
    await gotoApp(page, `${a.base}/#/view/${id}?t=${share}`, '#player:not([hidden])');
  } else {
    await gotoApp(page, `${a.base}/#token=${TOKEN}`, view);
    await page.click(view);
  }
  await waitFor(() => page.evaluate(() => {
    const v = document.getElementById('video');
    return v.videoWidth > 0 && v.getVideoPlaybackQuality().totalVideoFrames > 10;
  }), { what: 'the video to play', timeoutMs: 20000 });
  await waitFor(() => page.evaluate(() => document.getElementById('control-state').dataset.you !== undefined),
    { what: 'the input channel to open (control message)', timeoutMs: 10000 });
  return { page, seen };
}

try {
  await etcd.ready();
  for (let i = 0; i < 2; i++) nodes.push(await startNode(i, { etcd: etcd.urls }));
  const [a, b] = nodes;
  await waitFor(async () => (await a.api('GET', '/api/v1/nodes')).json.nodes.length === 2,
    { what: 'two nodes live' });
  let inst;
  for (let i = 0; i < 6 && !inst; i++) {
    const r = await a.api('POST', '/api/v1/instances', { name: `p${i}`, kind: 'pattern', width: 320, height: 240, fps: 15 });
    if (r.status !== 201) fail(`create: ${r.status} ${r.text}`);
    const got = (await a.api('GET', `/api/v1/instances/${r.json.id}`)).json;
    if (got.node === 'b') inst = got;
  }
  if (!inst) fail('no instance was placed on b');
  const s = await a.api('POST', `/api/v1/instances/${inst.id}/start`);
  if (s.status !== 200) fail(`start: ${s.status} ${s.text}`);
  await waitFor(async () => (await a.api('GET', `/api/v1/instances/${inst.id}`)).json.state === 'running',
    { what: 'the instance running on b' });
  check(true, `${inst.name} runs on b (${b.base}); the page comes from a (${a.base})`);

  const c0 = await launchChromium();
  browser = c0.browser;
  const admin = await openPlayer(c0.context, a, inst.id);
  const loc = new URL(admin.seen.location);
  check(admin.seen.offers.length === 2 && admin.seen.offers[0].startsWith(`${a.base}/`) &&
    loc.origin === b.base && loc.pathname === `/api/v1/instances/${inst.id}/whep` &&
    admin.seen.offers[1] === admin.seen.location,
  `a answered the offer 307 to b's same route, and Chromium followed it (${loc.origin})`);
  const redirectToken = loc.searchParams.get('token');
  check(redirectToken && !admin.seen.location.includes(TOKEN), 'the Location carries a token, not the admin token');
  const sessionsOf = async (n) => (await n.api('GET', '/api/v1/sessions')).json.sessions;
  const onB = await sessionsOf(b);
  check(onB.length === 1 && onB[0].role === 'control' && (await sessionsOf(a)).length === 0,
    `the session lives on b, opened by the redirect token (role ${onB[0]?.role}); none on a`);
  await waitFor(() => admin.page.evaluate(() => document.getElementById('control-state').dataset.you === '1'),
    { what: 'the admin page to hold control' });
  check(true, 'the admin page plays from b and holds control over its input channel');

  // A share link made through a (the owner, b, issues and records it).
  const tok = await a.api('POST', `/api/v1/instances/${inst.id}/tokens`, { role: 'view', ttl_s: 600 });
  check(tok.status === 201, `a view token issued through a (${tok.status})`);
  const ctx2 = await browser.newContext();
  const viewer = await openPlayer(ctx2, a, inst.id, tok.json.token);
  const vloc = new URL(viewer.seen.location);
  check(vloc.origin === b.base && vloc.searchParams.get('token') === tok.json.token,
    'the share link\'s token goes on to b as it is');
  const both = await sessionsOf(b);
  check(both.length === 2 && both.some((x) => x.role === 'view'), 'b has the viewer\'s session too (role view)');

  // Revoked (through a, at b): a new offer through a is refused by b.
  const rv = await a.api('DELETE', `/api/v1/instances/${inst.id}/tokens/${tok.json.id}`);
  check(rv.status === 200, `the view token revoked through a (${rv.status})`);
  await waitFor(async () => (await sessionsOf(b)).length === 1, { what: 'the viewer\'s session to end' });
  const refused = await viewer.page.evaluate(async ([url, t]) => {
    const r = await fetch(url, { method: 'POST', body: 'v=0\r\n',
      headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${t}` } });
    return r.status;
  }, [`${a.base}/api/v1/instances/${inst.id}/whep`, tok.json.token]);
  check(refused === 401, `a revoked token, redirected by a, is refused at b (${refused})`);

  // The admin page closes its player: the DELETE goes to b.
  await admin.page.click('#player-close');
  await waitFor(() => admin.seen.deletes.length > 0, { what: 'the player\'s DELETE' });
  const del = admin.seen.deletes[0];
  check(del.url.startsWith(`${b.base}/api/v1/sessions/`) && [200, 404].includes(del.status),
    `the player's DELETE went to b (${del.status})`);
  await waitFor(async () => (await sessionsOf(b)).length === 0, { what: 'no session left on b' });
} catch (e) {
  for (const n of nodes) console.error(`---- node ${n.name}\n${n.log()}`);
  fail(e.stack);
} finally {
  if (browser) await browser.close();
  for (const n of nodes) await n.stop();
  await etcd.stop();
}
process.exit(0);
