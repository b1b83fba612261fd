// The player's phone buttons: which of them the instance can use (from its kind and capture,
// docs/api.md "Phone buttons"), the others greyed out with the reason as their title; and the
// page-side buttons (fullscreen, stats).

const AGENT_ONLY = { rotate: 'rotation', home: 'Home button', recents: 'app switcher',
  power: 'power button', menu: 'menu button', volumeUp: 'volume', volumeDown: 'volume' };
const INPUT = ['back', 'keyboard', 'clipboard', ...Object.keys(AGENT_ONLY)];
const VIEW_ONLY = 'This is a view-only link: its input never reaches the guest';

// The role of a viewer token ('control' or 'view', from its claims: docs/api.md "Format"), or
// '' for the admin token or a token that is not a viewer token.
export function tokenRole(token) {
  const claims = (token || '').split('.')[0];
  let text = '';
  try {
    text = atob(claims.replace(/-/g, '+').replace(/_/g, '/'));
  } catch { /* not base64url: the admin token */ }
  const f = text.split(' ');
  return f.length === 5 && f[0] === '1' && (f[3] === 'control' || f[3] === 'view') ? f[3] : '';
}

// { key: reason it cannot be used } for inst (an instance of GET /api/v1/instances) seen with a
// token of role (tokenRole). An instance whose kind is unknown (a share link: its token cannot
// read the instance) gets none: the daemon counts what the guest cannot do as unsupported. A
// view-only page gets no input button at all: the daemon refuses all of its input.
export function unsupported(inst, role = '') {
  const out = {};
  if (inst.kind === 'pattern' || role === 'view') {
    const why = role === 'view' ? VIEW_ONLY : 'A pattern test card takes no input';
    for (const k of INPUT) out[k] = why;
    return out;
  }
  // An in-guest agent (android, linux with capture agent) does every button; a screen captured
  // by the host (x11, linux) gets input through XTest: Back is Escape, keys and text work, and
  // the daemon owns the guest's clipboard for a paste.
  const host = inst.kind === 'x11' || (inst.kind === 'linux' && inst.capture !== 'agent');
  if (!host) return out;
  const what = inst.kind === 'x11' ? 'An x11 instance' : 'A linux instance with host capture';
  for (const [k, name] of Object.entries(AGENT_ONLY)) {
    out[k] = `${what} has no ${name} (only android or agent capture)`;
  }
  return out;
}

// Greys out the buttons of root (those with data-key, or data-cap) that inst cannot use.
export function applyUnsupported(root, inst, role = '') {
  const off = unsupported(inst, role);
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
