// The web client as an installable app, in the phone emulation: the daemon serves the manifest,
// icons (each the size listed) and service worker with the right types; Chromium (a persistent
// profile: installability is never checked in an incognito one) reports no installability
// errors; the service worker controls the page after a reload, answers network first (an edited
// page arrives at the next load), never caches /api (data the daemon changed is fresh through the
// controlled page), and shows the offline page when the daemon is gone.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { enterNetns, startDaemon, createPattern, CHROMIUM, waitFor, check, fail } from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);

// A copy of web/ as the daemon's web_dir, so the test can change the page under it.
const src = path.join(process.env.ANC_SOURCE_ROOT || '.', 'web');
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'anc-pwa-'));
fs.cpSync(src, path.join(root, 'web'), { recursive: true });
process.env.ANC_SOURCE_ROOT = root;
process.on('exit', () => fs.rmSync(root, { recursive: true, force: true })); // fail() exits at once
const profile = path.join(root, 'profile');

const daemon = await startDaemon();
let context;
try {
  for (const [p, type] of [['/manifest.webmanifest', 'application/manifest+json'],
    ['/sw.js', 'text/javascript'], ['/icons/icon-512.png', 'image/png'], ['/offline.html', 'text/html']]) {
    const res = await fetch(daemon.base + p);
    check(res.status === 200 && res.headers.get('content-type').startsWith(type) &&
      res.headers.get('cache-control') === 'no-cache', `${p} is served as ${type}, no-cache`);
  }
  const manifest = await (await fetch(daemon.base + '/manifest.webmanifest')).json();
  const sizes = manifest.icons.map((i) => i.sizes);
  check(sizes.includes('192x192') && sizes.includes('512x512') &&
    manifest.icons.some((i) => i.purpose === 'maskable'), 'the manifest lists 192 and 512 px icons, one maskable');
  // Each icon is the size the manifest says (the PNG's IHDR width and height).
  for (const icon of manifest.icons) {
    const png = Buffer.from(await (await fetch(`${daemon.base}/${icon.src}`)).arrayBuffer());
    const size = `${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`;
    check(png.toString('latin1', 12, 16) === 'IHDR' && size === icon.sizes,
      `${icon.src} (${icon.purpose}) is ${size} as listed`);
  }

  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, permissions: ['camera', 'microphone'],
    // On a phone (the emulation of the phone tests), where installing matters.
    viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-loopback-in-peer-connection'],
  });
  const page = context.pages()[0] || await context.newPage();
  await page.goto(`${daemon.base}/#token=${daemon.token}`);
  await page.waitForSelector('#dashboard:not([hidden])', { timeout: 10000 });
  const ready = await page.evaluate(() => Promise.race([navigator.serviceWorker.ready.then(() => true),
    new Promise((res) => setTimeout(() => res(false), 10000))]));
  check(ready, 'the page registers a service worker and it activates (phone emulation)');
  const cdp = await context.newCDPSession(page);
  const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
  check(installabilityErrors.length === 0,
    `Chromium reports no installability errors (${JSON.stringify(installabilityErrors)})`);

  await page.reload();
  await page.waitForSelector('#dashboard:not([hidden])', { timeout: 10000 });
  const controller = await page.evaluate(() => navigator.serviceWorker.controller?.scriptURL);
  check(controller === `${daemon.base}/sw.js`, `after a reload the service worker controls the page (${controller})`);

  // /api through the controlled page: what the daemon changed is there at once.
  const names = () => page.evaluate(async (t) => {
    const r = await fetch('/api/v1/instances', { headers: { Authorization: `Bearer ${t}` } });
    return (await r.json()).instances.map((i) => i.name).sort().join(',');
  }, daemon.token);
  check(await names() === '', 'no instances yet, through the page');
  await createPattern(daemon, { name: 'fresh', width: 64, height: 64, fps: 5 });
  check(await names() === 'fresh', 'an instance created meanwhile is listed at the next request');
  const cached = await page.evaluate(async () => {
    const out = [];
    for (const k of await caches.keys()) for (const r of await (await caches.open(k)).keys()) out.push(r.url);
    return out;
  });
  check(cached.length > 0 && !cached.some((u) => new URL(u).pathname.startsWith('/api')),
    `the cache holds the shell only (${cached.length} entries, none under /api)`);
  check(cached.some((u) => u.endsWith('/offline.html')), 'the offline page is cached');
  // Every module of the web client is in the worker's install list (SHELL in sw.js): a module
  // missing there would only be cached after its first online load.
  const modules = fs.readdirSync(path.join(root, 'web', 'js')).filter((f) => f.endsWith('.js'));
  const missing = modules.filter((f) => !cached.some((u) => u.endsWith(`/js/${f}`)));
  check(missing.length === 0, `every web/js module is precached (${modules.length}; missing: ${missing.join(', ') || 'none'})`);

  // Network first: an edited page is what the next load shows.
  const index = path.join(root, 'web', 'index.html');
  fs.writeFileSync(index, fs.readFileSync(index, 'utf8').replace('<title>ancloud</title>', '<title>ancloud v2</title>'));
  await page.reload();
  check(await page.title() === 'ancloud v2', 'a changed page arrives at the next load (network first)');

  check(await daemon.stop({ keep: true }) === 0, 'daemon exits 0');
  await page.reload();
  await page.waitForSelector('#offline', { timeout: 10000 });
  check((await page.textContent('h2')) === 'Cannot reach ancloudd', 'with the daemon gone the offline page is shown');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (context) await context.close();
  await daemon.stop();
}
