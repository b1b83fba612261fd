// The soft keyboard and input methods: a visually hidden textarea that, once focused (the
// keyboard button), brings up the phone's keyboard. What it commits goes to the guest as text
// messages; the textarea is emptied after each commit, so it never holds what was typed.
//
// One path per way text arrives, so nothing is sent twice:
// - a physical key: the window keydown handler of input.js sends it and cancels the default, so
//   the textarea never sees it;
// - an IME composition (CJK, accents, swipe and predictive keyboards): nothing while composing
//   (the keydown of each step is 229 / "Process" with isComposing, and input.js ignores it), the
//   committed string once, at compositionend;
// - a keyboard that inserts without composing: the input event with inputType insertText
//   (never insertCompositionText / insertFromComposition: those are the composition's own).
import { keyMessage, textMessage } from './input.js';

const KEY_BACKSPACE = 14, KEY_ENTER = 28, KEY_DELETE = 111;

// Text messages carry at most 4096 bytes: split longer commits on code-point boundaries.
export function textMessages(text) {
  const out = [];
  let part = '', bytes = 0;
  for (const ch of text) {
    const n = new TextEncoder().encode(ch).length;
    if (bytes + n > 4096) { out.push(textMessage(part)); part = ''; bytes = 0; }
    part += ch; bytes += n;
  }
  if (part) out.push(textMessage(part));
  return out;
}

// Wires field (a textarea) to send(bytes). Returns a function that unwires it.
export function attachIme(field, send) {
  const commit = (text) => { for (const m of textMessages(text || '')) send(m); };
  const tap = (code) => { send(keyMessage(true, code)); send(keyMessage(false, code)); };
  const clear = () => { field.value = ''; };
  const onCompositionEnd = (ev) => {
    commit(ev.data);
    clear();
  };
  // Edits a soft keyboard makes without key events (Android sends keydown 229 for most keys).
  const onBeforeInput = (ev) => {
    if (ev.isComposing) return;
    const keys = { deleteContentBackward: KEY_BACKSPACE, deleteContentForward: KEY_DELETE,
      insertLineBreak: KEY_ENTER, insertParagraph: KEY_ENTER }[ev.inputType];
    if (keys) { ev.preventDefault(); tap(keys); }
  };
  const onInput = (ev) => {
    if (ev.isComposing) return;
    if (ev.inputType === 'insertText') commit(ev.data);
    if (ev.inputType !== 'insertCompositionText') clear();
  };
  const handlers = [['compositionend', onCompositionEnd], ['beforeinput', onBeforeInput],
    ['input', onInput], ['blur', clear]];
  for (const [n, f] of handlers) field.addEventListener(n, f);
  return () => { for (const [n, f] of handlers) field.removeEventListener(n, f); };
}
