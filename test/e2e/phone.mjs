// The player on a phone (Chromium's phone emulation: 390×844 at 3×, touch), and reconnection.
// Signed in and the instance created through the page on the phone. Phone-sized: the video
// fills the screen in portrait and landscape keeping its aspect; a tap on the video reaches the
// guest (the demo app on an x11 instance, which logs every touch) at the right place, a tap on
// the letterbox bars sends nothing; a swipe scrolls nothing; the phone buttons are greyed out
// for what the kind cannot do; the clipboard both ways through the page (its panel and the
// device clipboard; its clipboard button, pasted in the app). Reconnection: a session deleted by
// the server, the network dropped (ICE lost), a stopped instance (409), a daemon restart on the
// same state and port: the page plays again by itself, saying what it does; a deleted instance
// (404) and a revoked share link (401) are said in words and not retried; a full server (503) is
// said and retried. Screenshots go to $ANC_BUILD_ROOT/screenshots/phone-*.png.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn, execFileSync } from 'node:child_process';
import { enterNetns, startDaemon, launchChromium, createPattern, waitFor, check, fail } from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
if (!fs.existsSync(demo)) fail(`${demo} is not built`);
if (!fs.existsSync('/usr/bin/xclip')) fail('needs /usr/bin/xclip');
const shots = path.join(process.env.ANC_BUILD_ROOT, 'screenshots');
fs.mkdirSync(shots, { recursive: true });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// The demo app's command for the create form (space-separated words): a script that says the
// guest's display, for xclip as another client of it (the clipboard below).
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'anc-phone-'));
fs.chmodSync(tmp, 0o755);
const wrapper = path.join(tmp, 'demo.sh');
fs.writeFileSync(wrapper, `#!/bin/sh\necho "guest-env $DISPLAY $XAUTHORITY"\nexec ${demo} --width 720 --height 1280\n`,
  { mode: 0o755 });
process.on('exit', () => fs.rmSync(tmp, { recursive: true, force: true }));

let daemon = await startDaemon();
let browser;
try {
  const tc = await createPattern(daemon, { name: 'tc', width: 360, height: 640, fps: 15 });
  const b = await launchChromium();
  browser = b.browser;
  const context = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 3,
    isMobile: true, hasTouch: true, permissions: ['clipboard-read', 'clipboard-write'] });
  const page = await context.newPage();

  // Sign in and create the x11 instance through the page, on the phone.
  await page.goto(`${daemon.base}/`);
  await page.fill('#token', daemon.token);
  await page.click('#login-form button[type=submit]');
  await page.waitForSelector('#dashboard:not([hidden])', { timeout: 10000 });
  await page.click('#create summary');
  await page.fill('#new-name', 'demo');
  await page.selectOption('#new-kind', 'x11');
  await page.fill('#new-command', wrapper);
  await page.click('#create-submit');
  const id = await waitFor(async () => (await daemon.api('GET', '/api/v1/instances')).json.instances
    .find((i) => i.name === 'demo' && i.state === 'running')?.id, { what: 'the instance created on the phone' });
  const inst = (await daemon.api('GET', `/api/v1/instances/${id}`)).json;
  check(inst.kind === 'x11' && inst.width === 720 && inst.height === 1280 && inst.fps === 30,
    `signed in and created on the phone: ${inst.kind} ${inst.width}x${inst.height} @ ${inst.fps} fps`);
  const appLog = async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;
  const downs = async () => [...(await appLog()).matchAll(/"event":"down","x":(-?\d+),"y":(-?\d+)/g)]
    .map((m) => [Number(m[1]), Number(m[2])]);
  const sessions = async () => {
    const l = await daemon.api('GET', '/api/v1/sessions');
    return (Array.isArray(l.json) ? l.json : l.json.sessions).filter((x) => x.instance === id);
  };
  await waitFor(async () => (await appLog()).includes('"ready"'), { what: 'the app' });
  await page.waitForSelector(`.card[data-id="${id}"] button:has-text("View")`, { timeout: 10000 });
  await page.screenshot({ path: path.join(shots, 'phone-dashboard.png') });

  // Buttons per kind: a pattern takes no input at all.
  const buttons = () => page.evaluate(() => Object.fromEntries([...document.querySelectorAll(
    '#player-keys button')].map((b) => [b.dataset.key || b.id, { off: b.disabled, title: b.title }])));
  await page.click(`.card[data-id="${tc}"] button:has-text("View")`);
  await page.waitForFunction(() => document.getElementById('video').videoWidth === 360, null, { timeout: 10000 });
  let bs = await buttons();
  check(['back', 'home', 'recents', 'rotate', 'keyboard', 'paste'].every((k) => bs[k].off &&
    /pattern/.test(bs[k].title)) && !bs.fullscreen.off && !bs.stats.off,
  `pattern: every guest button greyed with a reason ("${bs.back.title}"), fullscreen and stats not`);
  await page.click('#player-close');

  await page.click(`.card[data-id="${id}"] button:has-text("View")`);
  const playing = () => page.waitForFunction(() => document.getElementById('video').videoWidth === 720 &&
    document.getElementById('player-state').textContent === 'connected', null, { timeout: 20000 });
  await playing();
  bs = await buttons();
  check(!bs.back.off && !bs.keyboard.off && !bs.paste.off && ['home', 'recents', 'rotate'].every((k) => bs[k].off &&
    /x11/.test(bs[k].title)), `x11: back, keyboard and clipboard usable, home/recents/rotate greyed ("${bs.home.title}")`);

  // The picture on the screen (letterboxed inside the video box) and a point on a bar.
  const geometry = () => page.evaluate(() => {
    const v = document.getElementById('video'), r = v.getBoundingClientRect();
    const s = Math.min(r.width / v.videoWidth, r.height / v.videoHeight);
    const w = v.videoWidth * s, h = v.videoHeight * s;
    const f = { x: r.left + (r.width - w) / 2, y: r.top + (r.height - h) / 2, w, h };
    // The middle of the wider bar, inside the video box.
    const bar = r.width - w > r.height - h ? { x: r.left + (f.x - r.left) / 2, y: r.top + r.height / 2 }
      : { x: r.left + r.width / 2, y: r.top + (f.y - r.top) / 2 };
    const barSize = Math.max(r.width - w, r.height - h) / 2;
    return { f, bar, barSize, vw: innerWidth, vh: innerHeight };
  });
  const scrolled = () => page.evaluate(() => [document.scrollingElement.scrollTop,
    document.scrollingElement.scrollLeft, visualViewport.scale]);
  const cdp = await context.newCDPSession(page);
  const swipe = async (x, y, dy) => {
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: [{ x, y }] });
    for (let i = 1; i <= 8; i++) {
      await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: [{ x, y: y + (dy * i) / 8 }] });
    }
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  };

  for (const [name, vp, guest] of [['portrait', { width: 390, height: 844 }, [180, 640]],
    ['landscape', { width: 844, height: 390 }, [540, 320]]]) {
    await page.setViewportSize(vp);
    await sleep(300);
    const g = await geometry();
    const fill = Math.max(g.f.w / g.vw, g.f.h / g.vh);
    check(fill > 0.8, `${name}: the video fills the screen (${Math.round(fill * 100)} % of its ` +
      `${g.f.w / g.vw > g.f.h / g.vh ? 'width' : 'height'}, ${Math.round(g.f.w)}×${Math.round(g.f.h)} in ${g.vw}×${g.vh})`);
    await page.screenshot({ path: path.join(shots, `phone-player-${name}.png`) });

    const n = (await downs()).length;
    await page.touchscreen.tap(g.f.x + (guest[0] * g.f.w) / 720, g.f.y + (guest[1] * g.f.h) / 1280);
    const d = await waitFor(async () => { const a = await downs(); return a.length > n ? a[a.length - 1] : null; },
      { what: `the ${name} tap in the app` });
    check(Math.abs(d[0] - guest[0]) <= 7.2 && Math.abs(d[1] - guest[1]) <= 12.8,
      `${name}: a tap reaches the app at (${d}) for (${guest})`);

    check(g.barSize >= 4, `${name}: the video box has letterbox bars (${Math.round(g.barSize)} px)`);
    const before = (await sessions())[0].input.messages;
    await page.touchscreen.tap(g.bar.x, g.bar.y);
    await sleep(1000);
    const after = (await sessions())[0].input.messages;
    check(after === before && (await downs()).length === n + 1,
      `${name}: a tap on the letterbox bar at (${Math.round(g.bar.x)},${Math.round(g.bar.y)}) sends nothing`);

    // Swipes on the video, on a bar and on the top bar: the page neither scrolls nor zooms.
    await swipe(g.f.x + g.f.w / 2, g.f.y + g.f.h * 0.8, -g.f.h * 0.6);
    await swipe(g.bar.x, g.bar.y, g.vh * 0.3);
    await swipe(g.vw / 2, 20, g.vh * 0.5);
    await swipe(g.vw / 2, g.vh * 0.8, -g.vh * 0.6);
    await sleep(300);
    const s = await scrolled();
    check(s[0] === 0 && s[1] === 0 && s[2] === 1, `${name}: swipes scroll and zoom nothing (${s})`);
  }
  await page.setViewportSize({ width: 390, height: 844 });

  // The clipboard both ways through the page itself: xclip takes the guest's CLIPBOARD → the
  // page's clipboard panel shows the text and (allowed here) puts it on the device's clipboard;
  // the clipboard button → the guest's CLIPBOARD (the daemon owns it), pasted into the app.
  const [, DISPLAY, XAUTHORITY] = (await appLog()).match(/guest-env (\S+) (\S+)/);
  const xenv = { ...process.env, DISPLAY, XAUTHORITY };
  const g2p = 'from the guest: 剪贴板 ✓';
  const owner = spawn('xclip', ['-quiet', '-selection', 'clipboard', '-i'], { env: xenv, stdio: ['pipe', 'ignore', 'ignore'] });
  owner.stdin.end(g2p);
  await page.waitForFunction((t) => !document.getElementById('guest-clipboard').hidden &&
    document.getElementById('guest-clipboard-text').value === t, g2p, { timeout: 8000 });
  const device = await page.evaluate(() => navigator.clipboard.readText());
  check(device === g2p, `guest → page: the clipboard panel shows "${g2p}", the device's clipboard has "${device}"`);
  const p2g = 'from the phone: 日本語';
  await page.evaluate((t) => navigator.clipboard.writeText(t), p2g);
  await page.click('#paste');
  const pasted = await waitFor(async () => {
    const all = [...(await appLog()).matchAll(/"event":"paste","text":"([^"]*)"/g)].map((x) => x[1]);
    return all.includes(p2g) ? p2g : null;
  }, { what: 'the pasted text in the app' });
  const guestClip = execFileSync('xclip', ['-o', '-selection', 'clipboard'], { env: xenv, timeout: 5000 }).toString();
  check(pasted === p2g && guestClip === p2g, `page → guest: the clipboard button set the guest's CLIPBOARD ` +
    `("${guestClip}") and the app pasted it`);
  owner.kill();

  // The server deletes the session: the page connects again by itself.
  const state = () => page.textContent('#player-state');
  const notice = () => page.textContent('#player-notice');
  const sid0 = (await sessions())[0].id;
  const del = await daemon.api('DELETE', `/api/v1/sessions/${sid0}`);
  check(del.status === 200, 'DELETE of the session');
  await page.waitForFunction(() => /reconnect/.test(document.getElementById('player-state').textContent),
    null, { timeout: 10000 });
  check(true, `the page says "${await state()}": "${await notice()}"`);
  await playing();
  const sid1 = (await sessions())[0].id;
  check(sid1 !== sid0, `it plays again on a new session (${sid0} → ${sid1})`);
  const n1 = (await downs()).length;
  const g1 = await geometry();
  await page.touchscreen.tap(g1.f.x + g1.f.w / 2, g1.f.y + g1.f.h / 2);
  await waitFor(async () => (await downs()).length > n1, { what: 'a tap after reconnecting' });
  check(true, 'taps reach the guest again');

  // The network drops (every packet in this namespace but HTTP's: ICE over UDP and TCP): the
  // connection fails, the page says so and tries again; once the network is back it plays on a
  // new session by itself.
  const httpPort = new URL(daemon.base).port;
  const cut = [['-p', 'udp', '-j', 'DROP'], ['-p', 'tcp', '-m', 'multiport', '!', '--ports', httpPort, '-j', 'DROP']];
  for (const rule of cut) execFileSync('iptables', ['-I', 'INPUT', ...rule]);
  try {
    await page.waitForFunction(() => /reconnecting/.test(document.getElementById('player-state').textContent),
      null, { timeout: 20000 });
    check(true, `the network down: the page says "${await notice()}"`);
  } finally {
    for (const rule of cut) execFileSync('iptables', ['-D', 'INPUT', ...rule]);
  }
  await page.waitForFunction(() => document.getElementById('player-state').textContent === 'connected',
    null, { timeout: 30000 });
  await playing();
  const sid2 = (await sessions()).find((x) => x.state === 'connected')?.id;
  check(sid2 && sid2 !== sid1, `the network back: it plays again on a new session (${sid1} → ${sid2})`);

  // The daemon restarts on the same state directory and port: the page comes back by itself.
  const listen = new URL(daemon.base).host;
  check(await daemon.stop({ keep: true }) === 0, 'daemon stops');
  await page.waitForFunction(() => /reconnecting in \d+ s/.test(document.getElementById('player-state').textContent),
    null, { timeout: 15000 });
  check(true, `while it is down the page says "${await notice()}"`);
  await sleep(1500);
  daemon = await startDaemon('', { dir: daemon.dir, listen });
  await playing();
  check(true, 'after the restart the page plays again by itself');

  // The instance stops (409: retried) and starts again; then it is deleted (404: not retried).
  await page.click('#player-close');
  await page.click(`.card[data-id="${tc}"] button:has-text("View")`);
  await page.waitForFunction(() => document.getElementById('video').videoWidth === 360 &&
    document.getElementById('player-state').textContent === 'connected', null, { timeout: 20000 });
  await daemon.api('POST', `/api/v1/instances/${tc}/stop`);
  await page.waitForFunction(() => /not running/.test(document.getElementById('player-notice').textContent) &&
    /reconnecting in/.test(document.getElementById('player-state').textContent), null, { timeout: 15000 });
  check(true, `a stopped instance: "${await notice()}"`);
  await daemon.api('POST', `/api/v1/instances/${tc}/start`);
  await page.waitForFunction(() => document.getElementById('player-state').textContent === 'connected',
    null, { timeout: 20000 });
  check(true, 'started again: the page plays again by itself');
  await daemon.api('DELETE', `/api/v1/instances/${tc}`);
  await page.waitForFunction(() => document.getElementById('player-state').textContent === 'instance gone',
    null, { timeout: 15000 });
  const gone = await notice();
  await sleep(3000);
  check(gone === 'This instance no longer exists.' && await notice() === gone && await state() === 'instance gone',
    `a deleted instance: "${gone}", and no more attempts`);

  // A share link whose token is revoked while it plays (401): said in words, not retried.
  await page.click('#player-close');
  const t = await daemon.api('POST', `/api/v1/instances/${id}/tokens`, { role: 'view', ttl_s: 600 });
  const shared = await context.newPage();
  await shared.goto(daemon.base + t.json.share_path);
  await shared.waitForFunction(() => document.getElementById('player-state').textContent === 'connected',
    null, { timeout: 20000 });
  await daemon.api('DELETE', `/api/v1/instances/${id}/tokens/${t.json.id}`);
  await shared.waitForFunction(() => document.getElementById('player-state').textContent === 'not allowed',
    null, { timeout: 15000 });
  const words = await shared.textContent('#player-notice');
  check(/expired or was revoked/.test(words), `a revoked share link: "${words}"`);

  // The server is full (503: [rtc] max_sessions, live on SIGHUP): said in words and retried; a
  // session freed elsewhere lets the page in by itself.
  await shared.close();
  await waitFor(async () => await daemon.metric('ancloud_rtc_sessions') === 0, { what: 'no session left' });
  const confPath = `${daemon.dir}/ancloud.conf`;
  fs.writeFileSync(confPath, fs.readFileSync(confPath, 'utf8').replace('[rtc]\n', '[rtc]\nmax_sessions = 1\n'));
  daemon.proc.kill('SIGHUP');
  await waitFor(() => /SIGHUP: reloaded/.test(daemon.log()), { what: 'the reload' });
  await page.click(`.card[data-id="${id}"] button:has-text("View")`);
  await playing();
  const second = await context.newPage();
  await second.goto(`${daemon.base}/`);
  await second.click(`.card[data-id="${id}"] button:has-text("View")`);
  await second.waitForFunction(() => /server is full/.test(document.getElementById('player-notice').textContent) &&
    /reconnecting in/.test(document.getElementById('player-state').textContent), null, { timeout: 15000 });
  check(true, `a full server (503): "${await second.textContent('#player-notice')}"`);
  await page.click('#player-close');
  await second.waitForFunction(() => document.getElementById('player-state').textContent === 'connected',
    null, { timeout: 20000 });
  check(true, 'once a session ends elsewhere the page gets in by itself');
  console.error(`screenshots: ${shots}/phone-{dashboard,player-portrait,player-landscape}.png`);
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');
