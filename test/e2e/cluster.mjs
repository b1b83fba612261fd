// Many hosts, one API: 3 etcd members and 3 ancloudd nodes (a, b, c), each in a network
// namespace of its own on a test bridge (clusterlib.mjs), pattern instances, Chromium viewing.
// Placement spreads, any node answers, a killed node's instances run elsewhere within lease +
// 10 s, a node back from the dead runs nothing twice, one etcd member down changes nothing,
// etcd down keeps streams and refuses creates (503) until it is back, a name wins once.
import { enterCluster, startEtcd, startNode, gotoApp, TOKEN } from './clusterlib.mjs';
import { check, fail, waitFor, launchChromium, startX11Demo, VIEWER_JS } from './lib.mjs';

if (enterCluster(import.meta.url)) process.exit(0);
const LEASE = 3;
const etcd = startEtcd();
const nodes = [];
let browser;
const list = async (n) => (await n.api('GET', '/api/v1/instances')).json.instances;
const byId = async (n) => Object.fromEntries((await list(n)).map((x) => [x.id, x]));
const running = async (n) => n.metric('ancloud_instances_running');
try {
  await etcd.ready();
  for (let i = 0; i < 3; i++) nodes.push(await startNode(i, { lease: LEASE }));
  const [a, b, c] = nodes;
  const inSync = async (n) => { const r = (await n.api('GET', '/api/v1/nodes')).json; return r.nodes.length === 3 && r.in_sync; };
  await waitFor(async () => (await Promise.all(nodes.map(inSync))).every(Boolean), { what: 'three nodes live, as each sees it' });
  check(true, 'three etcd members and three nodes up, each in its own namespace');

  // Create 9 through a: spread over all three; start them through b; c lists them all running.
  const ids = [];
  for (let i = 0; i < 9; i++) {
    const r = await a.api('POST', '/api/v1/instances', { name: `p${i}`, kind: 'pattern', width: 320, height: 240, fps: 15 });
    if (r.status !== 201) fail(`create p${i}: ${r.status} ${r.text}`);
    ids.push(r.json.id);
  }
  const owners = Object.values(await byId(c)).map((x) => x.node);
  const per = { a: 0, b: 0, c: 0 };
  for (const o of owners) per[o]++;
  check(per.a === 3 && per.b === 3 && per.c === 3, `9 creates through a spread 3/3/3: ${JSON.stringify(per)}`);
  for (const id of ids) {
    const r = await b.api('POST', `/api/v1/instances/${id}/start`);
    if (r.status !== 200) fail(`start through b: ${r.status} ${r.text}`);
  }
  await waitFor(async () => (await list(c)).filter((x) => x.state === 'running').length === 9,
    { what: 'all 9 running, as seen from c' });
  check(true, 'c lists all 9 instances, running');
  const counts = await Promise.all(nodes.map(running));
  check(counts.join() === '3,3,3', `each node runs its 3 (ancloud_instances_running ${counts})`);
  const log = await b.api('GET', `/api/v1/instances/${ids.find((_, i) => owners[i] !== 'b') ?? ids[0]}/log`);
  check(log.status === 200 && log.headers.get('x-ancloud-node') !== null,
    `the log of an instance of another node, through b: ${log.status} from ${log.headers.get('x-ancloud-node')}`);

  // A name wins once, even when two nodes create it at the same moment.
  const same = await Promise.all([a, b].map((n) => n.api('POST', '/api/v1/instances', { name: 'twin', kind: 'pattern' })));
  const st = same.map((r) => r.status).sort();
  check(st.join() === '201,409', `the same name created on a and b at once: ${st.join(' and ')}`);

  // The bundled player, loaded from b, views an instance of c: b answers its WHEP offer 307 to
  // c, Chromium follows, the video and input channel go to c; a tap reaches c's input counter.
  const onC = Object.values(await byId(a)).filter((x) => x.node === 'c').map((x) => x.id);
  const ch = await launchChromium();
  browser = ch.browser;
  const pp = await ch.context.newPage();
  const seen = { locations: [] };
  seen.responses = [];
  pp.on('response', (r) => {
    if (r.status() === 307) seen.locations.push(r.headers().location);
    if (r.url().includes('/whep')) seen.responses.push(`${Date.now() % 100000} ${r.status()} ${r.url().split('?')[0]}`);
  });
  pp.on('requestfailed', (r) => seen.responses.push(`${Date.now() % 100000} failed ${r.url().split('?')[0]} ${r.failure()?.errorText}`));
  const card = `.card[data-id="${onC[0]}"] button:has-text("View")`;
  await gotoApp(pp, `${b.base}/#token=${TOKEN}`, card);
  const cardText = await pp.textContent(`.card[data-id="${onC[0]}"]`);
  check(cardText.includes(" on c") && (await pp.$$(".card")).length === 10,
    `b's dashboard shows all 10 instances, this one "on c": ${cardText} (${(await pp.$$('.card')).length})`);
  await pp.click(card);
  const shown = () => pp.evaluate(() => {
    const v = document.getElementById('video');
    return v.videoWidth > 0 ? v.getVideoPlaybackQuality().totalVideoFrames : 0;
  });
  await waitFor(async () => (await shown()) > 10, { what: 'the player to play through the 307', timeoutMs: 20000 });
  check(seen.locations.length === 1 && new URL(seen.locations[0]).origin === c.base,
    `the player's offer to b was answered 307 to c (${seen.locations[0]?.split('?')[0]}) and it plays`);
  await waitFor(() => pp.evaluate(() => document.getElementById('control-state').dataset.you === '1'),
    { what: 'the page to hold control' });
  const taps0 = await c.metric('ancloud_input_messages_total');
  const box = await pp.locator('#video').boundingBox();
  for (let i = 0; i < 3; i++) await pp.mouse.click(box.x + box.width * (0.3 + 0.2 * i), box.y + box.height / 2);
  await waitFor(async () => (await c.metric('ancloud_input_messages_total')) >= taps0 + 6, { what: 'the taps at c' });
  check(true, `3 taps on the page reached c (input messages ${taps0} → ${await c.metric('ancloud_input_messages_total')})`);

  // Kill -9 c: its instances run on a or b within lease + 10 s.
  const t0 = Date.now();
  await c.stop({ keep: true, signal: 'SIGKILL' });
  await waitFor(async () => {
    const all = await byId(a);
    return onC.every((id) => all[id].node !== 'c' && all[id].state === 'running');
  }, { what: `c's instances running elsewhere`, timeoutMs: (LEASE + 10) * 1000, intervalMs: 100 });
  const failover = Date.now() - t0;
  const moved = await byId(b);
  check(onC.every((id) => moved[id].data_reset === true && moved[id].placements === 2),
    `c killed: its ${onC.length} instances run on ${[...new Set(onC.map((id) => moved[id].node))].join(' and ')} after ${failover} ms (lease ${LEASE} s), data_reset says their /data is new`);
  const moves = (await a.metric('ancloud_cluster_placed_again_total')) + (await b.metric('ancloud_cluster_placed_again_total'));
  check(moves === onC.length && (await a.metric('ancloud_cluster_nodes')) === 2,
    `/metrics: ${moves} placed again, ancloud_cluster_nodes 2`);
  // The player reconnects by itself: a new offer to b, answered there (201) or 307 to a.
  const offers = () => seen.responses.filter((x) => / 201 /.test(x));
  try {
    await waitFor(async () => offers().length >= 2, { what: 'a new session after the failover', timeoutMs: 30000 });
    const f1 = await shown();
    await waitFor(async () => (await shown()) > f1 + 10, { what: 'the new session to play', timeoutMs: 10000 });
  } catch (e) {
    console.error('WHEP responses', seen.responses);
    throw e;
  }
  const newOwner = moved[onC[0]].node;
  const last = offers().at(-1);
  check(last.includes(nodes[newOwner === 'a' ? 0 : 1].base),
    `the viewer reconnected by itself to ${newOwner}, the new owner (${last.split(' ').slice(1).join(' ')}), and plays ${Date.now() - t0} ms after the kill`);
  const afterKill = await Promise.all([a, b].map(running));
  check(afterKill[0] + afterKill[1] === 9, `a and b run all 9 (${afterKill})`);

  // c comes back on its old state: what is no longer its own is removed, nothing runs twice.
  const c2 = await startNode(2, { dir: c.dir, lease: LEASE });
  nodes[2] = c2;
  await waitFor(async () => (await c2.api('GET', '/api/v1/nodes')).json.nodes.length === 3, { what: 'c live again' });
  await waitFor(async () => (await c2.metric('ancloud_instances')) === 0, { what: 'c drops its stale copies' });
  const again = await Promise.all(nodes.map(running));
  check(again.reduce((x, y) => x + y) === 9 && again[2] === 0,
    `c back: its stale copies removed, nothing runs twice (running per node ${again})`);

  // A viewer on an instance of a (the page from a), kept through the etcd failures below.
  const mine = Object.values(await byId(a)).find((x) => x.node === 'a');
  const page = await ch.context.newPage();
  await page.goto(a.base + '/');
  await page.addScriptTag({ content: VIEWER_JS });
  const v = await page.evaluate(([e, t]) => window.whep(e, t), [`${a.base}/api/v1/instances/${mine.id}/whep`, a.token]);
  const frames = () => page.evaluate((i) => window.videoStats(i).then((s) => s?.framesDecoded ?? 0), v);
  await waitFor(async () => (await frames()) > 10, { what: 'frames in the viewer' });
  check(true, `a viewer plays ${mine.name} from a`);

  // One etcd member killed: creates, starts and lists still work.
  await etcd.members[0].kill();
  const r1 = await b.api('POST', '/api/v1/instances', { name: 'one-down', kind: 'pattern' });
  check(r1.status === 201, `one etcd member down: a create through b answers ${r1.status}`);
  const r1s = await c2.api('POST', `/api/v1/instances/${r1.json.id}/start`);
  await waitFor(async () => (await byId(a))[r1.json.id]?.state === 'running', { what: 'it runs, as a sees it' });
  check(r1s.status === 200, 'and it starts (through c) and runs');

  // etcd down: streams go on, creates are refused with 503; back: creates work again.
  await etcd.members[1].kill();
  await etcd.members[2].kill();
  const f0 = await frames();
  await new Promise((res) => setTimeout(res, 3000));
  const down = await a.api('POST', '/api/v1/instances', { name: 'etcd-down', kind: 'pattern' });
  const f1 = await frames();
  check(down.status === 503, `etcd down: create answers ${down.status}: ${down.json?.error?.message ?? down.text}`);
  check(f1 - f0 > 20, `etcd down: the viewer still plays (${f1 - f0} frames in 3 s)`);
  const still = await Promise.all(nodes.map(running));
  check(still.reduce((x, y) => x + y) === 10, `etcd down: every instance keeps running (${still})`);
  for (const m of etcd.members) m.start();
  const tBack = Date.now();
  await etcd.ready();
  const tReady = Date.now();
  await waitFor(async () => (await Promise.all(nodes.map(inSync))).every(Boolean),
    { what: 'every node in sync again', timeoutMs: 30000, intervalMs: 100 });
  check(true, `etcd back (healthy after ${tReady - tBack} ms): every node in sync again after ${Date.now() - tReady} ms more`);
  const again1 = await a.api('POST', '/api/v1/instances', { name: 'etcd-back', kind: 'pattern' });
  check(again1.status === 201, `and creates work again (${again1.status})`);
  const back = await Promise.all(nodes.map(running));
  check(back.reduce((x, y) => x + y) === 10, `and nothing was lost or doubled (${back})`);

  // Delete through c: gone everywhere, and from its owner.
  const del = await c2.api('DELETE', `/api/v1/instances/${ids[0]}`);
  check(del.status === 200, `delete through c: ${del.status} ${del.status === 200 ? "" : del.text + c2.log().slice(-3000)}`);
  await waitFor(async () => !(await byId(a))[ids[0]] && !(await byId(b))[ids[0]], { what: 'the record gone' });
  check((await etcd.range('/ancloud/')).every((kv) => !kv.key.includes(ids[0])), 'no key of it left in etcd');

  // An x11 instance (the demo app on its own Xvfb), created and started through c: a node that
  // does not run it hands out its screenshot, forwarded from the owner (a PNG, its ETag).
  const xid = await startX11Demo(c2, { name: 'x11demo', width: 360, height: 640, fps: 15 });
  await waitFor(async () => (await byId(a))[xid]?.state === 'running', { what: 'the x11 demo running', timeoutMs: 15000 });
  const xown = (await byId(a))[xid].node;
  const other = nodes.find((n) => n.name !== xown);
  const shot = await fetch(`${other.base}/api/v1/instances/${xid}/screenshot`, { headers: { Authorization: `Bearer ${TOKEN}` } });
  const png = Buffer.from(await shot.arrayBuffer());
  check(shot.status === 200 && shot.headers.get('content-type') === 'image/png' &&
    png.subarray(1, 4).toString() === 'PNG' && shot.headers.get('x-ancloud-node') === xown && shot.headers.get('etag'),
  `the x11 demo runs on ${xown}; its screenshot through ${other.name}: ${shot.status} ${png.length} bytes of PNG from ${shot.headers.get('x-ancloud-node')}`);
  const again304 = await fetch(`${other.base}/api/v1/instances/${xid}/screenshot`,
    { headers: { Authorization: `Bearer ${TOKEN}`, 'If-None-Match': shot.headers.get('etag') } });
  check([200, 304].includes(again304.status), `asked again with its ETag: ${again304.status}`);

  // Android needs a node with binder: none here, so the cluster says so.
  const android = await a.api('POST', '/api/v1/instances', { name: 'droid', kind: 'android', image: 'redroid' });
  check(android.status === 409 && /binder/.test(android.text), `an android instance: ${android.status} ${android.json?.error?.message}`);

  await browser.close();
  browser = null;
  const codes = [];
  for (const n of nodes.splice(0)) codes.push(await n.stop());
  check(codes.every((x) => x === 0), `every node exits 0 (${codes})`);
} catch (e) {
  for (const n of nodes) console.error(`--- node ${n.name}\n${n.log().slice(-6000)}`);
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
  for (const n of nodes) await n.stop();
  await etcd.stop();
}
