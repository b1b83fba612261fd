#!/usr/bin/env node
// The same linux instance (demo.img in LXC, 720x1280 @ 30 fps, static screen, one Chromium
// viewer) with "capture": "host" (the daemon captures Xvfb and encodes with x264) and "capture":
// "agent" (the stand-in agent in the guest encodes; the daemon passes H.264 through), in one run:
//  - tap-to-visible latency over N taps (default 30): data channel send -> first decoded frame
//    that shows the app's marker (requestVideoFrameCallback + canvas), median and p95;
//  - daemon CPU % and the guest's CPU % (the container's cgroup cpu.stat usage_usec, which holds
//    the agent too: lxc-attach joins the container's cgroup), 10 s with the viewer connected;
// then agent/host ratios. Not a test.
// Usage (root): ANCLOUDD=build/src/ancloudd ANC_BUILD_ROOT=build tools/bench/agent_bench.mjs [taps]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enterNetns, startDaemon, launchChromium, VIEWER_JS, SAMPLER_JS, waitFor }
  from '../../test/e2e/lib.mjs';

process.env.ANC_SOURCE_ROOT ||= new URL('../..', import.meta.url).pathname;
if (enterNetns(import.meta.url, { containers: true })) process.exit(0);
const taps = Number(process.argv[2] || 30);
const W = 720, H = 1280, seconds = 10, TAP_TIMEOUT_MS = 2000;

const sorted = (a) => [...a].sort((x, y) => x - y);
const pct = (a, p) => sorted(a)[Math.min(a.length - 1, Math.ceil(a.length * p) - 1)];
const ticks = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) * 10000; // µs at USER_HZ 100
};
const cgroupUsec = (cg) => Number(fs.readFileSync(`${cg}/cpu.stat`, 'utf8').match(/^usage_usec (\d+)/m)[1]);
// CPU % of the daemon and of the guest's cgroup over the same window (one core = 100 %).
async function cpu(pid, cg) {
  const d0 = ticks(pid), g0 = cgroupUsec(cg), t = Date.now();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  const us = (Date.now() - t) * 1000;
  return { daemon: (ticks(pid) - d0) / us * 100, guest: (cgroupUsec(cg) - g0) / us * 100 };
}

const TAP_JS = `
window.tapLatency = function (i, nx, ny) {
  const v = window.viewers[i];
  const x = Math.round(nx * v.video.videoWidth), y = Math.round(ny * v.video.videoHeight);
  return new Promise((resolve) => {
    const t0 = performance.now();
    let done = false;
    const check = () => {
      if (done) return;
      const [r, g, b] = window.lastPixel = window.samplePixel(i, x, y);
      if (r > 200 && g > 160 && b < 80) { done = true; resolve(performance.now() - t0); }
      else v.video.requestVideoFrameCallback(check);
    };
    setTimeout(() => { if (!done) { done = true; resolve(null); } }, ${TAP_TIMEOUT_MS});
    v.video.requestVideoFrameCallback(check);
    v.dc.send(window.touchMessage(0, nx, ny));
    v.dc.send(window.touchMessage(2, nx, ny));
  });
};
`;

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anc-bench-'));
fs.chmodSync(dir, 0o755);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
const mk = spawnSync(path.join(process.env.ANC_SOURCE_ROOT, 'tools', 'mkimage'), [`${dir}/images/demo.img`],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ANCLOUD_DEMO: demo } });
if (mk.status !== 0) { console.error('tools/mkimage failed'); process.exit(1); }

const daemon = await startDaemon('', { dir });
const { browser, context } = await launchChromium();
const rows = {};
try {
  const page = await context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: VIEWER_JS + SAMPLER_JS + TAP_JS });
  for (const capture of ['host', 'agent']) {
    const r = await daemon.api('POST', '/api/v1/instances', {
      name: capture, kind: 'linux', image: 'demo', width: W, height: H, fps: 30, capture,
      command: ['/bin/sh', '-c', `exec /sbin/ancloud-guest --width ${W} --height ${H} >/tmp/app.log 2>&1`],
    });
    if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
    const id = r.json.id;
    await daemon.api('POST', `/api/v1/instances/${id}/start`);
    await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state === 'running',
      { timeoutMs: 30000, what: 'running' });
    const appLog = `${dir}/state/instances/${id}/upper/tmp/app.log`;
    await waitFor(() => fs.existsSync(appLog) && fs.readFileSync(appLog, 'utf8').includes('"ready"'),
      { timeoutMs: 20000, what: 'app ready' });
    const init = Number((await daemon.api('GET', `/api/v1/instances/${id}/log`)).text.match(/init pid (\d+)/)[1]);
    // /proc/PID/cgroup is relative to the cgroup namespace's root, which need not be the mount's.
    const rel = fs.readFileSync(`/proc/${init}/cgroup`, 'utf8').match(/^0::(.*)$/m)[1];
    const cg = spawnSync('find', ['/sys/fs/cgroup', '-maxdepth', '6', '-type', 'd', '-path', `*${rel}`],
      { encoding: 'utf8' }).stdout.split('\n').find((x) => fs.existsSync(`${x}/cpu.stat`));
    if (!cg) throw new Error(`no cgroup directory for ${rel}`);
    const vi = await page.evaluate(([e, t]) => window.whep(e, t),
      [`${daemon.base}/api/v1/instances/${id}/whep`, daemon.token]);
    await waitFor(async () => (await page.evaluate((i) => window.videoStats(i), vi))?.framesDecoded > 0,
      { timeoutMs: 15000, what: 'video' });
    await page.evaluate((i) => new Promise((res) => {
      const dc = window.viewers[i].dc;
      if (dc.readyState === 'open') res(); else dc.onopen = res;
    }), vi);
    const idle = await cpu(daemon.proc.pid, cg);
    const lat = [];
    const d0 = ticks(daemon.proc.pid), g0 = cgroupUsec(cg), t0 = Date.now();
    for (let n = 0; n < taps; n++) {
      const [nx, ny] = n % 2 ? [0.3, 0.35] : [0.7, 0.65];
      const ms = await page.evaluate(([i, x, y]) => window.tapLatency(i, x, y), [vi, nx, ny]);
      if (ms === null && !lat.some((x) => !Number.isFinite(x)))
        console.error(`capture ${capture}: first miss, the pixel at the tap was ${await page.evaluate(() => window.lastPixel)}`);
      lat.push(ms ?? Infinity);
      await new Promise((res) => setTimeout(res, 100));
    }
    const us = (Date.now() - t0) * 1000;
    const tapping = { daemon: (ticks(daemon.proc.pid) - d0) / us * 100, guest: (cgroupUsec(cg) - g0) / us * 100 };
    // The daemon restarts the agent at the viewers' bandwidth estimate: taps sent meanwhile are lost.
    const restarts = [...(await daemon.api('GET', `/api/v1/instances/${id}/log`)).text
      .matchAll(/agent: restarting it at (\d+) kbit\/s/g)].map((m) => m[1]);
    rows[capture] = { lat, idle, tapping, restarts };
    // The closed viewer's <video> goes too: left in the page it pushes the next one below the
    // viewport, and Chromium does not paint a video that is wholly off screen (every sampled
    // pixel of the second instance read (0,0,0) although its frames decoded).
    await page.evaluate((i) => { window.viewers[i].pc.close(); window.viewers[i].video.remove(); }, vi);
    await daemon.api('DELETE', `/api/v1/instances/${id}`);
    await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).status === 404,
      { timeoutMs: 30000, what: 'deleted' });
  }
  const fmt = (v) => Number.isFinite(v) ? `${v.toFixed(1)} ms` : `> ${TAP_TIMEOUT_MS} ms (miss)`;
  console.log(`linux instance (demo.img, ${W}x${H} @ 30 fps), one viewer, ${taps} taps, CPU over ${seconds} s (one core = 100 %):`);
  for (const [capture, r] of Object.entries(rows)) {
    console.log(`  capture ${capture.padEnd(5)}: tap-to-visible median ${fmt(pct(r.lat, 0.5))}, p95 ${fmt(pct(r.lat, 0.95))}, ` +
      `${r.lat.filter((x) => !Number.isFinite(x)).length} miss(es); CPU static: daemon ${r.idle.daemon.toFixed(1)} %, ` +
      `guest ${r.idle.guest.toFixed(1)} %; while tapping: daemon ${r.tapping.daemon.toFixed(1)} %, guest ${r.tapping.guest.toFixed(1)} %` +
      (r.restarts.length ? `; agent restarted at ${r.restarts.join(', ')} kbit/s (viewers' estimate)` : ''));
  }
  const h = rows.host, a = rows.agent, ratio = (x, y) => (y > 0 ? (x / y).toFixed(2) : 'n/a');
  console.log(`  agent/host: tap latency median ${ratio(pct(a.lat, 0.5), pct(h.lat, 0.5))}, ` +
    `daemon CPU while tapping ${ratio(a.tapping.daemon, h.tapping.daemon)}, ` +
    `daemon+guest CPU while tapping ${ratio(a.tapping.daemon + a.tapping.guest, h.tapping.daemon + h.tapping.guest)}`);
} finally {
  await browser.close();
  await daemon.stop();
}
