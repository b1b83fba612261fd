// Instance list: filled in by the instance API (later parts); shows what the daemon reports.
import { api } from './api.js';

export function start(root, errorBox) {
  const draw = async () => {
    try {
      const { data } = await api('instances');
      const list = data.instances || [];
      root.replaceChildren(...list.map(card));
      if (!list.length) root.textContent = 'No instances yet.';
      errorBox.hidden = true;
    } catch (e) {
      errorBox.textContent = e.message;
      errorBox.hidden = false;
    }
  };
  draw();
  setInterval(draw, 3000);
}

function card(inst) {
  const el = document.createElement('div');
  el.className = 'card';
  const h = document.createElement('h3');
  h.textContent = inst.name;
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = `${inst.kind} · ${inst.width}×${inst.height} · ${inst.state}`;
  el.append(h, meta);
  return el;
}
