// End to end over HTTPS: the daemon with [server] tls_cert/tls_key (a CA and a server certificate
// for 127.0.0.1 made here with the openssl CLI), headless Chromium opens the web client over
// https, a `pattern` instance plays over WHEP (fetch over TLS, media over DTLS/SRTP as always)
// and a tap reaches the instance. Chromium trusts only the server's public key
// (--ignore-certificate-errors-spki-list); a browser without it must refuse the page, so the
// certificate is really checked.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { CHROMIUM, enterNetns, startDaemon, createPattern, VIEWER_JS, waitFor, check, fail,
  skip } from './lib.mjs';

// The PKI is made before entering the namespace so that the re-run node process trusts the CA
// from its start (NODE_EXTRA_CA_CERTS is read once, at start) for the test's own API calls.
if (!process.env.ANC_PKI) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anc-pki-'));
  const ssl = (...args) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) skip(`openssl ${args[0]}: ${r.stderr || r.error}`);
  };
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  ssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.pem', '-days', '2', '-subj', '/CN=ancloud e2e CA');
  ssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=127.0.0.1');
  fs.writeFileSync(path.join(dir, 'ext.cnf'), 'subjectAltName=IP:127.0.0.1\n');
  ssl('x509', '-req', '-in', 'server.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-CAcreateserial',
    '-out', 'server.pem', '-days', '2', '-extfile', 'ext.cnf');
  process.env.ANC_PKI = dir;
  process.env.NODE_EXTRA_CA_CERTS = path.join(dir, 'ca.pem');
  process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
}
const pki = process.env.ANC_PKI;
if (enterNetns(import.meta.url)) process.exit(0);

// base64(sha256(SubjectPublicKeyInfo DER)) of the server certificate: what Chromium pins.
const cert = new crypto.X509Certificate(fs.readFileSync(path.join(pki, 'server.pem')));
const spki = crypto.createHash('sha256')
  .update(cert.publicKey.export({ type: 'spki', format: 'der' })).digest('base64');

const daemon = await startDaemon(`[server]\ntls_cert = ${pki}/server.pem\ntls_key = ${pki}/server.key\n` +
  '[rtc]\npublic_ip = 127.0.0.1\n');
const browsers = [];
try {
  check(daemon.base.startsWith('https://'), `the daemon prints an https:// URL (${daemon.base})`);
  const id = await createPattern(daemon);
  check(true, 'REST over TLS from node, verified against the test CA');

  // Without the pin Chromium must refuse the certificate (self-made CA, unknown to it).
  const untrusting = await launch([]);
  browsers.push(untrusting);
  const p0 = await untrusting.context.newPage();
  const refused = await p0.goto(daemon.base + '/').then(() => null, (e) => String(e));
  check(refused && /ERR_CERT/.test(refused), `a browser without the pin refuses the page (${(refused || '').split('\n')[0]})`);

  const browser = await launch([`--ignore-certificate-errors-spki-list=${spki}`]);
  browsers.push(browser);
  const page = await browser.context.newPage();
  const res = await goto(page, `${daemon.base}/#token=${daemon.token}`);
  check(res.status() === 200, `the web client loads over https (${res.status()})`);
  check(await page.evaluate(() => window.isSecureContext && location.protocol === 'https:'),
    'the page is a secure https context');
  await page.addScriptTag({ content: VIEWER_JS });
  const t0 = Date.now();
  const vi = await page.evaluate(([e, t]) => window.whep(e, t),
    [`${daemon.base}/api/v1/instances/${id}/whep`, daemon.token]);
  const stats = await waitFor(async () => {
    const s = await page.evaluate((i) => window.videoStats(i), vi);
    return s && s.framesDecoded >= 60 ? s : null;
  }, { timeoutMs: 15000, what: '60 decoded frames' });
  check(stats.frameWidth === 720, `WHEP over https plays: 60 frames decoded in ${Date.now() - t0} ms`);
  await page.evaluate((i) => window.tap(i, 0.5, 0.5), vi);
  const sid = await page.evaluate((i) => window.viewers[i].sid, vi);
  const input = await waitFor(async () => {
    const r = await daemon.api('GET', `/api/v1/sessions/${sid}`);
    return r.json && r.json.input.messages >= 2 ? r.json.input : null;
  }, { what: 'the tap at the instance' });
  check(input.messages === 2 && input.dropped === 0, 'the tap (down + up) reached the instance');
} catch (e) {
  console.error(daemon.log());
  fail(e.stack || String(e));
} finally {
  for (const b of browsers) await b.browser.close();
}
const code = await daemon.stop();
check(code === 0, `daemon exits 0 on SIGTERM (got ${code})`);
process.exit(0);

async function launch(extra) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--allow-loopback-in-peer-connection', ...extra],
  });
  return { browser, context: await browser.newContext({ permissions: ['camera', 'microphone'] }) };
}

// The guest bridge coming up in the namespace can make Chromium report ERR_NETWORK_CHANGED once.
async function goto(page, url) {
  for (let i = 0; ; i++) {
    try {
      return await page.goto(url);
    } catch (e) {
      if (i === 2 || !/ERR_NETWORK_CHANGED/.test(String(e))) throw e;
    }
  }
}
