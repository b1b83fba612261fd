// Log panel: the last 64 KiB of GET /api/v1/instances/{id}/log, refreshed on demand.
import { api } from './api.js';

const $ = (id) => document.getElementById(id);
const BYTES = 64 * 1024;

export function setupLog() {
  const panel = $('log-panel');
  const text = $('log-text');
  const status = $('log-status');
  let current = null; // { id, name, opener }
  let seq = 0;

  const load = async () => {
    if (!current) return;
    const { id } = current;
    const mine = ++seq;
    status.textContent = 'loading…';
    try {
      const { data } = await api(`instances/${encodeURIComponent(id)}/log?bytes=${BYTES}`);
      if (mine !== seq) return;
      const body = typeof data === 'string' ? data : JSON.stringify(data, null, 2);
      const atEnd = text.scrollTop + text.clientHeight >= text.scrollHeight - 4;
      text.textContent = body || '(the log is empty)';
      text.classList.toggle('empty', !body);
      if (atEnd || text.dataset.id !== id) text.scrollTop = text.scrollHeight;
      text.dataset.id = id;
      const size = new TextEncoder().encode(body).length;
      status.textContent = `${size >= BYTES ? 'last 64 KiB' : `${size} bytes`} · ` +
        `${new Date().toLocaleTimeString()}`;
    } catch (e) {
      if (mine !== seq) return;
      status.textContent = '';
      text.textContent = `Could not read the log: ${e.message}`;
      text.classList.add('empty');
    }
  };

  const close = () => {
    let opener = current && current.opener;
    if (current && !(opener && opener.isConnected)) { // its card was redrawn since
      opener = document.querySelector(`.card[data-id="${current.id}"] button[data-action="log"]`);
    }
    current = null;
    seq++;
    panel.hidden = true;
    text.textContent = '';
    delete text.dataset.id;
    if (opener) opener.focus();
  };

  $('log-refresh').onclick = load;
  $('log-close').onclick = close;
  panel.addEventListener('keydown', (ev) => { if (ev.key === 'Escape') close(); });

  return {
    async open(inst, opener) {
      current = { id: inst.id, name: inst.name, opener };
      $('log-title').textContent = `Log of ${inst.name}`;
      text.textContent = '';
      delete text.dataset.id;
      panel.hidden = false;
      await load();
      panel.scrollIntoView({ block: 'nearest' });
      text.focus({ preventScroll: true });
    },
    // The instance is gone: its log is too.
    forget(id) {
      if (current && current.id === id) close();
    },
    isOpen: (id) => !!current && current.id === id,
  };
}
