// The instance REST API over real TCP: validation, lifecycle and state conflicts, and records
// that survive a clean restart and a SIGKILL (atomic writes), with a corrupt record moved aside.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { startDaemon, check, fail, waitFor } from './lib.mjs';

let d = await startDaemon();
try {
  await run();
} catch (e) {
  console.error(d.log());
  fail(e.stack || String(e));
}
process.exit(0);

async function expectStatus(method, p, body, status, what, type) {
  const r = await d.api(method, p, body, type);
  check(r.status === status, `${what} → ${status} (got ${r.status} ${r.text.slice(0, 120)})`);
  return r;
}

async function run() {
  const I = '/api/v1/instances';
  let r = await expectStatus('POST', I, { name: 'tc', kind: 'pattern', width: 720, height: 1280, fps: 30 }, 201, 'create');
  const tc = r.json.id;
  check(/^[0-9a-f]{12}$/.test(tc) && r.json.state === 'stopped', `new instance ${tc} is stopped`);
  check(r.headers.get('location') === `${I}/${tc}`, 'Location names the instance');
  r = await expectStatus('POST', I, { name: 'bad', kind: 'pattern', width: 721 }, 400, 'odd width');
  check(r.json.error.message === "width: must be an even integer from 16 to 4096", `error names the field: ${r.json.error.message}`);
  await expectStatus('POST', I, { name: 'x', kind: 'vm' }, 400, 'unknown kind');
  await expectStatus('POST', I, '{"name":', 400, 'malformed JSON');
  await expectStatus('POST', I, { name: 'x', kind: 'pattern' }, 415, 'wrong content type', 'text/plain');
  await expectStatus('POST', I, { name: 'tc', kind: 'pattern' }, 409, 'duplicate name');
  r = await expectStatus('POST', I, { name: 'second', kind: 'pattern', width: 320, height: 240, fps: 15 }, 201, 'create a second');
  const second = r.json.id;
  await expectStatus('GET', `${I}/000000000000`, undefined, 404, 'unknown instance');
  await expectStatus('POST', `${I}/${tc}/stop`, undefined, 409, 'stop a stopped instance');
  r = await expectStatus('POST', `${I}/${tc}/start`, undefined, 200, 'start');
  check(r.json.state === 'running', 'instance is running');
  await expectStatus('POST', `${I}/${tc}/start`, undefined, 409, 'start a running instance');
  await expectStatus('POST', `${I}/${tc}/restart`, undefined, 200, 'restart');
  await waitFor(async () => (await d.api('GET', `${I}/${tc}`)).json.state === 'running',
    { what: 'running after restart' });
  check(true, 'running after restart');
  r = await expectStatus('GET', I, undefined, 200, 'list');
  check(r.json.instances.length === 2, 'two instances listed');
  check(await d.metric('ancloud_instances_running') === 1, 'metrics: one running');

  // A clean restart keeps both records and resumes the running one.
  check(await d.stop({ keep: true }) === 0, 'SIGTERM exits 0');
  d = await startDaemon('', { dir: d.dir });
  r = await expectStatus('GET', `${I}/${tc}`, undefined, 200, 'after restart: tc');
  check(r.json.state === 'running', 'tc is running again after a restart');
  r = await expectStatus('GET', `${I}/${second}`, undefined, 200, 'after restart: second');
  check(r.json.state === 'stopped' && r.json.fps === 15, 'second kept its state and fields');

  // SIGKILL loses nothing; a corrupt record is moved aside and the others still load.
  await expectStatus('POST', `${I}/${second}/start`, undefined, 200, 'start second');
  check(await d.stop({ keep: true, signal: 'SIGKILL' }) === 'SIGKILL', 'daemon killed with SIGKILL');
  const rec = `${d.dir}/state/instances`;
  fs.writeFileSync(`${rec}/0123456789ab.json`, '{"id": "0123456789ab", "name": ');
  d = await startDaemon('', { dir: d.dir });
  r = await expectStatus('GET', I, undefined, 200, 'list after SIGKILL');
  check(r.json.instances.length === 2 && r.json.instances.every((i) => i.state === 'running'),
    'both instances are back and running');
  check(fs.existsSync(`${rec}/0123456789ab.json.corrupt`), 'corrupt record moved aside');
  check(/0123456789ab\.json is corrupt/.test(d.log()), 'corrupt record reported in the log');

  await expectStatus('DELETE', `${I}/${second}`, undefined, 200, 'delete a running instance');
  await waitFor(() => !fs.existsSync(`${rec}/${second}.json`), { what: 'the record to go' });
  check(true, 'its record is gone');
  await expectStatus('GET', `${I}/${second}`, undefined, 404, 'deleted instance');
  await images();
  check(await d.stop() === 0, 'SIGTERM exits 0');
}

// GET /api/v1/images: a tiny squashfs is listed with its size and kind; a corrupt file is listed
// apart with the reason.
async function images() {
  let r = await expectStatus('GET', '/api/v1/images', undefined, 200, 'images (no image_dir yet)');
  check(r.json.images.length === 0 && r.json.invalid.length === 0, 'no images');
  const dir = `${d.dir}/images`;
  fs.mkdirSync(`${dir}/src/etc`, { recursive: true });
  fs.writeFileSync(`${dir}/src/etc/hostname`, 'tiny\n');
  const mk = spawnSync('mksquashfs', [`${dir}/src`, `${dir}/tiny.img`, '-noappend', '-quiet'],
    { stdio: 'inherit' });
  if (mk.error || mk.status !== 0) {
    console.error('SKIP images: mksquashfs (squashfs-tools) is not available');
    return;
  }
  fs.writeFileSync(`${dir}/broken.img`, Buffer.alloc(4096, 7));
  fs.writeFileSync(`${dir}/notes.txt`, 'not an image');
  r = await expectStatus('GET', '/api/v1/images', undefined, 200, 'images');
  const size = fs.statSync(`${dir}/tiny.img`).size;
  check(r.json.images.length === 1 && r.json.images[0].name === 'tiny' &&
    r.json.images[0].size === size && r.json.images[0].kind === 'linux',
  `tiny.img listed with its size and kind: ${JSON.stringify(r.json.images)}`);
  check(r.json.invalid.length === 1 && r.json.invalid[0].name === 'broken' &&
    r.json.invalid[0].reason.length > 0, `broken.img listed as invalid: ${JSON.stringify(r.json.invalid)}`);

  // Kind linux: the image must exist and be valid at create.
  const I = '/api/v1/instances';
  r = await expectStatus('POST', I, { name: 'l1', kind: 'linux', image: 'nope' }, 400, 'linux: unknown image');
  check(/^image: /.test(r.json.error.message), `error names the image: ${r.json.error.message}`);
  r = await expectStatus('POST', I, { name: 'l1', kind: 'linux', image: 'broken' }, 400, 'linux: corrupt image');
  await expectStatus('POST', I, { name: 'l1', kind: 'linux' }, 400, 'linux: no image');
  await expectStatus('POST', I, { name: 'l1', kind: 'linux', image: 'tiny', restart: 'sometimes' }, 400,
    'linux: bad restart policy');
  r = await expectStatus('POST', I, { name: 'l1', kind: 'linux', image: 'tiny', memory_mb: 256, restart: 'on-failure' },
    201, 'linux: create');
  check(r.json.image === 'tiny' && r.json.restart === 'on-failure' && r.json.memory_mb === 256,
    'linux instance fields are kept');
  await expectStatus('DELETE', `${I}/${r.json.id}`, undefined, 200, 'linux: delete');

  // An Android system image (it has /system/build.prop) is not a Linux guest: on a host without
  // binder the answer says what is missing and where to look.
  fs.mkdirSync(`${dir}/asrc/system`, { recursive: true });
  fs.writeFileSync(`${dir}/asrc/system/build.prop`, 'ro.build.version.release=13\n');
  spawnSync('mksquashfs', [`${dir}/asrc`, `${dir}/phone.img`, '-noappend', '-quiet'], { stdio: 'inherit' });
  r = await expectStatus('GET', '/api/v1/images', undefined, 200, 'images with an Android one');
  check(r.json.images.some((i) => i.name === 'phone' && i.kind === 'android'), 'phone.img listed as android');
  r = await expectStatus('POST', I, { name: 'a1', kind: 'linux', image: 'phone' }, 400, 'android image as linux');
  check(/is an Android image; create it with kind "android"/.test(r.json.error.message),
    `the error names the kind to use: ${r.json.error.message}`);
  // Kind android: on a host without binder the answer names what is missing and points at
  // kernel/check (the host is checked before the agent jar and the image); nothing is created.
  const binder = fs.readFileSync('/proc/filesystems', 'utf8').includes('binder');
  r = await d.api('POST', I, { name: 'a1', kind: 'android', image: 'phone', dpi: 240 });
  check(r.status === 400, `android → 400 (got ${r.status})`);
  check(binder || (/needs binder/.test(r.json.error.message) && /kernel\/check/.test(r.json.error.message)),
    `without binder the error says what is missing: ${r.json.error.message}`);
  check(!binder || /agent_jar|image/.test(r.json.error.message), `with binder: jar or image: ${r.json.error.message}`);
  await expectStatus('POST', I, { name: 'a1', kind: 'android', image: 'phone', dpi: 50 }, 400, 'android: dpi out of range');
  r = await expectStatus('GET', I, undefined, 200, 'list after refused android');
  check(!r.json.instances.some((i) => i.name === 'a1'), 'a refused android instance leaves nothing behind');
  r = await expectStatus('POST', I, { name: 'l2', kind: 'linux', image: 'tiny', capture: 'agent' }, 201, 'linux: capture agent');
  check(r.json.capture === 'agent', `capture is echoed: ${r.json.capture}`);
  await expectStatus('DELETE', `${I}/${r.json.id}`, undefined, 200, 'linux capture agent: delete');
  await expectStatus('POST', I, { name: 'l2', kind: 'linux', image: 'tiny', capture: 'gpu' }, 400, 'linux: bad capture');
}
