// A lossy, slow path: every UDP datagram between browser and daemon goes through a relay of the
// test's own that adds 25 ms each way (50 ms RTT), and 5 % are dropped each way (iptables
// statistic in the daemon's namespace). For 60 s the viewer must decode >= 20 fps and never show
// the same frame for more than 1 s; the figures (fps, freezes, longest gap, NACKs, PLIs, loss) are
// printed. NACK retransmission and PLI are what keep it smooth.
import path from 'node:path';
import { startDaemon, createPattern, launchChromium, waitFor, check, fail } from './lib.mjs';
import { enterNat, nat, inNs, spawnIn, NAT_PAGE_JS, D_IP, R_B_IP, R_D_IP } from './natlib.mjs';

if (enterNat(import.meta.url)) process.exit(0);

const ns = nat();
const SECONDS = Number(process.env.ANC_NAT_LOSS_SECONDS || 60);
const UDP_PORT = 8443;
inNs(ns.r, 'iptables', '-A', 'FORWARD', '-p', 'udp', '-j', 'DROP'); // only the relay carries UDP
for (const chain of ['INPUT', 'OUTPUT']) {
  inNs(ns.d, 'iptables', '-A', chain, '-p', 'udp', '-m', 'statistic', '--mode', 'random',
    '--probability', '0.05', '-j', 'DROP');
}
const relay = spawnIn(ns.r, process.execPath, [path.join(path.dirname(new URL(import.meta.url).pathname),
  'udp_delay_relay.mjs'), R_B_IP, String(UDP_PORT), D_IP, String(UDP_PORT), '25', R_D_IP]);
await waitFor(() => /relay ready/.test(relay.log()), { what: 'the relay' });
// The answer advertises the relay's address; the daemon itself is on D_IP.
const daemon = await startDaemon(`public_ip = ${R_B_IP}\nudp_port = ${UDP_PORT}\n`,
  { listen: `${D_IP}:0`, netns: ns.d, network: false });
let browser;
try {
  const id = await createPattern(daemon, { width: 640, height: 360, fps: 30 });
  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: NAT_PAGE_JS });
  await page.evaluate(([i, t]) => window.nat.connect(i, t, false), [id, daemon.token]);
  const s0 = await waitFor(async () => {
    const st = await page.evaluate(() => window.nat.stats());
    return st.video && st.video.framesDecoded >= 30 ? st : null;
  }, { timeoutMs: 20000, what: '30 decoded frames through the lossy relay' });
  check(s0.remote && s0.remote.address === R_B_IP, `media flows through the delay relay (${JSON.stringify(s0.remote)})`);
  await page.evaluate(() => window.nat.resetTiming());
  const t0 = Date.now();
  await new Promise((r) => setTimeout(r, SECONDS * 1000));
  const s1 = await page.evaluate(() => window.nat.stats());
  const timing = await page.evaluate(() => window.nat.timing);
  const secs = (Date.now() - t0) / 1000;
  const v0 = s0.video, v1 = s1.video;
  const fig = {
    seconds: Math.round(secs),
    decodedFps: +((v1.framesDecoded - v0.framesDecoded) / secs).toFixed(1),
    shownFps: +(timing.shown / secs).toFixed(1),
    longestGapMs: Math.round(timing.maxGap),
    freezes: v1.freezeCount - v0.freezeCount,
    freezeSeconds: +(v1.totalFreezesDuration - v0.totalFreezesDuration).toFixed(2),
    packetsReceived: v1.packetsReceived - v0.packetsReceived,
    packetsLost: v1.packetsLost - v0.packetsLost,
    nacks: v1.nackCount - v0.nackCount,
    plis: v1.pliCount - v0.pliCount,
  };
  console.log(`nat_loss figures (5 % loss each way, 50 ms RTT): ${JSON.stringify(fig)}`);
  check(fig.decodedFps >= 20, `decodes >= 20 fps (${fig.decodedFps})`);
  check(fig.longestGapMs <= 1000, `no freeze over 1 s (longest gap between shown frames ${fig.longestGapMs} ms)`);
  check(fig.nacks > 0, `losses were repaired by NACK (${fig.nacks} NACKs, ${fig.plis} PLIs)`);
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
relay.proc.kill('SIGTERM');
check(await daemon.stop() === 0, 'daemon exits 0');
process.exit(0);
