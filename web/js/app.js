// Entry point: sign-in, daemon health, and (as later parts land) the dashboard and the player.
import { api, getToken, setToken, health, ApiError } from './api.js';
import { start as startDashboard } from './dashboard.js';
import { setupCreate } from './create.js';
import { setupLog } from './logview.js';
import { Player } from './player.js';
import { attachInput, BUTTONS, controlMessage, parseGuestMessage } from './input.js';

const $ = (id) => document.getElementById(id);

function show(section) {
  for (const id of ['login', 'dashboard', 'player']) $(id).hidden = id !== section;
  $('logout').hidden = section === 'login';
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

async function view(inst) {
  show('player');
  $('player-title').textContent = `${inst.name} (${inst.width}×${inst.height})`;
  $('player-state').textContent = 'connecting…';
  const video = $('video');
  $('guest-clipboard').hidden = true;
  const relay = new URLSearchParams(location.search).get('ice') === 'relay';
  player = new Player(video, (state) => { $('player-state').textContent = state; }, onGuestMessage,
    { relay });
  detachInput = attachInput(video, (bytes) => player.send(bytes));
  try {
    await player.connect(inst.id);
  } catch (e) {
    $('player-state').textContent = e.message;
  }
}

// The guest copied something: show it (with a Copy button) and put it on this computer's clipboard
// when the browser lets the page (it may want focus or a permission).
function onGuestMessage(data) {
  const m = parseGuestMessage(data);
  if (!m) return;
  $('guest-clipboard-text').value = m.clipboard;
  $('guest-clipboard-note').textContent = m.truncated ? '(cut short)' : '';
  $('guest-clipboard').hidden = false;
  navigator.clipboard?.writeText(m.clipboard).catch(() => {});
}

function wirePlayerButtons() {
  for (const b of document.querySelectorAll('#player-keys button[data-key]')) {
    b.onclick = () => { if (player) player.send(controlMessage(BUTTONS[b.dataset.key])); };
  }
  $('guest-clipboard-copy').onclick = () => {
    const t = $('guest-clipboard-text');
    navigator.clipboard?.writeText(t.value).catch(() => { t.select(); document.execCommand('copy'); });
  };
  $('guest-clipboard-close').onclick = () => { $('guest-clipboard').hidden = true; };
}

async function closePlayer() {
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
  dashboard = startDashboard($('instances'), $('dashboard-error'), { onView: view, log });
  setupCreate({ onCreated: () => dashboard.refresh() });
}

async function main() {
  // The daemon prints http://host:port/#token=...: take it and drop it from the address bar.
  const m = location.hash.match(/token=([^&]+)/);
  if (m) {
    setToken(decodeURIComponent(m[1]));
    history.replaceState(null, '', location.pathname);
  }
  refreshHealth();
  setInterval(refreshHealth, 5000);
  $('logout').onclick = async () => { await closePlayer(); setToken(''); show('login'); };
  $('player-close').onclick = closePlayer;
  wirePlayerButtons();
  window.addEventListener('pagehide', () => { if (player) player.close(); });
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
