// Instance list with lifecycle buttons; "View" opens the player, "Share" the share-link panel,
// "Log" the log panel.
// Polled every 3 s (every second while something is starting, stopping or waiting to restart).
// Cards are redrawn only when their instance changed, so keyboard focus survives the polling.
// Running instances show a thumbnail of their screen (thumbs.js).
import { api } from './api.js';
import { thumbnails } from './thumbs.js';

const TRANSIENT = new Set(['starting', 'stopping']);

export function start(root, errorBox, { onView, log, share }) {
  const cards = new Map(); // id → { key, el }
  let timer = null;
  let seq = 0; // a slower answer never overwrites a newer one
  let applied = 0;
  const thumbs = thumbnails(() => !root.closest('[hidden]') && !document.hidden);

  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = false;
  };

  const draw = async () => {
    clearTimeout(timer);
    const mine = ++seq;
    let busy = false;
    try {
      if (root.closest('[hidden]')) return; // not on screen: refresh() when it is again
      const { data } = await api('instances');
      if (mine < applied) return;
      applied = mine;
      const list = data.instances || [];
      busy = list.some((i) => TRANSIENT.has(i.state) || i.restart_in_ms !== undefined);
      render(list);
      thumbs.sync(list);
      errorBox.hidden = true;
    } catch (e) {
      showError(e.message);
    } finally {
      if (mine === seq) timer = setTimeout(draw, busy ? 1000 : 3000);
    }
  };

  const render = (list) => {
    if (!list.length) {
      cards.clear();
      const p = document.createElement('p');
      p.className = 'muted';
      p.textContent = 'No instances yet: create one with "New instance".';
      root.replaceChildren(p);
      return;
    }
    const seen = new Set();
    const els = list.map((inst) => {
      seen.add(inst.id);
      // restart_in_ms counts down: shown in whole seconds, so the card changes once a second.
      const key = JSON.stringify({ ...inst, stream: undefined,
        restart_in_ms: inst.restart_in_ms === undefined ? undefined : Math.ceil(inst.restart_in_ms / 1000) });
      const old = cards.get(inst.id);
      if (old && old.key === key) return old.el;
      const el = card(inst, ctx);
      if (old && old.el.contains(document.activeElement)) {
        const action = document.activeElement.dataset.action;
        queueMicrotask(() => (el.querySelector(`[data-action="${action}"]`) || el).focus());
      }
      if (old) old.el.replaceWith(el);
      cards.set(inst.id, { key, el });
      return el;
    });
    for (const id of [...cards.keys()]) if (!seen.has(id)) cards.delete(id);
    // Put the cards in order touching only what moved (a moved node loses focus).
    [...root.children].forEach((c) => { if (!els.includes(c)) c.remove(); });
    els.forEach((el, i) => { if (root.children[i] !== el) root.insertBefore(el, root.children[i] || null); });
  };

  const ctx = {
    onView,
    log,
    share,
    thumbs,
    redraw: draw,
    async act(inst, verb) {
      try {
        await api(`instances/${encodeURIComponent(inst.id)}/${verb}`, { method: 'POST' });
      } catch (e) {
        showError(`${inst.name}: ${e.message}`);
        return;
      }
      draw();
    },
    async remove(inst) {
      if (!confirm(`Delete instance "${inst.name}"? It is stopped first, and its log is lost.`)) return;
      try {
        await api(`instances/${encodeURIComponent(inst.id)}`, { method: 'DELETE' });
        log.forget(inst.id);
      } catch (e) {
        showError(`${inst.name}: ${e.message}`);
        return;
      }
      draw();
    },
  };

  draw();
  return { refresh: draw };
}

function button(label, action, name, fn) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  b.dataset.action = action;
  b.setAttribute('aria-label', `${label} ${name}`);
  b.onclick = fn;
  return b;
}

function span(cls, text) {
  const s = document.createElement('span');
  if (cls) s.className = cls;
  s.textContent = text;
  return s;
}

function plural(n, word) {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function card(inst, ctx) {
  const el = document.createElement('article');
  el.className = 'card';
  el.dataset.id = inst.id;
  el.dataset.state = inst.state;
  const h = document.createElement('h3');
  h.id = `card-${inst.id}`;
  h.textContent = inst.name;
  el.setAttribute('aria-labelledby', h.id);

  const meta = document.createElement('div');
  meta.className = 'meta';
  meta.textContent = [inst.kind, inst.image, `${inst.width}×${inst.height} @ ${inst.fps} fps`]
    .filter(Boolean).join(' · ');
  meta.title = `id ${inst.id}` + (inst.command ? ` · ${inst.command.join(' ')}` : '') +
    (inst.restart ? ` · restart ${inst.restart}` : '');

  const status = document.createElement('div');
  status.className = 'status';
  status.append(span(`badge state ${inst.state}`, inst.state));
  const extra = [];
  if (inst.viewers) extra.push(plural(inst.viewers, 'viewer'));
  if (inst.restarts) extra.push(plural(inst.restarts, 'restart'));
  if (inst.restart_in_ms !== undefined) {
    extra.push(`restarting in ${Math.ceil(inst.restart_in_ms / 1000)} s`);
  }
  // Cluster mode: the node that runs it, and that its data started afresh after a node was lost.
  if (inst.node) extra.push(`on ${inst.node}`);
  if (inst.data_reset) extra.push('moved: fresh data');
  if (inst.desired && inst.desired !== inst.state && !TRANSIENT.has(inst.state)) {
    extra.push(`asked: ${inst.desired}`);
  }
  if (extra.length) status.append(span('muted', ` ${extra.join(' · ')}`));
  el.append(h, meta, status);
  if (inst.state === 'running') el.append(ctx.thumbs.img(inst));

  if (inst.state === 'error' && inst.error) {
    const err = document.createElement('p');
    err.className = 'error reason';
    err.textContent = inst.error;
    el.append(err);
  }

  const actions = document.createElement('div');
  actions.className = 'actions';
  if (inst.state === 'running') {
    actions.append(button('View', 'view', inst.name, () => ctx.onView(inst)),
      button('Share', 'share', inst.name, () => ctx.share.open(inst)),
      button('Stop', 'stop', inst.name, () => ctx.act(inst, 'stop')),
      button('Restart', 'restart', inst.name, () => ctx.act(inst, 'restart')));
  } else {
    const startButton = button('Start', 'start', inst.name, () => ctx.act(inst, 'start'));
    startButton.disabled = TRANSIENT.has(inst.state);
    actions.append(startButton);
    // In error the restart policy may be about to start it again: Stop cancels that.
    if (inst.state === 'error') actions.append(button('Stop', 'stop', inst.name, () => ctx.act(inst, 'stop')));
  }
  const logButton = button('Log', 'log', inst.name, (ev) => ctx.log.open(inst, ev.currentTarget));
  const del = button('Delete', 'delete', inst.name, () => ctx.remove(inst));
  del.classList.add('danger');
  actions.append(logButton, del);
  el.append(actions);
  return el;
}
