// Shared harness of the end-to-end tests and the Chromium benchmarks: a private network
// namespace with only loopback, the real daemon on ephemeral ports, and Debian's Chromium driven
// by playwright-core. Nothing here sends a packet outside the namespace.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

// Exit code for "cannot run here": 77 (skip) normally, a failure in CI (a skip is a defect there).
export function skip(reason) {
  const ci = process.env.CI === 'true';
  console.error(`${ci ? 'SKIP is a failure in CI' : 'SKIP'}: ${reason}`);
  process.exit(ci ? 1 : 77);
}

export function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}

export function check(cond, message) {
  if (!cond) fail(message);
  console.error(`ok - ${message}`);
}

// Re-runs the calling script inside a fresh network namespace that has only `lo`, then removes
// the namespace. Returns true in the parent (which must then stop), false inside the namespace.
// containers: not `ip netns exec` (its fresh /sys hides /sys/fs/cgroup from LXC) but a private
// mount namespace joined to the network namespace, with a sysfs of that namespace (LXC finds the
// bridge under /sys/class/net) and the host's cgroup tree kept on top.
export function enterNetns(scriptUrl, { containers = false } = {}) {
  if (process.env.ANC_IN_NETNS) return false;
  if (process.getuid() !== 0) skip('needs root (ip netns)');
  if (!fs.existsSync(CHROMIUM)) skip(`needs ${CHROMIUM} (Debian package chromium)`);
  const name = `anc-e2e-${process.pid}`;
  const ip = (...args) => spawnSync('ip', args, { stdio: 'inherit' });
  if (ip('netns', 'add', name).status !== 0) skip('cannot create a network namespace');
  let status = 1;
  try {
    ip('-n', name, 'link', 'set', 'lo', 'up');
    const argv = [process.execPath, new URL(scriptUrl).pathname, ...process.argv.slice(2)];
    const env = { ...process.env, ANC_IN_NETNS: name };
    const r = containers
      ? spawnSync('unshare', ['--mount', '--propagation', 'private', 'nsenter', `--net=/run/netns/${name}`,
        'sh', '-ec', 'cg=$(mktemp -d); mount --rbind /sys/fs/cgroup "$cg"; mount -t sysfs sysfs /sys; ' +
        'mount --move "$cg" /sys/fs/cgroup; rmdir "$cg"; exec "$@"', 'sh', ...argv], { stdio: 'inherit', env })
      : spawnSync('ip', ['netns', 'exec', name, ...argv], { stdio: 'inherit', env });
    status = r.status ?? 1;
  } finally {
    ip('netns', 'del', name);
  }
  process.exit(status);
}

// Starts ancloudd on ephemeral ports with a private state directory.
// Pass the dir of a stopped daemon ({ keep: true }) to start again on the same state.
// listen: the HTTP address; netns: run the daemon in that named network namespace (only its
// network, via nsenter); network: the guest bridge (default: only inside the test's namespace).
export async function startDaemon(extraConf = '', { dir, listen = '127.0.0.1:0', netns,
  network = !!process.env.ANC_IN_NETNS } = {}) {
  const bin = process.env.ANCLOUDD;
  if (!bin || !fs.existsSync(bin)) fail('ANCLOUDD does not name the built daemon');
  dir = dir || fs.mkdtempSync(path.join(os.tmpdir(), 'anc-e2e-'));
  const conf = path.join(dir, 'ancloud.conf');
  fs.writeFileSync(conf, `[server]\nlisten = ${listen}\n` +
    `web_dir = ${path.join(process.env.ANC_SOURCE_ROOT || '.', 'web')}\n` +
    `[paths]\nstate_dir = ${dir}/state\nrun_dir = ${dir}/run\nimage_dir = ${dir}/images\n` +
    // The guest bridge only inside a private network namespace, never on the host.
    `[network]\nenabled = ${network}\n` +
    `[rtc]\nudp_port = 0\n${extraConf}`);
  const proc = netns
    ? spawn('nsenter', [`--net=/run/netns/${netns}`, bin, '-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] })
    : spawn(bin, ['-c', conf], { stdio: ['ignore', 'pipe', 'pipe'] });
  // A test that dies halfway must not leave its daemon (and the daemon's children) running.
  process.on('exit', () => { if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM'); });
  let log = '';
  proc.stderr.on('data', (d) => { log += d; if (process.env.ANC_VERBOSE) process.stderr.write(d); });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    const t = setTimeout(() => reject(new Error(`daemon did not start:\n${log}`)), 15000);
    proc.stdout.on('data', (d) => {
      out += d;
      // The token is printed only by the start that generated it; later starts name its file.
      const m = out.match(/open (https?:\/\/[^/\s]+)\/(?:#token=([0-9a-f]+)| \(token in (\S+)\))/);
      if (m) {
        clearTimeout(t);
        resolve({ base: m[1], token: m[2] ?? fs.readFileSync(m[3], 'utf8').trim() });
      }
    });
    proc.on('exit', (code) => reject(new Error(`daemon exited with ${code}:\n${log}`)));
  });
  const daemon = {
    proc, dir, base: url.base, token: url.token, log: () => log,
    async api(method, p, body, type = 'application/json') {
      const headers = { Authorization: `Bearer ${url.token}` };
      if (body !== undefined) headers['Content-Type'] = type;
      const res = await fetch(url.base + p, {
        method, headers, body: body === undefined ? undefined
          : (typeof body === 'string' ? body : JSON.stringify(body)),
      });
      const text = await res.text();
      let json = null;
      try { json = JSON.parse(text); } catch { /* not JSON */ }
      return { status: res.status, headers: res.headers, text, json };
    },
    async metric(name) {
      const r = await this.api('GET', '/metrics');
      const m = r.text.match(new RegExp(`^${name} ([0-9.e+-]+)$`, 'm'));
      return m ? Number(m[1]) : NaN;
    },
    // Open fds other than TCP sockets (HTTP keep-alive connections of the test's own clients
    // come and go; everything a viewer session owns is counted).
    fdCount() {
      const tcp = new Set();
      for (const f of ['tcp', 'tcp6']) {
        for (const line of fs.readFileSync(`/proc/${proc.pid}/net/${f}`, 'utf8').split('\n').slice(1)) {
          const cols = line.trim().split(/\s+/);
          if (cols.length > 9) tcp.add(cols[9]);
        }
      }
      return fs.readdirSync(`/proc/${proc.pid}/fd`).filter((fd) => {
        let l = '';
        try { l = fs.readlinkSync(`/proc/${proc.pid}/fd/${fd}`); } catch { return false; }
        const m = l.match(/^socket:\[(\d+)\]$/);
        return !(m && tcp.has(m[1]));
      }).length;
    },
    fdList() {
      return fs.readdirSync(`/proc/${proc.pid}/fd`).map((fd) => {
        try { return `${fd}:${fs.readlinkSync(`/proc/${proc.pid}/fd/${fd}`)}`; } catch { return fd; }
      }).join(' ');
    },
    // SIGTERM (or another signal); resolves to the exit code, or the signal name if killed.
    async stop({ keep = false, signal = 'SIGTERM' } = {}) {
      let code = proc.exitCode ?? proc.signalCode;
      if (code === null) {
        const done = new Promise((r) => proc.on('exit', (c, sig) => r(c ?? sig)));
        proc.kill(signal);
        code = await done;
      }
      if (!keep) fs.rmSync(dir, { recursive: true, force: true });
      return code;
    },
  };
  return daemon;
}

export async function createPattern(daemon, { name = 'tc', width = 720, height = 1280, fps = 30 } = {}) {
  const r = await daemon.api('POST', '/api/v1/instances', { name, kind: 'pattern', width, height, fps });
  if (r.status !== 201) fail(`create instance: ${r.status} ${r.text}`);
  const s = await daemon.api('POST', `/api/v1/instances/${r.json.id}/start`);
  if (s.status !== 200) fail(`start instance: ${s.status} ${s.text}`);
  return r.json.id;
}

// An x11 instance running the demo app (tools/guest/ancloud-demo, which logs every event it gets
// as a JSON line in the instance log), created and started; returns its id.
export async function startX11Demo(daemon, { name = 'demo', width = 720, height = 1280, fps = 30 } = {}) {
  const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
  const r = await daemon.api('POST', '/api/v1/instances', {
    name, kind: 'x11', width, height, fps, command: [demo, '--width', String(width), '--height', String(height)],
  });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  const s = await daemon.api('POST', `/api/v1/instances/${r.json.id}/start`);
  if (s.status !== 200) throw new Error(`start: ${s.status} ${s.text}`);
  return r.json.id;
}

export async function launchChromium() {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-loopback-in-peer-connection'],
  });
  const context = await browser.newContext({ permissions: ['camera', 'microphone'] });
  return { browser, context };
}

// In-page WHEP viewer used by tests and benchmarks: window.whep(...) connects, window.viewers[i]
// exposes the peer connection, the input channel, what came in on it and timings.
export const VIEWER_JS = `
window.whep = async function (endpoint, token, { alterFingerprint = false } = {}) {
  const t0 = performance.now();
  const pc = new RTCPeerConnection();
  pc.addTransceiver('video', { direction: 'recvonly' });
  const dc = pc.createDataChannel('input');
  dc.binaryType = 'arraybuffer';
  const video = document.createElement('video');
  video.muted = true; video.autoplay = true; video.playsInline = true;
  document.body.appendChild(video);
  const v = { pc, dc, video, t0, firstFrameMs: null, sid: null, received: [] };
  // Messages from the daemon on the input channel (type 128: the guest's clipboard), as bytes.
  dc.addEventListener('message', (ev) => { v.received.push([...new Uint8Array(ev.data)]); });
  pc.ontrack = (ev) => {
    video.srcObject = new MediaStream([ev.track]);
    video.requestVideoFrameCallback(() => { v.firstFrameMs = performance.now() - v.t0; });
  };
  const offer = await pc.createOffer();
  await pc.setLocalDescription(offer);
  let sdp = pc.localDescription.sdp;
  if (alterFingerprint) {
    sdp = sdp.replace(/a=fingerprint:sha-256 ([0-9A-F]{2})/g,
      (m, b) => 'a=fingerprint:sha-256 ' + (b === '00' ? '01' : '00'));
  }
  v.t0 = performance.now(); // first-frame time counts from the WHEP POST
  const res = await fetch(endpoint, {
    method: 'POST', body: sdp,
    headers: { 'Content-Type': 'application/sdp', Authorization: 'Bearer ' + token },
  });
  if (res.status !== 201) throw new Error('WHEP POST ' + res.status + ': ' + await res.text());
  v.location = res.headers.get('Location');
  v.sid = v.location.split('/').pop();
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  (window.viewers = window.viewers || []).push(v);
  return window.viewers.length - 1;
};
// Input protocol v1 touch (9 bytes) at normalized (nx, ny), and a tap: down then up.
window.touchMessage = function (action, nx, ny, pointer = 0) {
  const m = new Uint8Array(9), dv = new DataView(m.buffer);
  dv.setUint8(0, 1); dv.setUint8(1, action); dv.setUint8(2, pointer);
  dv.setUint16(3, Math.round(nx * 65535), true); dv.setUint16(5, Math.round(ny * 65535), true);
  dv.setUint16(7, 65535, true);
  return m;
};
window.tap = async function (i, nx, ny) {
  const dc = window.viewers[i].dc;
  if (dc.readyState !== 'open') await new Promise((r) => { dc.onopen = r; });
  dc.send(window.touchMessage(0, nx, ny));
  dc.send(window.touchMessage(2, nx, ny));
};
window.videoStats = async function (i) {
  const stats = await window.viewers[i].pc.getStats();
  let out = null;
  stats.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') {
      out = { framesDecoded: s.framesDecoded || 0, frameWidth: s.frameWidth || 0,
        frameHeight: s.frameHeight || 0, packetsLost: s.packetsLost || 0,
        nackCount: s.nackCount || 0, pliCount: s.pliCount || 0 };
    }
  });
  return out;
};
`;

// Samples one pixel of a viewer's decoded video through a canvas: [r, g, b].
export const SAMPLER_JS = `
window.samplePixel = function (i, x, y) {
  const v = window.viewers[i].video;
  const c = window.sampleCanvas || (window.sampleCanvas = document.createElement('canvas'));
  c.width = 1; c.height = 1;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(v, x, y, 1, 1, 0, 0, 1, 1); // only the pixel asked for
  const d = g.getImageData(0, 0, 1, 1).data;
  return [d[0], d[1], d[2]];
};
`;

export async function waitFor(fn, { timeoutMs = 10000, intervalMs = 50, what = 'condition' } = {}) {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

// FNV-1a 64 over messages in order, each followed by its length: the daemon computes the same.
export function inputHash(messages) {
  let h = 0n;
  const P = 0x100000001b3n, M = (1n << 64n) - 1n;
  for (const m of messages) {
    for (const b of m) h = ((h ^ BigInt(b)) * P) & M;
    h = ((h ^ BigInt(m.length & 0xffff)) * P) & M;
  }
  return h.toString(16).padStart(16, '0');
}
