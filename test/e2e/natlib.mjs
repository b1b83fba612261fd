// Harness of the NAT tests: three private network namespaces the test creates and removes,
//   browser (B, 10.71.1.2) — router (R, 10.71.1.1 | 10.71.2.1) — daemon (D, 10.71.2.2),
// the router forwarding between them (TURN server or UDP relay run in R). The calling script is
// re-run inside B, where Chromium starts; the daemon is started in D with nsenter. Nothing is
// added to the machine's own namespace and no packet leaves these namespaces.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { CHROMIUM, skip, fail } from './lib.mjs';

export const B_IP = '10.71.1.2';
export const R_B_IP = '10.71.1.1';
export const R_D_IP = '10.71.2.1';
export const D_IP = '10.71.2.2';

// In the parent: builds the namespaces, runs the script in B, removes everything; returns true
// (the parent must then stop). In B: returns false and the names are in nat().
export function enterNat(scriptUrl) {
  if (process.env.ANC_NAT_B) return false;
  if (process.getuid() !== 0) skip('needs root (ip netns)');
  if (!fs.existsSync(CHROMIUM)) skip(`needs ${CHROMIUM} (Debian package chromium)`);
  const base = `anc-nat-${process.pid}`;
  const ns = { b: `${base}-b`, r: `${base}-r`, d: `${base}-d` };
  const ip = (...args) => spawnSync('ip', args, { stdio: 'inherit' }).status === 0;
  let status = 1;
  const made = [];
  try {
    for (const n of Object.values(ns)) {
      if (!ip('netns', 'add', n)) skip('cannot create a network namespace');
      made.push(n);
      ip('-n', n, 'link', 'set', 'lo', 'up');
    }
    // Each veth is created directly in its two namespaces, never in the machine's own.
    const link = (a, aIf, aIp, b, bIf, bIp) => {
      ip('link', 'add', aIf, 'netns', a, 'type', 'veth', 'peer', 'name', bIf, 'netns', b);
      ip('-n', a, 'addr', 'add', `${aIp}/24`, 'dev', aIf);
      ip('-n', b, 'addr', 'add', `${bIp}/24`, 'dev', bIf);
      ip('-n', a, 'link', 'set', aIf, 'up');
      ip('-n', b, 'link', 'set', bIf, 'up');
    };
    link(ns.b, 'b0', B_IP, ns.r, 'rb', R_B_IP);
    link(ns.d, 'd0', D_IP, ns.r, 'rd', R_D_IP);
    ip('-n', ns.b, 'route', 'add', 'default', 'via', R_B_IP);
    ip('-n', ns.d, 'route', 'add', 'default', 'via', R_D_IP);
    spawnSync('ip', ['netns', 'exec', ns.r, 'sysctl', '-qw', 'net.ipv4.ip_forward=1'], { stdio: 'inherit' });
    const env = { ...process.env, ANC_IN_NETNS: ns.b, ANC_NAT_B: ns.b, ANC_NAT_R: ns.r, ANC_NAT_D: ns.d };
    status = runScriptIn(ns.b, scriptUrl, env);
  } finally {
    removeNamespaces(made);
  }
  process.exit(status);
}

export function nat() {
  return { b: process.env.ANC_NAT_B, r: process.env.ANC_NAT_R, d: process.env.ANC_NAT_D };
}

// Re-runs the calling script inside namespace n with env; returns its exit status.
export function runScriptIn(n, scriptUrl, env) {
  const argv = [process.execPath, new URL(scriptUrl).pathname, ...process.argv.slice(2)];
  return spawnSync('ip', ['netns', 'exec', n, ...argv], { stdio: 'inherit', env }).status ?? 1;
}

// Whatever a test started in its namespaces and left behind (by pid), then the namespaces.
export function removeNamespaces(names) {
  for (const n of names) {
    const pids = spawnSync('ip', ['netns', 'pids', n], { encoding: 'utf8' }).stdout.split(/\s+/).filter(Boolean);
    for (const p of pids) { try { process.kill(Number(p), 'SIGKILL'); } catch { /* gone */ } }
    spawnSync('ip', ['netns', 'del', n], { stdio: 'inherit' });
  }
}

// Runs a command in a namespace's network (iptables rules, sysctl); fails the test on error.
export function inNs(n, ...cmd) {
  const r = spawnSync('nsenter', [`--net=/run/netns/${n}`, ...cmd], { encoding: 'utf8' });
  if (r.status !== 0) fail(`${cmd.join(' ')} in ${n}: ${r.stderr}`);
  return r.stdout;
}

// Starts a long-running process in a namespace; killed when the test exits.
export function spawnIn(n, cmd, args, { verbose = false } = {}) {
  const proc = spawn('nsenter', [`--net=/run/netns/${n}`, cmd, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const add = (d) => { log += d; if (verbose || process.env.ANC_VERBOSE) process.stderr.write(d); };
  proc.stdout.on('data', add);
  proc.stderr.on('data', add);
  process.on('exit', () => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL'); });
  return { proc, log: () => log };
}

// coturn (Debian's turnserver) in R with the TURN REST API scheme: use-auth-secret.
export function startCoturn(r, secret) {
  return spawnIn(r, '/usr/bin/turnserver', ['-n', '--log-file=stdout', '--simple-log',
    `--listening-ip=${R_B_IP}`, `--relay-ip=${R_D_IP}`, '--listening-port=3478',
    '--use-auth-secret', `--static-auth-secret=${secret}`, '--realm=ancloud.test',
    '--fingerprint', '--no-tls', '--no-dtls', '--no-cli', '--no-multicast-peers',
    '--min-port=49152', '--max-port=49999', '--pidfile=/dev/null']);
}

// In-page helpers on top of the real web player (web/js/player.js): window.nat.connect(id,
// relay) builds a Player with a <video>, window.nat.stats() the selected candidate pair and the
// inbound video figures, and rVFC-based timings (frames shown, longest gap between two).
export const NAT_PAGE_JS = `
window.nat = {
  async connect(id, token, relay) {
    localStorage.setItem('ancloud.token', token);
    const { Player } = await import('/js/player.js');
    const video = document.createElement('video');
    video.muted = true; video.autoplay = true; video.playsInline = true;
    document.body.appendChild(video);
    const t = { shown: 0, last: 0, maxGap: 0, first: 0 };
    this.timing = t;
    const onFrame = (now) => {
      if (t.last) t.maxGap = Math.max(t.maxGap, now - t.last); else t.first = now;
      t.last = now; t.shown++;
      video.requestVideoFrameCallback(onFrame);
    };
    video.requestVideoFrameCallback(onFrame);
    this.player = new Player(video, () => {}, () => {}, { relay });
    await this.player.connect(id);
    return this.player.location;
  },
  resetTiming() { Object.assign(this.timing, { shown: 0, last: 0, maxGap: 0 }); },
  async stats() {
    const stats = await this.player.pc.getStats();
    const out = { pair: null, local: null, remote: null, video: null };
    let pairId = null;
    stats.forEach((s) => { if (s.type === 'transport' && s.selectedCandidatePairId) pairId = s.selectedCandidatePairId; });
    stats.forEach((s) => {
      if (s.type === 'candidate-pair' && (s.id === pairId || (!pairId && s.nominated && s.state === 'succeeded'))) out.pair = s;
      if (s.type === 'inbound-rtp' && s.kind === 'video') {
        out.video = { framesDecoded: s.framesDecoded || 0, packetsLost: s.packetsLost || 0,
          packetsReceived: s.packetsReceived || 0, nackCount: s.nackCount || 0, pliCount: s.pliCount || 0,
          freezeCount: s.freezeCount || 0, totalFreezesDuration: s.totalFreezesDuration || 0,
          frameWidth: s.frameWidth || 0 };
      }
    });
    if (out.pair) {
      const l = stats.get(out.pair.localCandidateId), r = stats.get(out.pair.remoteCandidateId);
      out.local = l && { type: l.candidateType, protocol: l.protocol, address: l.address, port: l.port,
        relayProtocol: l.relayProtocol };
      out.remote = r && { type: r.candidateType, protocol: r.protocol, address: r.address, port: r.port,
        tcpType: r.tcpType };
      out.pair = { state: out.pair.state, bytesReceived: out.pair.bytesReceived };
    }
    return out;
  },
  // A tap (protocol v1 touch down then up) through the player's input channel.
  async tap(nx, ny) {
    const dc = this.player.channel;
    if (dc.readyState !== 'open') await new Promise((r) => { dc.addEventListener('open', r, { once: true }); });
    for (const action of [0, 2]) {
      const m = new Uint8Array(9), dv = new DataView(m.buffer);
      dv.setUint8(0, 1); dv.setUint8(1, action); dv.setUint8(2, 0);
      dv.setUint16(3, Math.round(nx * 65535), true); dv.setUint16(5, Math.round(ny * 65535), true);
      dv.setUint16(7, 65535, true);
      this.player.send(m);
    }
  },
};
`;
