#!/usr/bin/env node
// WebRTC figures against real headless Chromium, inside a private network namespace:
//  - time from the WHEP POST to the first decoded frame (median and p95 of 20 sessions);
//  - daemon CPU % for one 720x1280 30 fps pattern stream with 1 and with 8 viewers, against a
//    baseline measured in the same run (the running instance with no viewer: nothing to encode).
// Usage (root): ANCLOUDD=build/src/ancloudd tools/bench/rtc_bench.mjs [seconds-per-cpu-sample]
import fs from 'node:fs';
import { enterNetns, startDaemon, createPattern, launchChromium, VIEWER_JS, waitFor }
  from '../../test/e2e/lib.mjs';

process.env.ANC_SOURCE_ROOT ||= new URL('../..', import.meta.url).pathname;
if (enterNetns(import.meta.url)) process.exit(0);
const seconds = Number(process.argv[2] || 10);

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor((s.length - 1) / 2)]; };
const p95 = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.min(s.length - 1, Math.ceil(s.length * 0.95) - 1)]; };
const ticks = (pid) => {
  const f = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return Number(f[11]) + Number(f[12]); // utime + stime, in clock ticks (100/s)
};
async function cpuPercent(pid, s) {
  const a = ticks(pid), t = Date.now();
  await new Promise((r) => setTimeout(r, s * 1000));
  return ((ticks(pid) - a) / 100) / ((Date.now() - t) / 1000) * 100;
}

const daemon = await startDaemon('[rtc]\nmax_sessions = 32\n');
const { browser, context } = await launchChromium();
try {
  const id = await createPattern(daemon);
  const endpoint = `${daemon.base}/api/v1/instances/${id}/whep`;
  const page = await context.newPage();
  await page.goto(daemon.base + '/');
  await page.addScriptTag({ content: VIEWER_JS });

  const firsts = [];
  for (let i = 0; i < 20; i++) {
    const vi = await page.evaluate(([e, t]) => window.whep(e, t), [endpoint, daemon.token]);
    const ms = await waitFor(() => page.evaluate((j) => window.viewers[j].firstFrameMs, vi),
      { timeoutMs: 10000, intervalMs: 10, what: 'first frame' });
    firsts.push(ms);
    const sid = await page.evaluate((j) => window.viewers[j].sid, vi);
    await page.evaluate((j) => window.viewers[j].pc.close(), vi);
    await daemon.api('DELETE', `/api/v1/sessions/${sid}`);
  }
  console.log(`WHEP POST -> first decoded frame, 20 sessions: median ${median(firsts).toFixed(0)} ms, ` +
    `p95 ${p95(firsts).toFixed(0)} ms, min ${Math.min(...firsts).toFixed(0)} ms`);

  const base = await cpuPercent(daemon.proc.pid, seconds);
  const rows = [];
  for (const n of [1, 8]) {
    const vis = [];
    for (let i = 0; i < n; i++)
      vis.push(await page.evaluate(([e, t]) => window.whep(e, t), [endpoint, daemon.token]));
    await waitFor(async () => {
      for (const vi of vis) {
        const s = await page.evaluate((j) => window.videoStats(j), vi);
        if (!s || s.framesDecoded < 10) return false;
      }
      return true;
    }, { timeoutMs: 20000, what: `${n} viewers decoding` });
    const cpu = await cpuPercent(daemon.proc.pid, seconds);
    const frames = [];
    for (const vi of vis) frames.push((await page.evaluate((j) => window.videoStats(j), vi)).framesDecoded);
    rows.push({ n, cpu, frames });
    for (const vi of vis) {
      const sid = await page.evaluate((j) => window.viewers[j].sid, vi);
      await page.evaluate((j) => window.viewers[j].pc.close(), vi);
      await daemon.api('DELETE', `/api/v1/sessions/${sid}`);
    }
  }
  console.log(`daemon CPU, running 720x1280@30 pattern instance, ${seconds} s samples (one core = 100 %):`);
  console.log(`  baseline, no viewer: ${base.toFixed(1)} %`);
  for (const r of rows)
    console.log(`  ${r.n} viewer(s): ${r.cpu.toFixed(1)} % (ratio to 1 viewer ${(r.cpu / rows[0].cpu).toFixed(2)})`);
} finally {
  await browser.close();
  await daemon.stop();
}
