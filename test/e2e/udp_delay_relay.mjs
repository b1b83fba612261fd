// A UDP relay with a fixed delay each way, for the NAT loss test (this kernel has no netem):
//   node udp_delay_relay.mjs LISTEN_IP LISTEN_PORT TARGET_IP TARGET_PORT DELAY_MS UPSTREAM_IP
// Datagrams to LISTEN go to TARGET after DELAY_MS from one upstream socket per client (bound to
// UPSTREAM_IP), and the target's answers go back to that client after DELAY_MS: a NAT with
// latency. Prints "relay ready" once listening and counts on SIGTERM.
import dgram from 'node:dgram';

const [listenIp, listenPort, targetIp, targetPort, delayMs, upstreamIp] = process.argv.slice(2);
const delay = Number(delayMs);
const front = dgram.createSocket('udp4');
const clients = new Map();
let up = 0, down = 0;

function upstreamFor(addr, port) {
  const key = `${addr}:${port}`;
  let s = clients.get(key);
  if (!s) {
    s = dgram.createSocket('udp4');
    s.bind(0, upstreamIp);
    s.on('message', (msg) => { down++; setTimeout(() => front.send(msg, port, addr), delay); });
    clients.set(key, s);
  }
  return s;
}

front.on('message', (msg, rinfo) => {
  up++;
  const s = upstreamFor(rinfo.address, rinfo.port);
  setTimeout(() => s.send(msg, Number(targetPort), targetIp), delay);
});
front.bind(Number(listenPort), listenIp, () => console.log('relay ready'));
process.on('SIGTERM', () => { console.log(`relay: ${up} up, ${down} down`); process.exit(0); });
