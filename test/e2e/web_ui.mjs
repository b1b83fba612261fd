// The bundled web page as a user drives it: open the URL the daemon prints (token in the
// fragment), see the instance card, press View, watch the video, click on it and type: the guest
// app gets the touch at the mapped place and the text. Then the admin side: the "New instance"
// form (fields per kind, the daemon's error messages shown, create and start), the log panel
// (content, refresh after a Stop), and Delete behind a confirm dialog.
import fs from 'node:fs';
import { enterNetns, startDaemon, launchChromium, waitFor, check, fail, startX11Demo } from './lib.mjs';

if (enterNetns(import.meta.url)) process.exit(0);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
if (!fs.existsSync(demo)) fail(`${demo} is not built`);

const daemon = await startDaemon();
let browser;
try {
  const id = await startX11Demo(daemon);
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

  // The phone buttons and a paste send control and clipboard messages: on an x11 guest Back is
  // applied (Escape) and the paste sets the guest's clipboard; Home is greyed out (x11 has none),
  // so it is sent by hand to check that the daemon counts it as unsupported.
  const input = async () => {
    const l = await daemon.api('GET', '/api/v1/sessions');
    return (Array.isArray(l.json) ? l.json : l.json.sessions)[0].input;
  };
  const before = await input();
  check(await page.isDisabled('#player-keys button[data-key="home"]') &&
    /x11/.test(await page.getAttribute('#player-keys button[data-key="home"]', 'title')),
  'Home is greyed out on x11, its title says why');
  await page.$eval('#player-keys button[data-key="home"]', (b) => { b.disabled = false; b.click(); });
  await page.click('#player-keys button[data-key="back"]');
  await page.evaluate(() => {
    const dt = new DataTransfer();
    dt.setData('text/plain', 'pasted ✓');
    window.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, cancelable: true }));
  });
  const after = await waitFor(async () => {
    const i = await input();
    return i.messages >= before.messages + 3 && i.unsupported >= before.unsupported + 1 ? i : null;
  }, { what: 'the button and paste messages at the daemon' });
  check(after.unsupported === before.unsupported + 1 && after.dropped === before.dropped,
    `home, back and a paste reach the daemon well-formed (${after.messages - before.messages} messages, ` +
    `${after.unsupported - before.unsupported} unsupported on x11)`);
  if (process.env.ANC_SCREENSHOT) await page.screenshot({ path: process.env.ANC_SCREENSHOT });

  await page.click('#player-close');
  await waitFor(async () => await daemon.metric('ancloud_rtc_sessions') === 0,
    { what: 'the session to end when the player closes' });
  check(true, 'closing the player ends the session');

  const dialogs = [];
  page.on('dialog', (d) => { dialogs.push(d.message()); d.accept(); });
  const instances = async () => (await daemon.api('GET', '/api/v1/instances')).json.instances;
  const visible = (sel) => page.isVisible(sel);

  // The form: only the fields of the chosen kind, the defaults filled in.
  await page.click('#create summary');
  await page.waitForSelector('#new-name', { state: 'visible' });
  check(await page.inputValue('#new-width') === '720' && await page.inputValue('#new-height') === '1280' &&
    await page.inputValue('#new-fps') === '30', 'the form defaults to 720×1280 at 30 fps');
  await page.selectOption('#new-kind', 'linux');
  check(await visible('#new-image') && await visible('#new-restart') && await visible('#new-command'),
    'kind linux shows image, restart policy and the optional command');
  check(await page.textContent('#new-image') === 'no images', 'the image list is GET /api/v1/images (empty here)');
  await page.selectOption('#new-kind', 'x11');
  check(await visible('#new-command') && !(await visible('#new-image')) && !(await visible('#new-restart')),
    'kind x11 shows the command only');
  await page.selectOption('#new-kind', 'pattern');
  check(!(await visible('#new-command')) && !(await visible('#new-image')) && !(await visible('#new-restart')),
    'kind pattern shows none of them');

  // A bad value: the daemon's message is shown and the field is marked; nothing is created.
  await page.fill('#new-name', 'tc');
  await page.fill('#new-width', '15');
  await page.click('#create-submit');
  await page.waitForSelector('#create-error', { state: 'visible', timeout: 5000 });
  let msg = await page.textContent('#create-error');
  check(msg === 'width: must be an even integer from 16 to 4096', `a width of 15 shows "${msg}"`);
  check(await page.getAttribute('#new-width', 'aria-invalid') === 'true' &&
    await page.evaluate(() => document.activeElement.id) === 'new-width', 'the width field is marked and focused');
  check(!(await instances()).some((i) => i.name === 'tc'), 'nothing was created');

  // A good one: created, started, listed as running.
  await page.fill('#new-width', '360');
  await page.fill('#new-height', '640');
  await page.fill('#new-fps', '15');
  await page.click('#create-submit');
  const tc = await waitFor(async () => (await instances()).find((i) => i.name === 'tc'), { what: 'tc created' });
  check(tc.kind === 'pattern' && tc.width === 360 && tc.height === 640 && tc.fps === 15,
    'the form creates the pattern instance with its values');
  check(await page.isHidden('#create-error'), 'no error is shown');
  const tcCard = `.card[data-id="${tc.id}"]`;
  await page.waitForSelector(`${tcCard}[data-state="running"] button:has-text("View")`, { timeout: 10000 });
  check((await page.textContent(tcCard)).includes('running') &&
    (await daemon.api('GET', `/api/v1/instances/${tc.id}`)).json.state === 'running',
  'the new instance is started and shown running');

  // The same name again: the daemon's 409 message, the name field marked.
  await page.fill('#new-name', 'tc');
  await page.click('#create-submit');
  await page.waitForFunction(() => document.getElementById('create-error').textContent.includes('exists'),
    null, { timeout: 5000 });
  msg = await page.textContent('#create-error');
  check(msg.startsWith('name: an instance named "tc" exists') &&
    await page.getAttribute('#new-name', 'aria-invalid') === 'true', `a duplicate name shows "${msg}"`);
  check((await instances()).length === 2, 'and creates nothing');

  // Log: the demo app's output; after Stop (a button of its card), Refresh shows the stop too.
  await page.click(`.card[data-id="${id}"] button:has-text("Log")`);
  await page.waitForFunction(() => document.getElementById('log-text').textContent.includes('"ready"'),
    null, { timeout: 5000 });
  check(await page.textContent('#log-title') === 'Log of demo', 'Log opens the panel with the app output');
  await page.click(`.card[data-id="${id}"] button:has-text("Stop")`);
  await page.waitForSelector(`.card[data-id="${id}"][data-state="stopped"]`, { timeout: 15000 });
  check(!(await page.textContent('#log-text')).includes('stopping'), 'the log panel is not refreshed by itself');
  await page.click('#log-refresh');
  await page.waitForFunction(() => document.getElementById('log-text').textContent
    .includes('ancloudd: stopping: SIGTERM to the command'), null, { timeout: 5000 });
  check(true, 'Refresh shows what was logged since');

  // The pattern instance's log, then Delete it (confirm dialog): gone from the list and the API.
  await page.click(`${tcCard} button:has-text("Log")`);
  await page.waitForFunction(() => document.getElementById('log-title').textContent === 'Log of tc', null,
    { timeout: 5000 });
  const tcLog = (await daemon.api('GET', `/api/v1/instances/${tc.id}/log`)).text;
  await waitFor(async () => await page.textContent('#log-text') === (tcLog || '(the log is empty)'),
    { what: 'the log of tc in the panel' });
  check(true, 'the log panel shows the log of the instance asked for');
  await page.click(`${tcCard} button:has-text("Delete")`);
  await page.waitForSelector(tcCard, { state: 'detached', timeout: 10000 });
  check(dialogs.length === 1 && dialogs[0].includes('"tc"'), `Delete asks first: "${dialogs[0]}"`);
  check((await daemon.api('GET', `/api/v1/instances/${tc.id}`)).status === 404 &&
    !(await instances()).some((i) => i.name === 'tc'), 'the deleted instance is gone from the API');
  check(await page.isHidden('#log-panel'), 'the log panel of a deleted instance closes');
  check(await page.isVisible(`.card[data-id="${id}"]`), 'the other instance is still listed');
  if (process.env.ANC_SCREENSHOT) await page.screenshot({ path: process.env.ANC_SCREENSHOT.replace(/(\.png)?$/, '-admin.png') });
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');
