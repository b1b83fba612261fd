#!/usr/bin/env node
// ancloud-agent (tools/guest/agent*.c), the scrcpy-server 3.3.3 stand-in, on a private Xvfb with
// the demo app, driven by an independent client: @yume-chan/scrcpy 2.3.0 (ScrcpyOptions3_3_3)
// builds the command line, parses the video stream and the device messages, and serializes the
// control messages. Checks: device name, h264 and the screen size, a config packet first then a
// keyframe, increasing PTS; two touch pointers → two marker windows (xwininfo), gone on up, and
// the primary one clicks the app; RESET_VIDEO → config then keyframe; keys and text (Latin-1 and
// CJK) typed into the app; SET_CLIPBOARD → ACK and `xclip -o`; a guest clipboard (`xclip -i`) →
// a CLIPBOARD device message, and again on GET_CLIPBOARD; the client leaving → exit 0.
// Exits 77 (skip) when Xvfb, xclip or the binaries are missing (1 with CI=true).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import readline from 'node:readline';
import { Readable } from 'node:stream';
import {
  AndroidKeyCode,
  AndroidKeyEventAction,
  AndroidKeyEventMeta,
  AndroidMotionEventAction,
  ScrcpyControlMessageSerializer,
  ScrcpyInstanceId,
  ScrcpyOptions3_3_3,
  ScrcpyVideoCodecId,
} from '@yume-chan/scrcpy';
import { BufferedReadableStream } from '@yume-chan/stream-extra';

const build = process.env.ANC_BUILD_ROOT || 'build';
const agentExe = path.join(build, 'tools/guest/ancloud-agent');
const demoExe = path.join(build, 'tools/guest/ancloud-demo');
const W = 360, H = 640;
const children = [];
let agentErr = '';

function cleanup() {
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
}
function fail(message) {
  console.error(`FAIL: ${message}`);
  if (agentErr) console.error(`--- agent stderr ---\n${agentErr}`);
  cleanup();
  process.exit(1);
}
function skip(message) {
  console.error(`SKIP: ${message}`);
  process.exit(process.env.CI === 'true' ? 1 : 77);
}
let checks = 0;
function check(cond, message) {
  if (!cond) fail(message);
  checks++;
}
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
// Polls cond() until it returns a truthy value or ms pass.
async function until(cond, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await cond();
    if (v) return v;
    if (Date.now() > end) fail(`timed out waiting for ${what}`);
    await sleep(25);
  }
}

for (const [exe, why] of [[agentExe, 'not built'], [demoExe, 'not built']]) {
  if (!fs.existsSync(exe)) skip(`${exe} ${why}`);
}
for (const tool of ['Xvfb', 'xwininfo', 'xclip']) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) skip(`${tool} not installed`);
}
setTimeout(() => fail('the whole test took over 90 s'), 90000).unref();

// ---- A private X server, the demo app on it, then the agent.
const xvfb = spawn('Xvfb', ['-displayfd', '1', '-screen', '0', `${W}x${H}x24`, '-nolisten', 'tcp'],
                   { stdio: ['ignore', 'pipe', 'ignore'] });
children.push(xvfb);
const dnum = await new Promise((resolve) => {
  xvfb.stdout.once('data', (d) => resolve(String(d).trim()));
  xvfb.once('exit', () => fail('Xvfb exited'));
});
const env = { ...process.env, DISPLAY: `:${dnum}`, LANG: 'C.UTF-8' };

const demo = spawn(demoExe, ['--width', String(W), '--height', String(H)],
                   { env, stdio: ['ignore', 'pipe', 'inherit'] });
children.push(demo);
const demoEvents = [];
readline.createInterface({ input: demo.stdout }).on('line', (l) => {
  try { demoEvents.push(JSON.parse(l)); } catch { /* not an event line */ }
});
await until(() => demoEvents.some((e) => e.event === 'ready'), 15000, 'the demo app');

const scid = Math.floor(Math.random() * 0x7fffffff);
const options = new ScrcpyOptions3_3_3({
  tunnelForward: true, audio: false, control: true, videoBitRate: 4000000, maxFps: 30,
  sendDeviceMeta: true, sendDummyByte: true, scid: new ScrcpyInstanceId(scid),
});
const args = ['3.3.3', ...options.serialize(), 'log_level=debug', 'some_future_key=1'];
const agent = spawn(agentExe, args, { env, stdio: ['ignore', 'inherit', 'pipe'] });
children.push(agent);
agent.stderr.on('data', (d) => { agentErr += d; });
const agentExit = new Promise((resolve) => agent.on('exit', (code, sig) => resolve({ code, sig })));
const sockName = `\0scrcpy_${scid.toString(16).padStart(8, '0')}`;

// Node's net cannot name an abstract socket by its exact length (libuv pads the address), so a
// relay in python3 joins a socket file to it: one connection per accepted one, in accept order.
const relayPath = path.join(fs.mkdtempSync('/tmp/anc-agent-test-'), 'relay.sock');
const relay = spawn('python3', ['-c', `
import socket, sys, threading, time
name, path = sys.argv[1].encode(), sys.argv[2]
srv = socket.socket(socket.AF_UNIX)
srv.bind(path)
srv.listen(4)
def pump(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = srv.accept()
    for _ in range(200):
        u = socket.socket(socket.AF_UNIX)
        try:
            u.connect(b'\\0' + name)
            break
        except OSError:
            u.close()
            time.sleep(0.05)
    else:
        c.close()
        continue
    threading.Thread(target=pump, args=(c, u), daemon=True).start()
    threading.Thread(target=pump, args=(u, c), daemon=True).start()
`, sockName.slice(1), relayPath], { stdio: 'inherit' });
children.push(relay);
await until(() => fs.existsSync(relayPath), 5000, 'the relay');

async function connect() {
  const s = await until(() => new Promise((resolve) => {
    const c = net.connect({ path: relayPath });
    c.once('connect', () => resolve(c));
    c.once('error', () => resolve(null));
  }), 10000, `the agent's socket ${JSON.stringify(sockName)}`);
  await sleep(100); // the relay connects them in order
  return s;
}
// scrcpy-server accepts video, then control: connect in that order.
const videoSock = await connect();
const controlSock = await connect();
check(agentErr.includes('unknown option some_future_key=1'), 'an unknown key is warned about');

// ---- Video: the dummy byte is read by the connection layer, the rest by the library.
const videoWeb = Readable.toWeb(videoSock);
let sawDummy = null;
const afterDummy = videoWeb.pipeThrough(new TransformStream({
  transform(chunk, controller) {
    if (sawDummy === null) {
      sawDummy = chunk[0];
      chunk = chunk.subarray(1);
    }
    if (chunk.length) controller.enqueue(new Uint8Array(chunk));
  },
}));
const { stream: packetsIn, metadata } = await options.parseVideoStreamMetadata(afterDummy);
check(sawDummy === 0, `dummy byte ${sawDummy}`);
const host = fs.readFileSync('/proc/sys/kernel/hostname', 'utf8').trim() || 'ancloud-agent';
check(metadata.deviceName === host.slice(0, 63), `device name ${metadata.deviceName}, want ${host}`);
check(metadata.codec === ScrcpyVideoCodecId.H264, `codec ${metadata.codec}`);
check(metadata.width === W && metadata.height === H, `size ${metadata.width}x${metadata.height}`);

const packets = [];
(async () => {
  const reader = packetsIn.pipeThrough(options.createMediaStreamTransformer()).getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    packets.push(value);
  }
})().catch((e) => { if (!shuttingDown) fail(`video stream: ${e}`); });
let shuttingDown = false;

await until(() => packets.length >= 2, 5000, 'two video packets');
check(packets[0].type === 'configuration', `first packet: ${packets[0].type}`);
check(packets[0].data[4] === 0x67 || (packets[0].data[4] & 0x1f) === 7, 'config starts with an SPS');
check(packets[1].type === 'data' && packets[1].keyframe, 'second packet: a keyframe');

// ---- Control: device messages through the library's parsers.
const controlBuf = new BufferedReadableStream(Readable.toWeb(controlSock));
(async () => {
  for (;;) {
    const id = await controlBuf.readExactly(1);
    await options.deviceMessageParsers.parse(id[0], controlBuf);
  }
})().catch((e) => { if (!shuttingDown) fail(`device messages: ${e}`); });
const clipboards = [];
(async () => {
  const reader = options.clipboard.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    clipboards.push(value);
  }
})().catch(() => {});
const ser = new ScrcpyControlMessageSerializer(options);
const send = (bytes) => controlSock.write(Buffer.from(bytes));

// ---- Touch: two fingers, two markers; the first also clicks the app.
const A = AndroidMotionEventAction;
const touch = (action, pointerId, x, y) => ser.injectTouch({
  action, pointerId, pointerX: x, pointerY: y, videoWidth: W, videoHeight: H,
  pressure: action === A.Up ? 0 : 1, actionButton: 0, buttons: 0 });
function marker(slot) {
  const r = spawnSync('xwininfo', ['-name', `ancloud-touch-${slot}`], { env, encoding: 'utf8' });
  if (r.status !== 0) return null;
  const num = (k) => Number(new RegExp(`${k}:\\s+(-?\\d+)`).exec(r.stdout)?.[1]);
  return { x: num('Absolute upper-left X'), y: num('Absolute upper-left Y'),
           w: num('Width'), viewable: /Map State:\s+IsViewable/.test(r.stdout) };
}
const before = packets.length;
send(touch(A.Down, 0n, 100, 200));
send(touch(A.Down, 1n, 250, 500));
const m0 = await until(() => { const m = marker(0); return m?.viewable && m; }, 3000, 'marker 0');
const m1 = await until(() => { const m = marker(1); return m?.viewable && m; }, 3000, 'marker 1');
check(m0.x === 100 - m0.w / 2 && m0.y === 200 - m0.w / 2, `marker 0 at ${m0.x},${m0.y}`);
check(m1.x === 250 - m1.w / 2 && m1.y === 500 - m1.w / 2, `marker 1 at ${m1.x},${m1.y}`);
await until(() => packets.length > before, 3000, 'a frame showing the markers');
send(touch(A.Move, 1n, 260, 520));
await until(() => marker(1)?.y === 520 - m1.w / 2, 3000, 'marker 1 following its move');
send(touch(A.Up, 1n, 260, 520));
send(touch(A.Up, 0n, 100, 200));
await until(() => marker(0)?.viewable === false && marker(1)?.viewable === false, 3000,
            'both markers hidden after up');
await until(() => demoEvents.some((e) => e.event === 'up'), 3000, 'the app seeing the tap');
const down = demoEvents.find((e) => e.event === 'down');
check(down && down.x === 100 && down.y === 200, `the app's down: ${JSON.stringify(down)}`);
check(demoEvents.filter((e) => e.event === 'down').length === 1, 'only pointer 0 clicks the app');

// ---- RESET_VIDEO: the next packets are a config packet and a keyframe.
const mark = packets.length;
send(ser.resetVideo());
await until(() => packets.slice(mark).findIndex((p) => p.type === 'configuration') >= 0 &&
  packets.length > mark + packets.slice(mark).findIndex((p) => p.type === 'configuration') + 1,
  3000, 'a config packet and a frame after RESET_VIDEO');
const ci = mark + packets.slice(mark).findIndex((p) => p.type === 'configuration');
check(packets[ci + 1].type === 'data' && packets[ci + 1].keyframe,
      'the packet after the new config is a keyframe');

// ---- Keys and text into the app.
const K = AndroidKeyEventAction;
const key = (action, keyCode, metaState) => ser.injectKeyCode({ action, keyCode, repeat: 0, metaState });
send(key(K.Down, AndroidKeyCode.KeyA, AndroidKeyEventMeta.Shift | AndroidKeyEventMeta.ShiftLeft));
send(key(K.Up, AndroidKeyCode.KeyA, AndroidKeyEventMeta.Shift | AndroidKeyEventMeta.ShiftLeft));
const want = 'Ahéllo 漢字';
send(ser.injectText('héllo 漢字'));
const typed = () => demoEvents.filter((e) => e.event === 'text').map((e) => e.text).join('');
await until(() => typed() === want || typed().length >= want.length, 5000, `text "${want}"`);
check(typed() === want, `the app got text "${typed()}", want "${want}"`);

// ---- Clipboard, client → guest: ACK with the sequence, then any X client reads it.
const clipText = 'clip ✓ 剪贴板';
const [setBytes, acked] = ser.setClipboard({ sequence: 7n, paste: false, content: clipText });
send(setBytes);
await Promise.race([acked, sleep(3000).then(() => fail('no ACK_CLIPBOARD for sequence 7'))]);
const xclipOut = spawnSync('xclip', ['-o', '-selection', 'clipboard', '-t', 'UTF8_STRING'],
                           { env, encoding: 'utf8', timeout: 5000 });
check(xclipOut.stdout === clipText, `xclip -o: "${xclipOut.stdout}" ${xclipOut.stderr}`);

// ---- Clipboard, guest → client: another client takes CLIPBOARD; GET_CLIPBOARD asks again.
const guestText = 'from the guest 客户端';
const xclipIn = spawn('xclip', ['-i', '-selection', 'clipboard', '-quiet'],
                      { env, stdio: ['pipe', 'ignore', 'ignore'] });
children.push(xclipIn);
xclipIn.stdin.end(guestText);
await until(() => clipboards.includes(guestText), 5000, 'a CLIPBOARD device message');
check(!clipboards.includes(clipText), 'the client\'s own text is not echoed back');
const n = clipboards.length;
send([8, 0]); // GET_CLIPBOARD, copy key none (the library has no serializer for it)
await until(() => clipboards.length > n, 3000, 'a CLIPBOARD reply to GET_CLIPBOARD');
check(clipboards[n] === guestText, `GET_CLIPBOARD: "${clipboards[n]}"`);
xclipIn.kill();

// ---- Stream checks over everything received.
const data = packets.filter((p) => p.type === 'data');
for (let i = 1; i < data.length; i++) {
  check(data[i].pts > data[i - 1].pts, `pts ${data[i].pts} after ${data[i - 1].pts}`);
}
check(data.every((p) => p.data[0] === 0 && p.data[1] === 0), 'frames are Annex-B');

// ---- The client leaves: the agent exits 0.
shuttingDown = true;
videoSock.destroy();
controlSock.destroy();
const exit = await Promise.race([agentExit, sleep(5000).then(() => null)]);
check(exit && exit.code === 0, `agent exit after the client left: ${JSON.stringify(exit)}`);
cleanup();
console.error(`ok - ${checks} checks, ${packets.length} packets (${data.filter((p) => p.keyframe).length} keyframes)`);
process.exit(0);
