#!/usr/bin/env node
// Figures for linux instances (demo.img in LXC containers) inside a private network and mount
// namespace, viewed by headless Chromium:
//  - container start time: POST start -> state running (median and p95 of N, default 10);
//  - create -> first decoded frame in Chromium: POST create, start, WHEP, first frame (median of N);
//  - memory per idle running instance: PSS of its processes (its Xvfb, the container's processes,
//    LXC's monitor; the image's squashfuse is shared and counted apart), and of the daemon with 10
//    running instances against the same daemon with none (baseline, same run).
// Usage (root): ANCLOUDD=build/src/ancloudd ANC_BUILD_ROOT=build tools/bench/container_bench.mjs [N]
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { enterNetns, startDaemon, launchChromium, VIEWER_JS, waitFor } from '../../test/e2e/lib.mjs';

process.env.ANC_SOURCE_ROOT ||= new URL('../..', import.meta.url).pathname;
if (enterNetns(import.meta.url, { containers: true })) process.exit(0);
const N = Number(process.argv[2] || 10);
const W = 720, H = 1280;

const sorted = (a) => [...a].sort((x, y) => x - y);
const median = (a) => sorted(a)[Math.floor((a.length - 1) / 2)];
const p95 = (a) => sorted(a)[Math.min(a.length - 1, Math.ceil(a.length * 0.95) - 1)];
const kib = (pid, key) => {
  try {
    const m = fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8').match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
    return m ? Number(m[1]) : 0;
  } catch { return 0; }
};
const cmdline = (pid) => { try { return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '); } catch { return ''; } };
const ppidOf = (pid) => { try { return Number(fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ')[1]); } catch { return 0; } };
const pids = () => fs.readdirSync('/proc').filter((x) => /^\d+$/.test(x)).map(Number);
// The process and its descendants.
function tree(root) {
  const out = new Set([root]);
  let grew = true;
  const all = pids().map((p) => [p, ppidOf(p)]);
  while (grew) {
    grew = false;
    for (const [p, pp] of all) if (out.has(pp) && !out.has(p)) { out.add(p); grew = true; }
  }
  return [...out];
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anc-bench-'));
fs.chmodSync(dir, 0o755);
const demo = `${process.env.ANC_BUILD_ROOT}/tools/guest/ancloud-demo`;
const mk = spawnSync(path.join(process.env.ANC_SOURCE_ROOT, 'tools', 'mkimage'), [`${dir}/images/demo.img`],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, ANCLOUD_DEMO: demo } });
if (mk.status !== 0) { console.error('tools/mkimage failed'); process.exit(1); }

const daemon = await startDaemon('max_sessions = 32\n', { dir });
const { browser, context } = await launchChromium();
const spec = (name) => ({ name, kind: 'linux', image: 'demo', width: W, height: H, fps: 30,
  command: ['/sbin/ancloud-guest', '--width', String(W), '--height', String(H)] });
const state = async (id) => (await daemon.api('GET', `/api/v1/instances/${id}`)).json.state;
try {
  const page = await context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: VIEWER_JS });

  const starts = [], firsts = [];
  for (let i = 0; i < N; i++) {
    const t0 = performance.now();
    const r = await daemon.api('POST', '/api/v1/instances', spec(`b${i}`));
    if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
    const id = r.json.id;
    const t1 = performance.now();
    await daemon.api('POST', `/api/v1/instances/${id}/start`);
    await waitFor(async () => (await state(id)) === 'running', { intervalMs: 5, timeoutMs: 30000, what: 'running' });
    starts.push(performance.now() - t1);
    const vi = await page.evaluate(([e, t]) => window.whep(e, t), [`${daemon.base}/api/v1/instances/${id}/whep`, daemon.token]);
    await waitFor(async () => (await page.evaluate((j) => window.videoStats(j), vi))?.framesDecoded > 0,
      { intervalMs: 5, timeoutMs: 30000, what: 'first decoded frame' });
    firsts.push(performance.now() - t0);
    await page.evaluate((j) => window.viewers[j].pc.close(), vi);
    await daemon.api('DELETE', `/api/v1/instances/${id}`);
    await waitFor(async () => (await daemon.api('GET', `/api/v1/instances/${id}`)).status === 404,
      { timeoutMs: 30000, what: 'deleted' });
  }
  console.log(`linux instance (demo.img, ${W}x${H}), ${N} runs:`);
  console.log(`  container start (POST start -> running): median ${median(starts).toFixed(0)} ms, p95 ${p95(starts).toFixed(0)} ms`);
  console.log(`  create -> first decoded frame in Chromium: median ${median(firsts).toFixed(0)} ms, p95 ${p95(firsts).toFixed(0)} ms`);

  // Memory: the daemon alone (baseline), then 10 idle running instances (no viewer).
  await new Promise((r) => setTimeout(r, 2000));
  const base = { pss: kib(daemon.proc.pid, 'Pss'), rss: kib(daemon.proc.pid, 'Rss') };
  const ids = [];
  for (let i = 0; i < 10; i++) {
    const r = await daemon.api('POST', '/api/v1/instances', spec(`m${i}`));
    ids.push(r.json.id);
    await daemon.api('POST', `/api/v1/instances/${r.json.id}/start`);
  }
  for (const id of ids) await waitFor(async () => (await state(id)) === 'running', { timeoutMs: 60000, what: 'running' });
  await new Promise((r) => setTimeout(r, 5000)); // let the apps settle into idle
  const per = [];
  let shared = 0;
  for (const p of pids()) if (/squashfuse .*demo\.img/.test(cmdline(p))) shared += kib(p, 'Pss');
  for (const id of ids) {
    const log = (await daemon.api('GET', `/api/v1/instances/${id}/log`)).text;
    const init = Number(log.match(/init pid (\d+)/)[1]);
    const procs = new Set(tree(init));
    for (const p of pids()) {
      const c = cmdline(p);
      if (c.includes(`-fbdir ${dir}/run/${id}`) || c.startsWith(`[lxc monitor] ${dir}/state/lxc ancloud-${id}`)) procs.add(p);
    }
    per.push([...procs].reduce((s, p) => s + kib(p, 'Pss'), 0));
  }
  const d10 = { pss: kib(daemon.proc.pid, 'Pss'), rss: kib(daemon.proc.pid, 'Rss') };
  console.log('memory, 10 idle running linux instances (no viewer):');
  console.log(`  per instance (Xvfb + container processes + LXC monitor), PSS: median ${(median(per) / 1024).toFixed(1)} MiB, ` +
    `max ${(Math.max(...per) / 1024).toFixed(1)} MiB`);
  console.log(`  the image's squashfuse, shared by all: ${(shared / 1024).toFixed(1)} MiB PSS`);
  console.log(`  daemon: baseline (no instance) PSS ${(base.pss / 1024).toFixed(1)} MiB, RSS ${(base.rss / 1024).toFixed(1)} MiB; ` +
    `with 10 instances PSS ${(d10.pss / 1024).toFixed(1)} MiB, RSS ${(d10.rss / 1024).toFixed(1)} MiB ` +
    `(ratio ${(d10.pss / base.pss).toFixed(2)})`);
  for (const id of ids) await daemon.api('POST', `/api/v1/instances/${id}/stop`);
  for (const id of ids) await waitFor(async () => (await state(id)) === 'stopped', { timeoutMs: 60000, what: 'stopped' });
} finally {
  await browser.close();
  await daemon.stop();
}
