// The soft keyboard and input methods on the web page: the keyboard button focuses the hidden
// text field (what brings up a phone's keyboard); an IME composition (CDP imeSetComposition, the
// way Chromium's own IME tests drive it) reaches the guest as committed text exactly once, and
// none of its intermediate states do; text inserted without a composition arrives once too; and
// physical keys typed while the field has focus still arrive once, and Ctrl+C reaches the app
// as a shortcut. The guest is the demo app on
// an x11 instance, which logs every text it receives.
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
  const typed = async () => [...(await appLog()).matchAll(/"event":"text","text":"([^"]*)"/g)]
    .map((x) => x[1]).join('');
  const settled = async (want, what) => {
    await waitFor(async () => (await typed()).includes(want), { what });
    await new Promise((res) => setTimeout(res, 1000)); // room for a duplicate to show up
    return typed();
  };
  await waitFor(async () => (await appLog()).includes('"ready"'), { what: 'the app' });

  const b = await launchChromium();
  browser = b.browser;
  const page = await b.context.newPage();
  await page.goto(`${daemon.base}/#token=${daemon.token}`);
  await page.click(`.card[data-id="${id}"] button:has-text("View")`, { timeout: 10000 });
  // Decoded video: the session (and its input channel) is up, as in web_ui.
  await page.waitForFunction(() => document.getElementById('video').videoWidth === 720, null,
    { timeout: 10000 });

  await page.click('#keyboard');
  const focused = await page.evaluate(() => {
    const a = document.activeElement, s = getComputedStyle(a);
    return { id: a.id, tag: a.tagName, opacity: s.opacity, w: a.getBoundingClientRect().width };
  });
  check(focused.id === 'ime' && focused.tag === 'TEXTAREA' && focused.opacity === '0' && focused.w <= 1,
    `the keyboard button focuses the hidden text field (${JSON.stringify(focused)})`);

  const cdp = await b.context.newCDPSession(page);
  // Text inserted without a composition (a keyboard's word, a dictation): once.
  await cdp.send('Input.insertText', { text: 'hello ' });
  // A composition: two intermediate states, then the commit.
  await cdp.send('Input.imeSetComposition', { text: 'せ', selectionStart: 1, selectionEnd: 1 });
  await cdp.send('Input.imeSetComposition', { text: 'せかい', selectionStart: 3, selectionEnd: 3 });
  await cdp.send('Input.imeSetComposition', { text: '世界', selectionStart: 2, selectionEnd: 2 });
  await cdp.send('Input.insertText', { text: '世界' });
  let t = await settled('hello 世界', 'the committed text in the app');
  check(t === 'hello 世界', `the app received "${t}": the commit once, no composition states`);
  check(await page.inputValue('#ime') === '', 'the field is emptied after the commit');

  // Physical keys with the field focused: the key handler sends them, the field does not again.
  await page.keyboard.type('ok!');
  t = await settled('hello 世界ok!', 'the typed keys in the app');
  check(t === 'hello 世界ok!', `physical keys arrive once (app has "${t}")`);

  // A shortcut: Ctrl+C goes to the guest as keys (the app copies all its text), not as text.
  await page.keyboard.press('Control+c');
  const copied = await waitFor(async () => (await appLog()).match(/"event":"copy","text":"([^"]*)"/)?.[1],
    { what: 'the app\'s copy' });
  t = await typed();
  check(copied === 'hello 世界ok!' && t === 'hello 世界ok!', `Ctrl+C reaches the app as a shortcut ("${copied}" copied, ` +
    `no text typed: "${t}")`);
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  if (browser) await browser.close();
}
check(await daemon.stop() === 0, 'daemon exits 0');
