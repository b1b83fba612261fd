// Instance list with lifecycle buttons; "View" opens the player.
import { api } from './api.js';

export function start(root, errorBox, onView) {
  const draw = async () => {
    try {
      const { data } = await api('instances');
      const list = data.instances || [];
      root.replaceChildren(...list.map((inst) => card(inst, draw, onView, errorBox)));
      if (!list.length) root.textContent = 'No instances yet. Create one with POST /api/v1/instances.';
      errorBox.hidden = true;
    } catch (e) {
      errorBox.textContent = e.message;
      errorBox.hidden = false;
    }
  };
  draw();
  return setInterval(draw, 3000);
}

function button(label, fn) {
  const b = document.createElement('button');
  b.textContent = label;
  b.onclick = fn;
  return b;
}

function card(inst, redraw, onView, errorBox) {
  const el = document.createElement('div');
  el.className = 'card';
  el.dataset.id = inst.id;
  const h = document.createElement('h3');
  h.textContent = inst.name;
  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = `${inst.kind} · ${inst.width}×${inst.height} @ ${inst.fps} fps · ${inst.state}` +
    (inst.viewers ? ` · ${inst.viewers} viewer(s)` : '') + (inst.error ? ` · ${inst.error}` : '');
  const act = (verb) => async () => {
    try { await api(`instances/${inst.id}/${verb}`, { method: 'POST' }); } catch (e) {
      errorBox.textContent = e.message;
      errorBox.hidden = false;
    }
    redraw();
  };
  const actions = document.createElement('div');
  actions.className = 'actions';
  if (inst.state === 'running') {
    actions.append(button('View', () => onView(inst)), button('Stop', act('stop')),
      button('Restart', act('restart')));
  } else {
    actions.append(button('Start', act('start')));
  }
  el.append(h, meta, actions);
  return el;
}
