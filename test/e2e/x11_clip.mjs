// The clipboard of an `x11` instance both ways, with the real demo app on its own Xvfb, viewed in
// headless Chromium, and `xclip` as the guest's other X client (DISPLAY and XAUTHORITY as the
// instance's command got them):
// - guest → page: xclip takes CLIPBOARD → the page receives a type-128 message with the text;
// - page → guest: a type-6 message → `xclip -o` on the guest display returns it (CLIPBOARD and
//   PRIMARY), and with the paste flag the app pastes it (Ctrl+V through XTest);
// - CJK text both ways; a 300 KiB clipboard, and a 2 MiB one that xclip sends INCR, reach the
//   page cut to one message and flagged truncated.
import fs from 'node:fs';
import { spawn, execFileSync } from 'node:child_process';
import { enterNetns, startDaemon, launchChromium, VIEWER_JS, waitFor, check, fail } from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
if (!fs.existsSync(demo)) fail(`${demo} is not built`);
for (const p of ['/usr/bin/Xvfb', '/usr/bin/xclip']) if (!fs.existsSync(p)) fail(`needs ${p}`);

const W = 720, H = 1280;
// An X client that owns CLIPBOARD and then never answers a request (libX11 through ctypes).
const HUNG_OWNER = `
import ctypes, time
x = ctypes.CDLL('libX11.so.6')
x.XOpenDisplay.restype = ctypes.c_void_p
x.XDefaultRootWindow.argtypes = [ctypes.c_void_p]; x.XDefaultRootWindow.restype = ctypes.c_ulong
x.XCreateSimpleWindow.argtypes = [ctypes.c_void_p, ctypes.c_ulong] + [ctypes.c_int] * 4 + [ctypes.c_uint, ctypes.c_ulong, ctypes.c_ulong]
x.XCreateSimpleWindow.restype = ctypes.c_ulong
x.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]; x.XInternAtom.restype = ctypes.c_ulong
x.XSetSelectionOwner.argtypes = [ctypes.c_void_p, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong]
x.XSync.argtypes = [ctypes.c_void_p, ctypes.c_int]
d = x.XOpenDisplay(None)
w = x.XCreateSimpleWindow(d, x.XDefaultRootWindow(d), 0, 0, 1, 1, 0, 0, 0)
x.XSetSelectionOwner(d, x.XInternAtom(d, b'CLIPBOARD', 0), w, 0)
x.XSync(d, 0)
print('owner', flush=True)
time.sleep(60)
`;
const owners = []; // xclip processes serving a selection (foreground, -quiet): ended at the end
const daemon = await startDaemon();
let browser;
try {
  const script = `echo "guest-env $DISPLAY $XAUTHORITY"; exec "$0" --width ${W} --height ${H}`;
  const r = await daemon.api('POST', '/api/v1/instances', {
    name: 'clip', kind: 'x11', width: W, height: H, fps: 30, command: ['/bin/sh', '-c', script, demo],
  });
  if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  const id = r.json.id;
  await daemon.api('POST', `/api/v1/instances/${id}/start`);
  const appLog = async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;
  await waitFor(async () => (await appLog()).includes('"event":"ready"'), { what: 'the app to be ready' });
  const [, DISPLAY, XAUTHORITY] = (await appLog()).match(/guest-env (\S+) (\S+)/);
  const xenv = { ...process.env, DISPLAY, XAUTHORITY };
  check(true, `x11 instance running the demo app on ${DISPLAY}`);

  const own = (text) => { // xclip owns CLIPBOARD with text until another client takes it
    const p = spawn('xclip', ['-quiet', '-selection', 'clipboard', '-i'], { env: xenv, stdio: ['pipe', 'ignore', 'ignore'] });
    owners.push(p);
    p.stdin.end(text);
  };
  const get = (sel) => execFileSync('xclip', ['-o', '-selection', sel], { env: xenv, timeout: 5000 }).toString();

  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: VIEWER_JS });
  const v = await page.evaluate(([e, t]) => window.whep(e, t), [`${daemon.base}/api/v1/instances/${id}/whep`, daemon.token]);
  await waitFor(() => page.evaluate((i) => window.viewers[i].dc.readyState === 'open', v), { what: 'the input channel open' });
  const send = (bytes) => page.evaluate(([i, m]) => window.viewers[i].dc.send(new Uint8Array(m)), [v, bytes]);
  const received = () => page.evaluate((i) => window.viewers[i].received.filter((m) => m[0] === 128), v);
  const next128 = async (n, what) => waitFor(async () => (await received())[n], { what, timeoutMs: 8000 });
  const utf8 = (s) => [...new TextEncoder().encode(s)];
  const text = (m) => new TextDecoder().decode(new Uint8Array(m.slice(2)));

  // Guest → page.
  let n = (await received()).length;
  const g2p = 'from the guest: 剪贴板 クリップボード 클립보드';
  own(g2p);
  let m = await next128(n++, 'a type-128 message after xclip took CLIPBOARD');
  check(m[1] === 0 && text(m) === g2p, `the page received the guest's clipboard (flags ${m[1]}): "${text(m)}"`);

  // Page → guest, no paste: the daemon owns CLIPBOARD and PRIMARY; no echo comes back.
  const p2g = 'from the page: 日本語 中文 한국어 ✓';
  await send([6, 0, ...utf8(p2g)]);
  const got = await waitFor(() => { const t = get('clipboard'); return t === p2g ? t : null; },
    { what: 'xclip -o to return the page\'s text' });
  check(got === p2g, `xclip -o -selection clipboard on the guest display: "${got}"`);
  check(get('primary') === p2g, 'PRIMARY holds it too');
  check(get('clipboard') === p2g, 'asked twice, the same text (the daemon serves every request)');

  // Page → guest with paste: the app receives Ctrl+V and pastes from CLIPBOARD.
  const pasteText = '貼り付け 粘贴';
  await send([6, 1, ...utf8(pasteText)]);
  const pasted = await waitFor(async () => {
    const all = [...(await appLog()).matchAll(/"event":"paste","text":"([^"]*)"/g)].map((x) => x[1]);
    return all.length ? all[all.length - 1] : null;
  }, { what: 'the pasted text in the app' });
  check(pasted === pasteText, `the app pasted "${pasted}"`);
  await new Promise((res) => setTimeout(res, 300));
  check((await received()).length === n, 'the daemon\'s own ownership is not echoed to the page');

  // Oversize: 300 KiB (one property) and 2 MiB (xclip sends it INCR) are cut and flagged.
  for (const kib of [300, 2048]) {
    const big = 'あいうえお0123456789'.repeat(Math.ceil(kib * 1024 / 25));
    own(big);
    m = await next128(n++, `a type-128 message for ${kib} KiB`);
    const t = text(m);
    check(m[1] === 1 && t.length > 1000 && m.length <= 65536 && big.startsWith(t),
      `a ${kib} KiB clipboard reached the page truncated (flags ${m[1]}, ${m.length} bytes, a prefix of it)`);
  }
  // Right after the cut INCR transfer (its owner still has chunks to send): the next text arrives
  // whole, nothing of the abandoned transfer mixed into it.
  for (const t of ['right after the big one', 'and again']) {
    own(t);
    m = await next128(n++, `the clipboard "${t}"`);
    check(text(m) === t && m[1] === 0, `after the cut transfer: "${text(m)}" (flags ${m[1]})`);
  }
  // A hung owner (takes CLIPBOARD, never reads its events): the daemon's loop does not wait for
  // it (the API answers at once) and the next owner's text arrives.
  const hung = spawn('python3', ['-c', HUNG_OWNER], { env: xenv, stdio: ['ignore', 'pipe', 'ignore'] });
  owners.push(hung);
  await new Promise((res) => hung.stdout.once('data', res));
  const t0 = Date.now();
  await daemon.api('GET', `/api/v1/instances/${id}`);
  check(Date.now() - t0 < 1000, `the API answers in ${Date.now() - t0} ms while an owner hangs`);
  await new Promise((res) => setTimeout(res, 2500)); // past the daemon's 2 s conversion timeout
  check((await received()).length === n, 'nothing reached the page from the hung owner');
  // The daemon is still well: a small clipboard after the big ones still arrives.
  own('small again');
  m = await next128(n++, 'the clipboard after the big ones');
  check(text(m) === 'small again' && m[1] === 0, `after them: "${text(m)}"`);

  await daemon.api('POST', `/api/v1/instances/${id}/stop`);
  await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'stopped',
    { what: 'instance stopped' });
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  for (const p of owners) if (p.exitCode === null) p.kill('SIGKILL');
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');
