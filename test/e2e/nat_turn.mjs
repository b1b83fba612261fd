// TURN: a browser that may only use relayed candidates (the player's relay option, as with
// ?ice=relay) plays and taps through a real coturn run with use-auth-secret, with the credentials
// the daemon made from [rtc] turn_secret and handed out in the WHEP answer's Link header. The
// router drops every forwarded UDP datagram between the browser and the daemon, so only the relay
// carries media (HTTP still passes).
import crypto from 'node:crypto';
import { startDaemon, createPattern, launchChromium, waitFor, check, fail } from './lib.mjs';
import { enterNat, nat, inNs, startCoturn, NAT_PAGE_JS, D_IP, R_B_IP, R_D_IP } from './natlib.mjs';

if (enterNat(import.meta.url)) process.exit(0);

const ns = nat();
const SECRET = 'nat-test-secret';
inNs(ns.r, 'iptables', '-A', 'FORWARD', '-p', 'udp', '-j', 'DROP');
const turn = startCoturn(ns.r, SECRET);
const daemon = await startDaemon(`public_ip = ${D_IP}\n` +
  `ice_servers = turn:${R_B_IP}:3478?transport=udp\nturn_secret = ${SECRET}\nturn_ttl_s = 600\n`,
{ listen: `${D_IP}:0`, netns: ns.d, network: false });
let browser;
try {
  await waitFor(() => /listener opened on/i.test(turn.log()) || /Total General servers/i.test(turn.log()),
    { what: 'coturn to listen', timeoutMs: 10000 }).catch(() => {});
  const id = await createPattern(daemon, { width: 640, height: 360, fps: 30 });

  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: NAT_PAGE_JS });
  page.on('console', (m) => { if (process.env.ANC_VERBOSE) console.error('page:', m.text()); });
  const t0 = Date.now();
  const loc = await page.evaluate(([i, t]) => window.nat.connect(i, t, true), [id, daemon.token]);
  const sid = loc.split('/').pop();
  // The player configured the Link header's server: username "<expiry>:<session id>" and
  // base64(HMAC-SHA1(secret, username)), as coturn's use-auth-secret checks.
  const servers = await page.evaluate(() => window.nat.player.pc.getConfiguration().iceServers);
  const srv = servers.find((x) => [].concat(x.urls).includes(`turn:${R_B_IP}:3478?transport=udp`));
  const m = srv && /^(\d+):(\S+)$/.exec(srv.username || '');
  const want = m && crypto.createHmac('sha1', SECRET).update(srv.username).digest('base64');
  const ttl = m && Number(m[1]) - Math.floor(Date.now() / 1000);
  check(m && m[2] === sid && ttl > 590 && ttl <= 600 && srv.credential === want,
    `the player uses the answer's Link header: username ${srv && srv.username}, credential matches, TTL ${ttl} s`);
  const s = await waitFor(async () => {
    const st = await page.evaluate(() => window.nat.stats());
    return st.video && st.video.framesDecoded >= 60 ? st : null;
  }, { timeoutMs: 20000, what: '60 decoded frames over TURN' });
  check(true, `60 frames decoded over TURN in ${Date.now() - t0} ms`);
  check(s.local && s.local.type === 'relay',
    `the selected pair is relayed (local ${JSON.stringify(s.local)}, remote ${JSON.stringify(s.remote)})`);
  check(s.local.address === R_D_IP, `the relayed address is coturn's relay address ${R_D_IP}`);
  check(/session .*: (new|usage|peer)|allocation|realm/i.test(turn.log()), 'coturn logged the allocation');

  await page.evaluate(() => window.nat.tap(0.5, 0.5));
  await page.evaluate(() => window.nat.tap(0.25, 0.75));
  const got = await waitFor(async () => {
    const x = await daemon.api('GET', `/api/v1/sessions/${sid}`);
    return x.json && x.json.input.messages >= 4 ? x.json.input : null;
  }, { what: '2 taps (4 touch messages) at the daemon' });
  check(got.messages === 4 && got.dropped === 0, `two taps arrived over the relayed data channel (${got.messages} messages)`);
} catch (e) {
  console.error(daemon.log());
  console.error(turn.log().slice(-4000));
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');
process.exit(0);
