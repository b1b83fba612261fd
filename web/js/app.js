// Entry point: sign-in, daemon health, and (as later parts land) the dashboard and the player.
import { api, getToken, setToken, health, ApiError } from './api.js';
import { start as startDashboard } from './dashboard.js';
import { setupCreate } from './create.js';
import { setupLog } from './logview.js';
import { setupShare } from './share.js';
import { Player } from './player.js';
import { attachInput, BUTTONS, clipboardMessage, controlMessage, parseGuestMessage } from './input.js';
import { attachIme } from './ime.js';
import { attachStats, toggleStats } from './stats.js';
import { Reconnector } from './reconnect.js';
import { applyUnsupported, setupFullscreen, tokenRole } from './phonebar.js';

const $ = (id) => document.getElementById(id);

const VIEWPORT = 'width=device-width, initial-scale=1, viewport-fit=cover';

function show(section) {
  for (const id of ['login', 'dashboard', 'player']) $(id).hidden = id !== section;
  $('logout').hidden = section === 'login';
  // The player fills the screen: no page scroll, and no pinch zoom that would move the video
  // under the fingers (the dashboard keeps zoom, for reading).
  document.body.classList.toggle('playing', section === 'player');
  $('viewport').content = section === 'player' ? `${VIEWPORT}, maximum-scale=1, user-scalable=no` : VIEWPORT;
}

async function refreshHealth() {
  const badge = $('health');
  try {
    const h = await health();
    badge.textContent = `ancloudd ${h.version} · up ${Math.round(h.uptime_s)} s`;
    badge.className = 'badge ok';
  } catch (e) {
    badge.textContent = 'daemon unreachable';
    badge.className = 'badge bad';
  }
}

async function checkToken() {
  try {
    await api('instances');
    return true;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) return false;
    if (e instanceof ApiError && e.status === 404) return true; // instance API not there yet
    throw e;
  }
}

let player = null;
let detachInput = null;
let dashboard = null;
let keeper = null; // the Reconnector of the player
// The player's instance and whether this page only watches (a `view` token: the daemon refuses
// all its input, so none is sent and the input buttons are greyed out).
let viewing = null;
let viewOnly = false;

// Sends an input message for the guest, unless this page only watches.
function sendInput(bytes) {
  if (player && !viewOnly) player.send(bytes);
}

function setViewOnly(on) {
  viewOnly = on;
  applyUnsupported($('player'), viewing, on ? 'view' : '');
}

function showState({ state, notice }) {
  $('player-state').textContent = state;
  $('player-notice').textContent = notice;
  $('player-notice').hidden = !notice;
}

// token: a share link's viewer token; none: the admin token.
async function view(inst, token) {
  show('player');
  $('player-title').textContent = inst.name ? `${inst.name} (${inst.width}×${inst.height})` : inst.title;
  const video = $('video');
  $('guest-clipboard').hidden = true;
  $('control-bar').hidden = true;
  viewing = inst;
  setViewOnly(tokenRole(token) === 'view');
  const relay = new URLSearchParams(location.search).get('ice') === 'relay';
  let k = null;
  const p = new Player(video, (state) => k.onState(state), onGuestMessage,
    { relay, onLost: () => k.lost('The server ended the session.') });
  k = new Reconnector(p, inst.id, token, (s) => {
    showState(s);
    if (s.state === 'connected') $('my-session').textContent = `your session ${p.sid}`;
  });
  player = p;
  keeper = k;
  const detachKeys = attachInput(video, sendInput), detachIme = attachIme($('ime'), sendInput);
  const stats = attachStats(video, player);
  detachInput = () => { detachKeys(); detachIme(); stats.detach(); };
  keeper.start();
}

// The stats overlay (js/stats.js: input-to-present latency and the stream's figures).
function showStats(on) {
  $('stats').setAttribute('aria-pressed', String(toggleStats(on)));
}

// This device's clipboard into the guest (and pasted there). Reading it needs a secure context
// and the user's permission; without them, the text is asked for.
async function pasteClipboard() {
  let text = null;
  try { text = await navigator.clipboard.readText(); } catch { /* not allowed here */ }
  if (text === null) text = prompt('Text to paste into the guest');
  if (text) sendInput(clipboardMessage(text, true));
}

// Who holds control (the daemon's control message): shown on the player bar, with the hand-off
// form while this page holds it.
function showControl(c) {
  // A session that may never be given control is a view session, whatever the token said.
  if (!c.can && !viewOnly) setViewOnly(true);
  const state = $('control-state');
  state.dataset.you = c.you ? '1' : '0';
  state.dataset.controller = c.sid;
  state.textContent = c.you ? 'You have control'
    : c.sid ? `Watching: session ${c.sid} has control` : 'Nobody has control';
  state.className = c.you ? 'badge you' : 'badge';
  $('give-control').hidden = !c.you;
  $('control-bar').hidden = false;
}

// The guest copied something: show it (with a Copy button) and put it on this computer's clipboard
// when the browser lets the page (it may want focus or a permission).
function onGuestMessage(data) {
  const m = parseGuestMessage(data);
  if (!m) return;
  if (m.control) {
    showControl(m.control);
    return;
  }
  $('guest-clipboard-text').value = m.clipboard;
  $('guest-clipboard-note').textContent = m.truncated ? '(cut short)' : '';
  $('guest-clipboard').hidden = false;
  navigator.clipboard?.writeText(m.clipboard).catch(() => {});
}

function wirePlayerButtons() {
  for (const b of document.querySelectorAll('#player button[data-key]')) {
    b.onclick = () => sendInput(controlMessage(BUTTONS[b.dataset.key]));
  }
  // Focused in the click itself: a phone shows its keyboard only for a focus the user asked for.
  $('keyboard').onclick = () => $('ime').focus({ preventScroll: true });
  $('paste').onclick = pasteClipboard;
  $('stats').onclick = () => showStats();
  setupFullscreen($('fullscreen'), $('player'));
  $('guest-clipboard-copy').onclick = () => {
    const t = $('guest-clipboard-text');
    navigator.clipboard?.writeText(t.value).catch(() => { t.select(); document.execCommand('copy'); });
  };
  $('guest-clipboard-close').onclick = () => { $('guest-clipboard').hidden = true; };
  $('give-control').onsubmit = async (ev) => {
    ev.preventDefault();
    const err = $('control-error');
    err.hidden = true;
    try {
      await player.giveControl($('give-control-sid').value.trim());
    } catch (e) {
      err.textContent = e.message;
      err.hidden = false;
    }
  };
}

async function closePlayer() {
  if (keeper) keeper.stop();
  keeper = null;
  showStats(false);
  if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
  if (detachInput) detachInput();
  detachInput = null;
  if (player) await player.close();
  player = null;
  show('dashboard');
  if (dashboard) dashboard.refresh();
}

function enterDashboard() {
  show('dashboard');
  if (dashboard) {
    dashboard.refresh();
    return;
  }
  const log = setupLog();
  const share = setupShare();
  dashboard = startDashboard($('instances'), $('dashboard-error'), { onView: (i) => view(i), log, share });
  setupCreate({ onCreated: () => dashboard.refresh() });
}

// A share link, /#/view/{id}?t=<viewer token>: the player alone, without the admin token. The
// token leaves the address bar at once (kept for this tab in sessionStorage, so a reload works).
function sharedView() {
  const m = location.hash.match(/^#\/view\/([0-9a-f]{1,32})(?:\?t=([A-Za-z0-9_.-]+))?$/);
  if (!m) return false;
  const key = `ancloud.view.${m[1]}`;
  if (m[2]) {
    sessionStorage.setItem(key, m[2]);
    history.replaceState(null, '', `${location.pathname}#/view/${m[1]}`);
  }
  const token = sessionStorage.getItem(key);
  if (!token) return false;
  $('player-close').hidden = true;
  view({ id: m[1], title: `Shared view of ${m[1]}` }, token);
  $('logout').hidden = true;
  return true;
}

async function main() {
  // Installable app and an offline page (sw.js); the page works without it.
  navigator.serviceWorker?.register('sw.js').catch(() => {});
  wirePlayerButtons();
  refreshHealth();
  setInterval(refreshHealth, 5000);
  window.addEventListener('pagehide', () => {
    if (keeper) keeper.stop();
    if (player) player.close();
  });
  if (sharedView()) return;
  // The daemon prints http://host:port/#token=...: take it and drop it from the address bar.
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    setToken(decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname);
  }
  $('logout').onclick = async () => { await closePlayer(); setToken(''); show('login'); };
  $('player-close').onclick = closePlayer;
  $('login-form').onsubmit = async (ev) => {
    ev.preventDefault();
    setToken($('token').value.trim());
    if (await checkToken()) enterDashboard();
    else {
      $('login-error').textContent = 'That token was refused.';
      $('login-error').hidden = false;
      setToken('');
    }
  };
  if (getToken() && (await checkToken())) enterDashboard();
  else show('login');
}

main();
