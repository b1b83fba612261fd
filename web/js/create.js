// "New instance" form: POST /api/v1/instances, then POST .../start. The daemon validates every
// field; its error message ("width: must be ...") is shown under the form and the field it names
// is marked invalid and focused.
import { api } from './api.js';

const $ = (id) => document.getElementById(id);

// API field → form control.
const FIELDS = ['name', 'kind', 'image', 'restart', 'width', 'height', 'fps', 'dpi', 'command'];

export function setupCreate({ onCreated }) {
  const box = $('create');
  const form = $('create-form');
  const kind = $('new-kind');
  const image = $('new-image');
  const errorBox = $('create-error');
  const status = $('create-status');
  const submit = $('create-submit');
  let kindTouched = false;

  const clearError = () => {
    errorBox.hidden = true;
    errorBox.textContent = '';
    for (const f of FIELDS) {
      $(`new-${f}`).removeAttribute('aria-invalid');
      $(`new-${f}`).removeAttribute('aria-errormessage');
    }
  };
  const showError = (message) => {
    errorBox.textContent = message;
    errorBox.hidden = false;
    status.textContent = '';
    const m = /^([a-z_]+):/.exec(message);
    const el = m && FIELDS.includes(m[1]) ? $(`new-${m[1]}`) : null;
    if (el && !el.closest('[hidden]')) {
      el.setAttribute('aria-invalid', 'true');
      el.setAttribute('aria-errormessage', 'create-error');
      el.focus();
    }
  };

  // Only the fields of the chosen kind are shown (and sent).
  const showKind = () => {
    for (const f of form.querySelectorAll('[data-kinds]')) {
      f.hidden = !f.dataset.kinds.split(' ').includes(kind.value);
    }
    const x11 = kind.value === 'x11';
    $('new-command-opt').hidden = x11;
    $('new-command').required = x11;
    $('new-command').placeholder = x11 ? '/usr/bin/xterm -fa Monospace'
      : 'default: the image\'s /sbin/ancloud-guest';
  };
  // Editing a field the daemon complained about takes its mark off (the message stays until the
  // next submit).
  form.addEventListener('input', (ev) => ev.target.removeAttribute('aria-invalid'));
  kind.addEventListener('change', () => { kindTouched = true; showKind(); clearError(); });
  showKind();

  const loadImages = async () => {
    const hint = $('new-image-hint');
    const keep = image.value;
    try {
      const { data } = await api('images');
      const images = data.images || [];
      const invalid = data.invalid || [];
      // Linux images first: they are what kind "linux" runs.
      images.sort((a, b) => (a.kind !== 'linux') - (b.kind !== 'linux') || a.name.localeCompare(b.name));
      const opts = images.map((img) => {
        const o = document.createElement('option');
        o.value = img.name;
        o.textContent = `${img.name} (${img.kind}, ${mib(img.size)})`;
        return o;
      });
      if (!opts.length) {
        const o = document.createElement('option');
        o.value = '';
        o.textContent = 'no images';
        opts.push(o);
      }
      image.replaceChildren(...opts);
      if (keep && images.some((i) => i.name === keep)) image.value = keep;
      hint.textContent = (images.length ? '' : 'Put squashfs images in [paths] image_dir. ') +
        (invalid.length ? `Not usable: ${invalid.map((i) => `${i.name} (${i.reason})`).join('; ')}` : '');
      if (!images.length && !kindTouched && kind.value === 'linux') {
        kind.value = 'pattern';
        showKind();
      }
    } catch (e) {
      const o = document.createElement('option');
      o.value = '';
      o.textContent = 'could not list images';
      image.replaceChildren(o);
      hint.textContent = e.message;
    }
  };
  loadImages();
  box.addEventListener('toggle', () => { if (box.open) loadImages(); });

  // Empty: the daemon's default; not a number: our own message, in the daemon's style.
  const number = (f) => {
    const el = $(`new-${f}`);
    if (el.validity.badInput) throw new Error(`${f}: must be a number`);
    return el.value.trim() === '' ? undefined : Number(el.value);
  };

  const collect = () => {
    const body = { name: $('new-name').value.trim(), kind: kind.value };
    for (const f of ['width', 'height', 'fps']) {
      const v = number(f);
      if (v !== undefined) body[f] = v;
    }
    if (kind.value === 'linux' || kind.value === 'android') {
      if (image.value) body.image = image.value;
      body.restart = $('new-restart').value;
    }
    if (kind.value === 'android') {
      const dpi = number('dpi');
      if (dpi !== undefined) body.dpi = dpi;
    }
    if (kind.value === 'x11' || kind.value === 'linux') {
      const words = $('new-command').value.trim().split(/\s+/).filter(Boolean);
      if (words.length) body.command = words;
    }
    return body;
  };

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    clearError();
    let body;
    try {
      body = collect();
    } catch (e) {
      showError(e.message);
      return;
    }
    submit.disabled = true;
    status.textContent = `Creating ${body.name}…`;
    try {
      const { data: inst } = await api('instances', { method: 'POST', body });
      try {
        await api(`instances/${encodeURIComponent(inst.id)}/start`, { method: 'POST' });
        status.textContent = `Created ${inst.name}, starting.`;
      } catch (e) {
        showError(`Created ${inst.name}, but it did not start: ${e.message}`);
      }
      $('new-name').value = '';
      onCreated(inst);
    } catch (e) {
      showError(e.message);
    } finally {
      submit.disabled = false;
    }
  });
}

function mib(bytes) {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MiB` : `${Math.ceil(bytes / 1024)} KiB`;
}
