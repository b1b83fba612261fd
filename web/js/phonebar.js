// The player's phone buttons: which of them the instance can use (from its kind and capture,
// docs/api.md "Phone buttons"), the others greyed out with the reason as their title; and the
// page-side buttons (fullscreen, stats).

const AGENT_ONLY = { rotate: 'rotation', home: 'Home button', recents: 'app switcher',
  power: 'power button', menu: 'menu button', volumeUp: 'volume', volumeDown: 'volume',
  clipboard: 'clipboard' };
const INPUT = ['back', 'keyboard', ...Object.keys(AGENT_ONLY)];

// { key: reason it cannot be used } for inst (an instance of GET /api/v1/instances). An
// instance whose kind is unknown (a share link: its token cannot read the instance) gets none:
// the daemon counts what the guest cannot do as unsupported.
export function unsupported(inst) {
  const out = {};
  if (inst.kind === 'pattern') {
    for (const k of INPUT) out[k] = 'A pattern test card takes no input';
    return out;
  }
  // An in-guest agent (android, linux with capture agent) does every button; a screen captured
  // by the host (x11, linux) gets input through XTest: Back is Escape, and keys and text work.
  const host = inst.kind === 'x11' || (inst.kind === 'linux' && inst.capture !== 'agent');
  if (!host) return out;
  const what = inst.kind === 'x11' ? 'An x11 instance' : 'A linux instance with host capture';
  for (const [k, name] of Object.entries(AGENT_ONLY)) {
    out[k] = `${what} has no ${name} (only android or agent capture)`;
  }
  return out;
}

// Greys out the buttons of root (those with data-key, or data-cap) that inst cannot use.
export function applyUnsupported(root, inst) {
  const off = unsupported(inst);
  for (const b of root.querySelectorAll('button[data-key], button[data-cap]')) {
    const key = b.dataset.key || b.dataset.cap;
    if (!b.dataset.label) b.dataset.label = b.title;
    b.disabled = key in off;
    b.title = off[key] || b.dataset.label;
  }
}

// The fullscreen button: the player section fills the screen (and leaves it again).
export function setupFullscreen(button, target) {
  if (!document.fullscreenEnabled) {
    button.disabled = true;
    button.title = 'This browser cannot show the player full screen';
    return;
  }
  button.onclick = () => {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else target.requestFullscreen({ navigationUI: 'hide' }).catch(() => {});
  };
}

// What getStats says about the video, as a few lines of text.
export async function statsText(pc, last) {
  if (!pc) return { text: 'not connected', last: null };
  const report = await pc.getStats();
  let v = null, pair = null;
  report.forEach((s) => {
    if (s.type === 'inbound-rtp' && s.kind === 'video') v = s;
    if (s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded') pair = s;
  });
  if (!v) return { text: 'no video yet', last: null };
  const now = { t: v.timestamp, bytes: v.bytesReceived || 0, frames: v.framesDecoded || 0 };
  const dt = last ? (now.t - last.t) / 1000 : 0;
  const kbps = dt > 0 ? Math.round(((now.bytes - last.bytes) * 8) / dt / 1000) : 0;
  const fps = dt > 0 ? Math.round((now.frames - last.frames) / dt) : 0;
  const rtt = pair && pair.currentRoundTripTime !== undefined
    ? `${Math.round(pair.currentRoundTripTime * 1000)} ms` : '?';
  const text = [`${v.frameWidth || 0}×${v.frameHeight || 0} ${fps} fps ${kbps} kbit/s`,
    `rtt ${rtt} · lost ${v.packetsLost || 0} · nack ${v.nackCount || 0} · pli ${v.pliCount || 0}`,
    `decoded ${now.frames} · dropped ${v.framesDropped || 0}`].join('\n');
  return { text, last: now };
}
