// Thumbnails on the dashboard's cards of running instances: GET .../screenshot every few seconds
// with If-None-Match, so that a screen that did not change costs a 304 and no PNG. The admin token
// travels in Authorization, which an <img src> cannot send: each picture is fetched and shown
// through a blob: URL, revoked once a newer picture (or the instance's end) replaces it.
import { getToken } from './api.js';

const PERIOD_MS = 5000;

export function thumbnails(isVisible) {
  const entries = new Map(); // id → { etag, url, img }
  let timer = null;
  let busy = false; // one round of fetches at a time

  const fetchOne = async (id, e) => {
    e.tried = true;
    const headers = {};
    const token = getToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    if (e.etag) headers['If-None-Match'] = e.etag;
    // no-store: the ETag is ours to keep; the browser's cache must not answer or revalidate.
    const res = await fetch(`/api/v1/instances/${encodeURIComponent(id)}/screenshot`,
      { headers, cache: 'no-store' });
    if (res.status !== 200) return; // 304: unchanged; 409 while it stops: the list catches up
    const blob = await res.blob();
    if (entries.get(id) !== e) return; // forgotten meanwhile
    if (e.url) URL.revokeObjectURL(e.url);
    e.url = URL.createObjectURL(blob);
    e.etag = res.headers.get('ETag');
    if (e.img) e.img.src = e.url;
  };

  const tick = async () => {
    if (busy) return;
    busy = true;
    clearTimeout(timer);
    try {
      if (isVisible()) {
        for (const [id, e] of [...entries]) {
          try { await fetchOne(id, e); } catch { /* the next round tries again */ }
        }
      }
    } finally {
      busy = false;
      timer = setTimeout(tick, PERIOD_MS);
    }
  };
  const entry = (id) => {
    if (!entries.has(id)) entries.set(id, { etag: null, url: null, img: null, tried: false });
    return entries.get(id);
  };

  return {
    // The instances on screen: thumbnails for the running ones, the others' are dropped.
    sync(list) {
      const running = new Set(list.filter((i) => i.state === 'running').map((i) => i.id));
      for (const [id, e] of entries) {
        if (running.has(id)) continue;
        if (e.url) URL.revokeObjectURL(e.url);
        entries.delete(id);
      }
      for (const id of running) entry(id);
      // A new card gets its picture now, not in PERIOD_MS.
      if (!timer || [...entries.values()].some((e) => !e.tried)) tick();
    },
    // An <img> for a card of a running instance, showing the latest picture.
    img(inst) {
      const img = document.createElement('img');
      img.className = 'thumb';
      img.alt = `Screen of ${inst.name}`;
      img.width = inst.width;
      img.height = inst.height;
      const e = entry(inst.id);
      if (e.url) img.src = e.url;
      e.img = img;
      return img;
    },
  };
}
