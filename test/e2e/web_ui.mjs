// The bundled web page as a user drives it: open the URL the daemon prints (token in the
// fragment), see the instance card, press View, watch the video, click on it and type: the guest
// app gets the touch at the mapped place and the text.
import fs from 'node:fs';
import { enterNetns, startDaemon, launchChromium, waitFor, check, fail } from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
if (!fs.existsSync(demo)) fail(`${demo} is not built`);

const daemon = await startDaemon();
let browser;
try {
  const r = await daemon.api('POST', '/api/v1/instances', {
    name: 'demo', kind: 'x11', width: 720, height: 1280, fps: 30,
    command: [demo, '--width', '720', '--height', '1280'],
  });
  const id = r.json.id;
  await daemon.api('POST', `/api/v1/instances/${id}/start`);
  const appLog = async () => (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;
  await waitFor(async () => (await appLog()).includes('"ready"'), { what: 'the app' });

  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.setViewportSize({ width: 800, height: 900 });
  await page.goto(`${daemon.base}/#token=${daemon.token}`);
  check(!(await page.url()).includes('token='), 'the token is taken out of the address bar');
  await page.waitForSelector(`.card[data-id="${id}"] button:has-text("View")`, { timeout: 10000 });
  check(true, 'the dashboard lists the running instance');
  await page.click(`.card[data-id="${id}"] button:has-text("View")`);
  await page.waitForFunction(() => document.getElementById('video').videoWidth === 720, null,
    { timeout: 10000 });
  check(await page.textContent('#player-state') === 'connected', 'the player is connected');

  // Click where the app's (180, 640) is on the scaled video.
  const box = await page.locator('#video').boundingBox();
  const scale = Math.min(box.width / 720, box.height / 1280);
  const ox = box.x + (box.width - 720 * scale) / 2, oy = box.y + (box.height - 1280 * scale) / 2;
  await page.mouse.click(ox + 180 * scale, oy + 640 * scale);
  const down = await waitFor(async () => {
    const m = (await appLog()).match(/"event":"down","x":(\d+),"y":(\d+)/);
    return m ? [Number(m[1]), Number(m[2])] : null;
  }, { what: 'the click in the app' });
  check(Math.abs(down[0] - 180) <= 7.2 && Math.abs(down[1] - 640) <= 12.8,
    `a click on the video reaches the app at (${down}) for (180,640)`);
  await page.keyboard.type('hi!');
  await waitFor(async () => [...(await appLog()).matchAll(/"event":"text","text":"([^"]*)"/g)]
    .map((x) => x[1]).join('').includes('hi!'), { what: 'typed text in the app' });
  check(true, 'typing on the page reaches the app');
  if (process.env.ANC_SCREENSHOT) await page.screenshot({ path: process.env.ANC_SCREENSHOT });

  await page.click('#player-close');
  await waitFor(async () => await daemon.metric('ancloud_rtc_sessions') === 0,
    { what: 'the session to end when the player closes' });
  check(true, 'closing the player ends the session');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');
