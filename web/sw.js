// Service worker: keeps the app shell (the page, its styles, scripts, icons and manifest) so the
// app opens as an installed app, and shows offline.html when the daemon cannot be reached.
// Network first, so a daemon upgrade reaches the page at once; the cache is only the fallback.
// Never touched: /api (instance data, WHEP, screenshots), /metrics, anything not same-origin and
// anything that is not a GET. Media comes over WebRTC and is never a fetch.

const CACHE = 'ancloud-shell-v1';
const SHELL = [
  './', 'index.html', 'offline.html', 'manifest.webmanifest', 'css/style.css',
  'icons/icon-192.png', 'icons/icon-512.png',
  'js/app.js', 'js/api.js', 'js/create.js', 'js/dashboard.js', 'js/input.js', 'js/ime.js',
  'js/logview.js', 'js/phonebar.js', 'js/player.js', 'js/reconnect.js', 'js/share.js',
  'js/stats.js', 'js/thumbs.js',
];
const SHELL_EXT = /\.(html|css|js|png|svg|webmanifest)$/;

self.addEventListener('install', (ev) => {
  // A missing file must not keep the worker from installing: cache what is there.
  ev.waitUntil(caches.open(CACHE)
    .then((c) => Promise.all(SHELL.map((p) => c.add(p).catch(() => {}))))
    .then(() => self.skipWaiting()));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil(caches.keys()
    .then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k))))
    .then(() => self.clients.claim()));
});

// Whether this request is part of the shell (the only requests this worker answers).
function isShell(req) {
  const url = new URL(req.url);
  const scope = new URL(self.registration.scope);
  if (req.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname))
    return false;
  const rel = url.pathname.slice(scope.pathname.length);
  if (rel === 'api' || rel.startsWith('api/') || rel === 'metrics') return false;
  return req.mode === 'navigate' || rel === '' || SHELL_EXT.test(rel);
}

async function networkFirst(req) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetch(req);
    if (res.ok && res.type === 'basic') await cache.put(req, res.clone());
    return res;
  } catch (e) {
    const hit = await cache.match(req, { ignoreSearch: true });
    if (req.mode === 'navigate') {
      // The daemon is unreachable: without it the app can do nothing, so say so.
      return (await cache.match('offline.html')) || hit || Response.error();
    }
    return hit || Response.error();
  }
}

self.addEventListener('fetch', (ev) => {
  if (isShell(ev.request)) ev.respondWith(networkFirst(ev.request));
});
