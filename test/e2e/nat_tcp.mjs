// ICE-TCP: a browser whose namespace drops every UDP datagram plays and taps over a passive TCP
// candidate on [rtc] tcp_port (RFC 6544, RFC 4571 framing); getStats shows a tcp pair. Then the
// port's defences: garbage is cut off at once, a silent connection after the ICE deadline, and
// connections past the cap are refused.
import net from 'node:net';
import { startDaemon, createPattern, launchChromium, waitFor, check, fail } from './lib.mjs';
import { enterNat, nat, inNs, NAT_PAGE_JS, D_IP } from './natlib.mjs';

if (enterNat(import.meta.url)) process.exit(0);

const ns = nat();
const TCP_PORT = 8443;
for (const chain of ['INPUT', 'OUTPUT']) inNs(ns.b, 'iptables', '-A', chain, '-p', 'udp', '-j', 'DROP');
// max_sessions 1: the daemon takes 2 * (1 + 8) = 18 ICE-TCP connections at once.
const daemon = await startDaemon(`public_ip = ${D_IP}\ntcp_port = ${TCP_PORT}\nmax_sessions = 1\n`,
  { listen: `${D_IP}:0`, netns: ns.d, network: false });
let browser;
try {
  const id = await createPattern(daemon, { width: 640, height: 360, fps: 30 });
  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: NAT_PAGE_JS });
  const t0 = Date.now();
  const loc = await page.evaluate(([i, t]) => window.nat.connect(i, t, false), [id, daemon.token]);
  const sid = loc.split('/').pop();
  const s = await waitFor(async () => {
    const st = await page.evaluate(() => window.nat.stats());
    return st.video && st.video.framesDecoded >= 60 ? st : null;
  }, { timeoutMs: 20000, what: '60 decoded frames over ICE-TCP' });
  check(true, `60 frames decoded with UDP blocked in ${Date.now() - t0} ms`);
  check(s.local && s.local.protocol === 'tcp' && s.remote.protocol === 'tcp' &&
    s.remote.port === TCP_PORT && s.remote.address === D_IP,
  `the selected pair is tcp (local ${JSON.stringify(s.local)}, remote ${JSON.stringify(s.remote)})`);
  await page.evaluate(() => window.nat.tap(0.5, 0.5));
  const got = await waitFor(async () => {
    const x = await daemon.api('GET', `/api/v1/sessions/${sid}`);
    return x.json && x.json.input.messages >= 2 ? x.json.input : null;
  }, { what: 'a tap at the daemon' });
  check(got.messages === 2, 'a tap arrived over the data channel on ICE-TCP');
  const a = (await page.evaluate(() => window.nat.stats())).video.framesDecoded;
  await new Promise((r) => setTimeout(r, 2000));
  const z = (await page.evaluate(() => window.nat.stats())).video.framesDecoded;
  check(z - a >= 40, `video keeps flowing over TCP (${z - a} frames in 2 s)`);

  // Garbage (an HTTP request: its first two bytes announce an 18,245-byte frame) is cut off.
  const closedAfter = (sock) => new Promise((r) => {
    const t = Date.now();
    sock.on('error', () => {});
    sock.on('close', () => r(Date.now() - t));
  });
  const g = net.connect(TCP_PORT, D_IP, () => g.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  const gMs = await closedAfter(g);
  check(gMs < 2000, `a connection that sends garbage is closed (${gMs} ms)`);
  // A valid frame that is not STUN before ICE: closed too.
  const d = net.connect(TCP_PORT, D_IP, () => d.write(Buffer.from([0, 4, 0x80, 0, 0, 0])));
  const dMs = await closedAfter(d);
  check(dMs < 2000, `RTP before ICE is closed (${dMs} ms)`);
  // Silent connections: the first 17 fit (the browser holds one), the rest are refused at once,
  // and the 17 are closed after the ICE deadline (10 s).
  const idle = [];
  for (let i = 0; i < 20; i++) {
    const c = net.connect(TCP_PORT, D_IP);
    idle.push({ c, closed: closedAfter(c).then((ms) => ms) });
  }
  const times = await Promise.all(idle.map((x) => x.closed));
  const quick = times.filter((ms) => ms < 2000).length;
  const late = times.filter((ms) => ms >= 9000 && ms < 13000).length;
  check(quick >= 3 && quick + late === 20,
    `over the cap: ${quick} refused at once; ${late} silent ones closed after the ICE deadline (${Math.min(...times.filter((ms) => ms >= 2000))}–${Math.max(...times)} ms)`);
  const still = (await page.evaluate(() => window.nat.stats())).video.framesDecoded;
  await new Promise((r) => setTimeout(r, 1000));
  check((await page.evaluate(() => window.nat.stats())).video.framesDecoded > still,
    'the viewer kept playing through all that');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');
process.exit(0);
