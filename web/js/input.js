// Pointer, wheel and keyboard events on the video → input protocol v1 (docs/api.md).
// Coordinates are normalized 0..65535 over the video frame itself (letterboxing excluded).

const TOUCH = 1, KEY = 2, TEXT = 3, SCROLL = 4, CONTROL = 5, CLIPBOARD = 6;
const OUT_CLIPBOARD = 128; // daemon → page: the guest's clipboard
const OUT_CONTROL = 129; // daemon → page: who holds control of the instance
const CLIPBOARD_MAX = 65534; // UTF-8 bytes in one clipboard message

// Control ops of the phone buttons (type 5; op 1 is the keyframe request).
export const BUTTONS = {
  rotate: 2, back: 3, home: 4, recents: 5, power: 6, menu: 7, volumeUp: 8, volumeDown: 9,
};

// KeyboardEvent.code → Linux KEY_* code, for keys that are not typed text.
const KEYCODES = {
  Escape: 1, Backspace: 14, Tab: 15, Enter: 28, ControlLeft: 29, ShiftLeft: 42, ShiftRight: 54,
  AltLeft: 56, CapsLock: 58, F1: 59, F2: 60, F3: 61, F4: 62, F5: 63, F6: 64, F7: 65, F8: 66,
  F9: 67, F10: 68, F11: 87, F12: 88, ControlRight: 97, AltRight: 100, Home: 102, ArrowUp: 103,
  PageUp: 104, ArrowLeft: 105, ArrowRight: 106, End: 107, ArrowDown: 108, PageDown: 109,
  Insert: 110, Delete: 111, MetaLeft: 125, MetaRight: 126,
};

// Letters and digits as keys (Linux KEY_*), for shortcuts: Ctrl or Meta with one of them is sent
// as key presses (the guest's Ctrl+C, Ctrl+Z, …) rather than as text. Not KeyV: Ctrl+V stays the
// browser's paste, which becomes a clipboard message (the daemon then taps Ctrl+V itself).
const SHORTCUT_KEYS = Object.fromEntries([
  ...'1234567890'.split('').map((d, i) => [`Digit${d}`, 2 + i]),
  ...[['QWERTYUIOP', 16], ['ASDFGHJKL', 30], ['ZXC', 44], ['BNM', 48]].flatMap(([row, first]) =>
    row.split('').map((c, i) => [`Key${c}`, first + i])),
]);

function frameRect(video) {
  const r = video.getBoundingClientRect();
  const vw = video.videoWidth || r.width, vh = video.videoHeight || r.height;
  const scale = Math.min(r.width / vw, r.height / vh);
  const w = vw * scale, h = vh * scale;
  return { x: r.left + (r.width - w) / 2, y: r.top + (r.height - h) / 2, w, h };
}

// Whether (clientX, clientY) is on the picture itself rather than on the letterbox bars around it.
export function onFrame(video, clientX, clientY) {
  const f = frameRect(video);
  return clientX >= f.x && clientX < f.x + f.w && clientY >= f.y && clientY < f.y + f.h;
}

// Normalized guest coordinates of a point; a point on the bars is clamped to the nearest edge
// (a finger that started on the picture and slid onto a bar).
export function normalize(video, clientX, clientY) {
  const f = frameRect(video);
  const nx = Math.round(((clientX - f.x) / f.w) * 65535);
  const ny = Math.round(((clientY - f.y) / f.h) * 65535);
  return [Math.max(0, Math.min(65535, nx)), Math.max(0, Math.min(65535, ny))];
}

export function touchMessage(action, pointer, x, y, pressure = 65535) {
  const m = new Uint8Array(9);
  const dv = new DataView(m.buffer);
  dv.setUint8(0, TOUCH); dv.setUint8(1, action); dv.setUint8(2, pointer);
  dv.setUint16(3, x, true); dv.setUint16(5, y, true); dv.setUint16(7, pressure, true);
  return m;
}

export function keyMessage(down, code, modifiers = 0) {
  const m = new Uint8Array(12);
  const dv = new DataView(m.buffer);
  dv.setUint8(0, KEY); dv.setUint8(1, down ? 0 : 1);
  dv.setUint32(4, code, true); dv.setUint32(8, modifiers, true);
  return m;
}

export function textMessage(text) {
  const bytes = new TextEncoder().encode(text);
  const m = new Uint8Array(1 + bytes.length);
  m[0] = TEXT;
  m.set(bytes, 1);
  return m;
}

export function scrollMessage(dx, dy, x, y) {
  const m = new Uint8Array(9);
  const dv = new DataView(m.buffer);
  dv.setUint8(0, SCROLL);
  dv.setInt16(1, Math.max(-32768, Math.min(32767, dx)), true);
  dv.setInt16(3, Math.max(-32768, Math.min(32767, dy)), true);
  dv.setUint16(5, x, true); dv.setUint16(7, y, true);
  return m;
}

export function controlMessage(op) {
  return new Uint8Array([CONTROL, op]);
}

// Sets the guest's clipboard (and pastes it when paste is true). Text beyond CLIPBOARD_MAX bytes
// is cut on a character boundary.
export function clipboardMessage(text, paste) {
  let bytes = new TextEncoder().encode(text);
  if (bytes.length > CLIPBOARD_MAX) {
    let n = CLIPBOARD_MAX;
    while (n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
    bytes = bytes.subarray(0, n);
  }
  const m = new Uint8Array(2 + bytes.length);
  m[0] = CLIPBOARD;
  m[1] = paste ? 1 : 0;
  m.set(bytes, 2);
  return m;
}

// A message from the daemon: { clipboard, truncated } for the guest's clipboard, else null.
// Daemon → page messages: { clipboard, truncated } or { control: { you, can, sid } }; null for
// types this page does not know.
export function parseGuestMessage(data) {
  const b = new Uint8Array(data);
  if (b.length < 2) return null;
  if (b[0] === OUT_CONTROL) {
    return { control: { you: (b[1] & 1) !== 0, can: (b[1] & 2) !== 0,
      sid: new TextDecoder().decode(b.subarray(2)) } };
  }
  if (b[0] !== OUT_CLIPBOARD) return null;
  return { clipboard: new TextDecoder().decode(b.subarray(2)), truncated: (b[1] & 1) !== 0 };
}

// Wires the video element's events to send(bytes). Returns a function that unwires them.
export function attachInput(video, send) {
  const pointers = new Map(); // pointerId → protocol pointer id 0..9
  const slot = (id) => {
    if (pointers.has(id)) return pointers.get(id);
    for (let i = 0; i < 10; i++) {
      if (![...pointers.values()].includes(i)) { pointers.set(id, i); return i; }
    }
    return -1;
  };
  const onPointer = (action) => (ev) => {
    ev.preventDefault();
    // A touch that starts on the letterbox bars is not the guest's: nothing is sent for it, nor
    // for its moves and release.
    if (action === 0 && !onFrame(video, ev.clientX, ev.clientY)) return;
    if (action === 0) video.setPointerCapture?.(ev.pointerId);
    if (action >= 1 && !pointers.has(ev.pointerId)) return; // hover, or a touch begun on a bar
    const p = slot(ev.pointerId);
    if (p < 0) return;
    const [x, y] = normalize(video, ev.clientX, ev.clientY);
    send(touchMessage(action, p, x, y, Math.round((ev.pressure || 0.5) * 65535)));
    if (action >= 2) pointers.delete(ev.pointerId);
  };
  const onWheel = (ev) => {
    ev.preventDefault();
    if (!onFrame(video, ev.clientX, ev.clientY)) return;
    const [x, y] = normalize(video, ev.clientX, ev.clientY);
    const unit = ev.deltaMode === 1 ? 40 : ev.deltaMode === 2 ? 800 : 1;
    send(scrollMessage(Math.round(-ev.deltaX * unit * 1.2), Math.round(-ev.deltaY * unit * 1.2), x, y));
  };
  const held = new Set(); // shortcut keys sent down: their release is sent whatever the modifiers are by then
  const onKey = (down) => (ev) => {
    if (ev.isComposing) return;
    const shortcut = down ? (ev.ctrlKey || ev.metaKey) && SHORTCUT_KEYS[ev.code] : held.has(ev.code);
    const code = KEYCODES[ev.code] || (shortcut ? SHORTCUT_KEYS[ev.code] : 0);
    if (shortcut) {
      if (down) held.add(ev.code);
      else held.delete(ev.code);
    }
    if (code) {
      ev.preventDefault();
      send(keyMessage(down, code));
    } else if (down && ev.key.length >= 1 && [...ev.key].length === 1 && !ev.ctrlKey && !ev.metaKey) {
      ev.preventDefault();
      send(textMessage(ev.key));
    }
  };
  // Ctrl+V (or the browser's Paste): the text becomes the guest's clipboard and is pasted there,
  // rather than typed character by character.
  const onPaste = (ev) => {
    const text = ev.clipboardData?.getData('text');
    if (text) { ev.preventDefault(); send(clipboardMessage(text, true)); }
  };
  const handlers = [
    [video, 'pointerdown', onPointer(0)], [video, 'pointermove', onPointer(1)],
    [video, 'pointerup', onPointer(2)], [video, 'pointercancel', onPointer(3)],
    [video, 'wheel', onWheel], [window, 'keydown', onKey(true)], [window, 'keyup', onKey(false)],
    [window, 'paste', onPaste], [video, 'contextmenu', (e) => e.preventDefault()],
  ];
  for (const [t, n, f] of handlers) t.addEventListener(n, f, { passive: false });
  return () => { for (const [t, n, f] of handlers) t.removeEventListener(n, f); };
}
