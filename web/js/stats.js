// Stats overlay: input-to-present latency measured live, and the receiver's WebRTC figures.
//
// Input to present: for every touch, key, text or scroll message we send, the daemon answers
// (frame message, type 130: u32 seq, u32 RTP timestamp) with the first frame captured after it
// injected that input; the frame's presentation time (requestVideoFrameCallback's
// rtpTimestamp and presentationTime) minus our send time is one sample. Samples go back to the
// daemon in latency reports (type 16: u32 microseconds each) for its /metrics histogram.

const OUT_FRAME = 130;
const LATENCY = 16;
const REPORT_MAX = 64; // samples per report (the daemon's limit)
const KEEP = 200; // samples behind last/p50/p95
const TRACKED = new Set([1, 2, 3, 4]); // touch, key, text, scroll: what the guest gets injected

let current = null;

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * p) - 1)];
const newer = (a, b) => ((a - b) >>> 0) < 0x80000000; // a at or after b, RTP wrap-around

// Starts measuring on player's connection (hidden overlay). Returns { toggle(on?), values(),
// detach() }; the last one attached is also what toggleStats() toggles.
export function attachStats(video, player) {
  const sends = new Map(); // seq → performance.now() at send, inputs not answered yet
  const answers = []; // { rtp, times }: waiting for their frame to be presented
  const frames = []; // { rtp, t }: the last presented frames
  const samples = []; // ms
  let report = [];
  let net = {};
  let last = null;
  let stopped = false;

  const tap = {
    sent(seq, bytes) {
      const b = bytes instanceof ArrayBuffer ? new Uint8Array(bytes)
        : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      if (seq === 1) { sends.clear(); answers.length = 0; } // a new connection
      if (TRACKED.has(b[0])) sends.set(seq, performance.now());
      if (sends.size > 512) sends.delete(sends.keys().next().value);
    },
    message(data) {
      const b = new DataView(data);
      if (data.byteLength !== 9 || b.getUint8(0) !== OUT_FRAME) return;
      const seq = b.getUint32(1, true), rtp = b.getUint32(5, true);
      const times = [];
      for (const [s, t] of sends) if (s <= seq) { times.push(t); sends.delete(s); }
      if (times.length) answers.push({ rtp, times });
      match();
    },
  };
  player.taps.add(tap);

  function match() {
    while (answers.length) {
      const a = answers[0];
      const f = frames.find((x) => newer(x.rtp, a.rtp));
      if (!f) return;
      answers.shift();
      for (const t of a.times) add(f.t - t);
    }
  }

  function add(ms) {
    if (!(ms >= 0)) return;
    last = ms;
    samples.push(ms);
    if (samples.length > KEEP) samples.shift();
    report.push(Math.round(ms * 1000));
    if (report.length >= REPORT_MAX) flush();
  }

  function flush() {
    if (!report.length) return;
    const b = new DataView(new ArrayBuffer(1 + 4 * report.length));
    b.setUint8(0, LATENCY);
    report.forEach((us, i) => b.setUint32(1 + 4 * i, Math.min(us, 0xffffffff), true));
    report = [];
    player.send(new Uint8Array(b.buffer));
  }

  const onFrame = (now, meta) => {
    if (stopped) return;
    if (meta.rtpTimestamp !== undefined) {
      frames.push({ rtp: meta.rtpTimestamp, t: meta.presentationTime });
      if (frames.length > 120) frames.shift();
      match();
    }
    video.requestVideoFrameCallback(onFrame);
  };
  if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(onFrame);

  // Receiver figures, once a second (rates over that second).
  let prev = null;
  const poll = async () => {
    flush();
    const pc = player.pc;
    if (!pc) return;
    const st = await pc.getStats();
    let inb = null, pair = null;
    st.forEach((r) => {
      if (r.type === 'inbound-rtp' && r.kind === 'video') inb = r;
      if (r.type === 'candidate-pair' && r.nominated && r.state === 'succeeded') pair = r;
    });
    if (!inb) return;
    const n = { t: inb.timestamp, bytes: inb.bytesReceived, dec: inb.totalDecodeTime || 0,
      frames: inb.framesDecoded || 0, lost: inb.packetsLost || 0, recv: inb.packetsReceived || 0 };
    if (prev && n.t > prev.t) {
      const df = n.frames - prev.frames, dl = n.lost - prev.lost, dr = n.recv - prev.recv;
      net = {
        fps: inb.framesPerSecond ?? df * 1000 / (n.t - prev.t),
        kbps: (n.bytes - prev.bytes) * 8 / (n.t - prev.t),
        rtt: pair && pair.currentRoundTripTime !== undefined ? pair.currentRoundTripTime * 1000 : null,
        loss: dl + dr > 0 ? 100 * dl / (dl + dr) : 0,
        jitter: (inb.jitter || 0) * 1000,
        decode: df > 0 ? (n.dec - prev.dec) * 1000 / df : null,
      };
    }
    prev = n;
    render();
  };
  const timer = setInterval(() => { poll().catch(() => {}); }, 1000);

  const el = document.createElement('div');
  el.className = 'stats-overlay';
  el.id = 'stats-overlay';
  el.hidden = true;
  el.setAttribute('aria-live', 'off');
  el.style.cssText = 'position:absolute;top:0.5rem;left:0.5rem;z-index:5;pointer-events:none;' +
    'background:rgba(0,0,0,0.65);color:#cfc;font:12px/1.4 monospace;padding:0.3rem 0.5rem;' +
    'border-radius:4px;white-space:pre;text-align:left';
  const host = video.parentElement;
  if (host && getComputedStyle(host).position === 'static') host.style.position = 'relative';
  (host || document.body).appendChild(el);

  function values() {
    const s = [...samples].sort((a, b) => a - b);
    return { last, p50: s.length ? pct(s, 0.5) : null, p95: s.length ? pct(s, 0.95) : null,
      n: samples.length, ...net };
  }

  function render() {
    const v = values();
    const f = (x, d = 0) => (x === null || x === undefined ? '–' : x.toFixed(d));
    el.dataset.last = v.last ?? '';
    el.dataset.p50 = v.p50 ?? '';
    el.dataset.p95 = v.p95 ?? '';
    el.dataset.n = v.n;
    if (el.hidden) return;
    el.textContent =
      `input→present  last ${f(v.last)}  p50 ${f(v.p50)}  p95 ${f(v.p95)} ms  (${v.n})\n` +
      `${f(v.fps)} fps  ${f(v.kbps)} kbps  rtt ${f(v.rtt)} ms\n` +
      `loss ${f(v.loss, 1)} %  jitter ${f(v.jitter, 1)} ms  decode ${f(v.decode, 1)} ms`;
  }

  const ctl = {
    toggle(on) {
      el.hidden = on === undefined ? !el.hidden : !on;
      render();
      return !el.hidden;
    },
    values,
    detach() {
      stopped = true;
      flush();
      clearInterval(timer);
      player.taps.delete(tap);
      el.remove();
      if (current === ctl) current = null;
    },
  };
  current = ctl;
  return ctl;
}

// Shows or hides the overlay of the player attached last; returns whether it is shown.
export function toggleStats(on) {
  return current ? current.toggle(on) : false;
}
