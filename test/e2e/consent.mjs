// Chrome's ICE consent checks (RFC 7675) keep a session alive past the 30 s consent timeout:
// after 65 s the session still exists on the daemon and frames still arrive in the browser.
import { enterNetns, startDaemon, createPattern, launchChromium, VIEWER_JS, waitFor, check,
  fail } from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);

const daemon = await startDaemon();
let browser;
try {
  const id = await createPattern(daemon, { width: 320, height: 240, fps: 15 });
  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: VIEWER_JS });
  const vi = await page.evaluate(([e, t]) => window.whep(e, t),
    [`${daemon.base}/api/v1/instances/${id}/whep`, daemon.token]);
  const sid = await page.evaluate((i) => window.viewers[i].sid, vi);
  await waitFor(async () => (await page.evaluate((i) => window.videoStats(i), vi))?.framesDecoded > 0,
    { what: 'first decoded frame' });
  await new Promise((r) => setTimeout(r, 65000));
  const s = await daemon.api('GET', `/api/v1/sessions/${sid}`);
  check(s.status === 200 && s.json.state === 'connected', 'session alive after 65 s of consent checks');
  const a = (await page.evaluate((i) => window.videoStats(i), vi)).framesDecoded;
  await new Promise((r) => setTimeout(r, 2000));
  const z = (await page.evaluate((i) => window.videoStats(i), vi)).framesDecoded;
  check(z - a >= 20, `frames still decoding after 65 s (${z - a} in 2 s)`);
  check(await page.evaluate((i) => window.viewers[i].pc.connectionState, vi) === 'connected',
    'browser still connected');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');
