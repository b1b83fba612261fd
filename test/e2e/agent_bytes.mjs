// ancloudd's scrcpy-server 3.3.3 protocol code (src/agent/) against an independent client
// implementation, @yume-chan/scrcpy 2.3.0 (ScrcpyOptions3_3_3). test-agent-vectors prints the
// daemon's control message bytes and the stand-in's video stream; this serializes the same
// messages with the library and compares byte for byte, then parses the stream with the
// library's metadata parser and packet transformer. Node only: no daemon, no browser.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  AndroidKeyCode,
  AndroidKeyEventAction,
  AndroidKeyEventMeta,
  AndroidMotionEventAction,
  AndroidMotionEventButton,
  ScrcpyControlMessageSerializer,
  ScrcpyOptions3_3_3,
  ScrcpyVideoCodecId,
} from '@yume-chan/scrcpy';

function fail(message) {
  console.error(`FAIL: ${message}`);
  process.exit(1);
}
let checks = 0;
function check(cond, message) {
  if (!cond) fail(message);
  checks++;
}

const exe = process.env.ANC_AGENT_VECTORS ||
  path.join(process.env.ANC_BUILD_ROOT || 'build', 'test/unit/test-agent-vectors');
const run = spawnSync(exe, { encoding: 'utf8', maxBuffer: 1 << 24 });
if (run.status !== 0) fail(`${exe}: ${run.status} ${run.stderr}`);
if (run.stderr) fail(`${exe} reported: ${run.stderr}`);
const ours = new Map(run.stdout.trim().split('\n').filter((l) => !l.startsWith('keymap ')).map((l) => {
  const [name, hex] = l.split(' ');
  return [name, Buffer.from(hex, 'hex')];
}));

const options = new ScrcpyOptions3_3_3({ tunnelForward: true, sendDeviceMeta: true });
const ser = new ScrcpyControlMessageSerializer(options);
const hex = (b) => Buffer.from(b).toString('hex');

function same(name, theirs) {
  const bytes = Array.isArray(theirs) ? theirs[0] : theirs; // setClipboard with a sequence
  const mine = ours.get(name);
  check(mine !== undefined, `${name}: printed by test-agent-vectors`);
  check(hex(mine) === hex(bytes), `${name}: ours ${hex(mine)} != theirs ${hex(bytes)}`);
  ours.delete(name);
}

// ---- Touch (pointer ids: real fingers 0..9, -1 mouse, -2 generic finger, -3 virtual finger)
const A = AndroidMotionEventAction;
const touch = (action, pointerId, pointerX, pointerY, pressure, actionButton = 0, buttons = 0) =>
  ser.injectTouch({ action, pointerId, pointerX, pointerY, videoWidth: 720, videoHeight: 1280,
                    pressure, actionButton, buttons });
same('touch_down_p0', touch(A.Down, 0n, 100, 200, 1));
same('touch_down_p1', touch(A.Down, 1n, 300, 400, 0.5));
same('touch_move_p0', touch(A.Move, 0n, 110, 215, 0.25));
same('touch_move_p1', touch(A.Move, 1n, 719, 1279, 0.1));
same('touch_up_p1', touch(A.Up, 1n, 719, 1279, 0));
same('touch_up_p0', touch(A.Up, 0n, 110, 215, 0));
same('touch_p9_pressure_third', touch(A.Down, 9n, 0, 0, 0.33));
const primary = AndroidMotionEventButton.Primary;
same('mouse_down', touch(A.Down, -1n, 5, 6, 1, primary, primary));
same('mouse_up', touch(A.Up, -1n, 5, 6, 0, primary, 0));
same('generic_finger_move', touch(A.Move, -2n, 7, 8, 0.75));
same('virtual_finger_down', touch(A.Down, -3n, 613, 1072, 1));
// Positions are signed on the wire (i32); the library writes u32, so pass the two's complement.
same('negative_position', touch(A.Move, 2n, 2 ** 32 - 5, 2 ** 32 - 1, 0.5));

// ---- Keys: the daemon maps Linux KEY_* and v1 modifiers (src/agent/keymap.c).
const K = AndroidKeyEventAction;
const M = AndroidKeyEventMeta;
const key = (action, keyCode, repeat, metaState) =>
  ser.injectKeyCode({ action, keyCode, repeat, metaState });
same('key_a_shift_down', key(K.Down, AndroidKeyCode.KeyA, 0, M.Shift | M.ShiftLeft));
same('key_a_shift_up', key(K.Up, AndroidKeyCode.KeyA, 0, M.Shift | M.ShiftLeft));
same('key_c_ctrl_alt_repeat',
     key(K.Down, AndroidKeyCode.KeyC, 3, M.Ctrl | M.CtrlLeft | M.Alt | M.AltLeft));
same('key_enter', key(K.Down, AndroidKeyCode.Enter, 0, 0));
same('key_back', key(K.Up, AndroidKeyCode.AndroidBack, 0, 0));
same('key_f12_meta_caps',
     key(K.Down, AndroidKeyCode.F12, 0, M.Meta | M.MetaLeft | M.CapsLock | M.NumLock));

// ---- Text: ≤ 300 bytes per message, longer text cut on UTF-8 boundaries by the daemon.
same('text_ascii.0', ser.injectText('hello, world'));
same('text_cjk.0', ser.injectText('日本語のテキスト、中文，한국어 🙂'));
let long = 'x';
for (let i = 0; i < 150; i++) long += i % 3 ? '語' : 'ab';
let joined = '';
const decoder = new TextDecoder('utf-8', { fatal: true });
for (let i = 0; ours.has(`text_long.${i}`); i++) {
  const mine = ours.get(`text_long.${i}`);
  const len = mine.readUInt32BE(1);
  check(len <= 300 && len === mine.length - 5, `text_long.${i}: ${len} bytes, at most 300`);
  const chunk = decoder.decode(mine.subarray(5)); // throws on a split sequence
  joined += chunk;
  same(`text_long.${i}`, ser.injectText(chunk));
}
check(joined === long, 'text_long: the chunks join to the original text');

// ---- Clipboard, scroll, and the messages without arguments
same('clipboard_plain', ser.setClipboard({ sequence: 0n, paste: false, content: 'copied text' }));
same('clipboard_paste_seq', ser.setClipboard({ sequence: 5n, paste: true, content: '貼り付け' }));
const scroll = (scrollX, scrollY) => ser.injectScroll({
  pointerX: 360, pointerY: 640, videoWidth: 720, videoHeight: 1280, scrollX, scrollY, buttons: 0 });
same('scroll_up', scroll(0, -1));
same('scroll_right_max', scroll(2.5, 16));
same('back_or_screen_on_down', ser.backOrScreenOn(K.Down));
same('back_or_screen_on_up', ser.backOrScreenOn(K.Up));
same('reset_video', ser.resetVideo());
same('rotate_device', ser.rotateDevice());
same('expand_notification_panel', ser.expandNotificationPanel());
same('expand_settings_panel', ser.expandSettingPanel());
same('collapse_panels', ser.collapseNotificationPanel());
same('display_power_on', ser.setDisplayPower(true));
same('display_power_off', ser.setDisplayPower(false));
same('start_app', ser.startApp('org.example.app'));
same('uhid_destroy', ser.uHidDestroy(2));

// ---- The stand-in's video stream through the library's parsers
const stream = ours.get('stream');
ours.delete('stream');
check(ours.size === 0, `every printed message was compared (left: ${[...ours.keys()]})`);
check(stream[0] === 0, 'the stream starts with the dummy byte');
// The library's connection layer reads the dummy byte; its parsers start after it. Feed the
// rest in 7-byte chunks so every header straddles chunks.
const body = stream.subarray(1);
let off = 0;
const source = new ReadableStream({
  pull(controller) {
    if (off >= body.length) return controller.close();
    controller.enqueue(new Uint8Array(body.subarray(off, off + 7)));
    off += 7;
  },
});
const { stream: rest, metadata } = await options.parseVideoStreamMetadata(source);
check(metadata.deviceName === 'ancloud stand-in', `device name: ${metadata.deviceName}`);
check(metadata.codec === ScrcpyVideoCodecId.H264, `codec: ${metadata.codec.toString(16)}`);
check(metadata.width === 720 && metadata.height === 1280, `size ${metadata.width}x${metadata.height}`);

const packets = [];
const reader = rest.pipeThrough(options.createMediaStreamTransformer()).getReader();
for (;;) {
  const { done, value } = await reader.read();
  if (done) break;
  packets.push(value);
}
const expected = [
  { type: 'configuration', len: 12 },
  { type: 'data', keyframe: true, pts: 0n, len: 9 },
  { type: 'data', keyframe: false, pts: 33333n, len: 4 },
  { type: 'data', keyframe: false, pts: 66666n, len: 0 },
  { type: 'data', keyframe: true, pts: 1000000n, len: 5000 },
];
check(packets.length === expected.length, `${packets.length} packets, want ${expected.length}`);
expected.forEach((e, f) => {
  const p = packets[f];
  check(p.type === e.type, `packet ${f}: type ${p.type}`);
  if (e.type === 'data') {
    check(p.keyframe === e.keyframe, `packet ${f}: keyframe ${p.keyframe}`);
    check(p.pts === e.pts, `packet ${f}: pts ${p.pts}`);
  }
  check(p.data.length === e.len, `packet ${f}: ${p.data.length} bytes`);
  check(p.data.every((b, i) => b === (f * 31 + i) % 251), `packet ${f}: payload bytes`);
});

// ---- The key table against the library's Android key codes, for the keys the web client
// sends (web/js/input.js: KeyboardEvent.code → Linux KEY_*); the library names Android codes
// after KeyboardEvent.code.
const web = fs.readFileSync(path.join(process.env.ANC_SOURCE_ROOT || '.', 'web/js/input.js'), 'utf8');
const table = /const KEYCODES = \{([^}]*)\}/.exec(web);
check(table, 'web/js/input.js has a KEYCODES table');
const keymap = new Map(run.stdout.split('\n').filter((l) => l.startsWith('keymap '))
  .map((l) => l.split(' ').slice(1).map(Number)));
let compared = 0;
for (const [, code, linux] of table[1].matchAll(/(\w+): (\d+)/g)) {
  const android = AndroidKeyCode[code];
  if (android === undefined) continue; // a name the library spells differently
  check(keymap.get(Number(linux)) === android,
        `${code} (KEY ${linux}) → ${keymap.get(Number(linux))}, the library says ${android}`);
  compared++;
}
check(compared >= 25, `compared ${compared} keys of the web client`);
console.error(`ok - ${checks} checks against @yume-chan/scrcpy ScrcpyOptions3_3_3`);
process.exit(0);
