#!/usr/bin/env node
// Cluster figures (issue 13), in the test topology of test/e2e/clusterlib.mjs: 3 etcd members and
// 3 nodes, each in a network namespace of its own on a test bridge.
// - failover: kill -9 a node that owns instances, time until all of them are running on the other
//   nodes (as the API of a surviving node reports, polled every 50 ms); the node is started again
//   between rounds. Median of N rounds at the default lease_s (10) and at lease_s 3.
// - create latency: POST /api/v1/instances on a single host (no [cluster], same machine, same
//   run) against the same POST on a cluster node (placement + one etcd transaction); medians.
// - placement rate: creates from 8 concurrent clients spread over the 3 nodes, instances per s.
// - etcd footprint: keys and bytes (key + value) per instance, from etcd's own range.
// Usage (root): ANCLOUDD=build/src/ancloudd tools/bench/cluster_bench.mjs [rounds=5] [creates=200]
import { enterCluster, startEtcd, startNode } from '../../test/e2e/clusterlib.mjs';
import { startDaemon, waitFor } from '../../test/e2e/lib.mjs';

process.env.ANC_SOURCE_ROOT ||= new URL('../..', import.meta.url).pathname;
if (enterCluster(import.meta.url, { chromium: false })) process.exit(0);
const rounds = Number(process.argv[2] || 5);
const creates = Number(process.argv[3] || 200);
const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const out = (s) => console.log(s);

async function timeCreates(node, n, prefix) {
  const times = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const r = await node.api('POST', '/api/v1/instances', { name: `${prefix}${i}`, kind: 'pattern', width: 320, height: 240 });
    times.push(performance.now() - t0);
    if (r.status !== 201) throw new Error(`create: ${r.status} ${r.text}`);
  }
  return times;
}

async function failover(lease) {
  const etcd = startEtcd();
  await etcd.ready();
  let nodes = [];
  for (let i = 0; i < 3; i++) nodes.push(await startNode(i, { lease }));
  const times = [];
  try {
    await waitFor(async () => (await nodes[0].api('GET', '/api/v1/nodes')).json.nodes.length === 3, { what: 'nodes' });
    for (let i = 0; i < 6; i++) {
      const r = await nodes[0].api('POST', '/api/v1/instances', { name: `f${i}`, kind: 'pattern', width: 320, height: 240, fps: 10 });
      await nodes[0].api('POST', `/api/v1/instances/${r.json.id}/start`);
    }
    for (let round = 0; round < rounds; round++) {
      const victim = 1 + (round % 2); // b or c; a watches
      const all = (await nodes[0].api('GET', '/api/v1/instances')).json.instances;
      await waitFor(async () => (await nodes[0].api('GET', '/api/v1/instances')).json.instances.every((x) => x.state === 'running'),
        { what: 'all running', timeoutMs: 30000 });
      const owned = all.filter((x) => x.node === nodes[victim].name).map((x) => x.id);
      if (owned.length === 0) { out(`  round ${round + 1}: node ${nodes[victim].name} owns nothing; skipped`); continue; }
      const t0 = performance.now();
      await nodes[victim].stop({ keep: true, signal: 'SIGKILL' });
      await waitFor(async () => {
        const now = Object.fromEntries((await nodes[0].api('GET', '/api/v1/instances')).json.instances.map((x) => [x.id, x]));
        return owned.every((id) => now[id].node !== nodes[victim].name && now[id].state === 'running');
      }, { what: 'failover', timeoutMs: (lease + 30) * 1000, intervalMs: 50 });
      const ms = performance.now() - t0;
      times.push(ms);
      out(`  lease ${lease} s, round ${round + 1}: ${owned.length} instance(s) of ${nodes[victim].name} running elsewhere after ${(ms / 1000).toFixed(2)} s`);
      nodes[victim] = await startNode(victim, { dir: nodes[victim].dir, lease });
      await waitFor(async () => (await nodes[0].api('GET', '/api/v1/nodes')).json.nodes.length === 3, { what: 'node back' });
    }
  } finally {
    for (const n of nodes) await n.stop();
    await etcd.stop();
  }
  return times;
}

// Create latency and placement rate, single host against cluster, and the etcd footprint.
const single = await startDaemon('', { network: false });
const singleTimes = await timeCreates(single, 50, 's');
await single.stop();

const etcd = startEtcd();
await etcd.ready();
const nodes = [];
for (let i = 0; i < 3; i++) nodes.push(await startNode(i, { extra: 'max_instances = 10000\n' }));
await waitFor(async () => (await nodes[0].api('GET', '/api/v1/nodes')).json.nodes.length === 3, { what: 'nodes' });
const clusterTimes = await timeCreates(nodes[0], 50, 'c');
out(`create latency (median of 50): single host ${median(singleTimes).toFixed(2)} ms, cluster node ${median(clusterTimes).toFixed(2)} ms (${(median(clusterTimes) / median(singleTimes)).toFixed(1)}x)`);

let next = 0, failed = 0;
const t0 = performance.now();
await Promise.all(Array.from({ length: 8 }, async (_, w) => {
  while (next < creates) {
    const i = next++;
    const r = await nodes[w % 3].api('POST', '/api/v1/instances', { name: `r${i}`, kind: 'pattern', width: 320, height: 240 });
    if (r.status !== 201) failed++;
  }
}));
const secs = (performance.now() - t0) / 1000;
out(`placement: ${creates} creates from 8 clients over 3 nodes in ${secs.toFixed(2)} s = ${(creates / secs).toFixed(0)} instances/s (${failed} refused)`);
const per = {};
for (const x of (await nodes[1].api('GET', '/api/v1/instances')).json.instances) per[x.node] = (per[x.node] || 0) + 1;
out(`  spread: ${JSON.stringify(per)}`);

const kvs = await etcd.range('/ancloud/');
const ninst = kvs.filter((kv) => kv.key.startsWith('/ancloud/instances/')).length;
const perInst = kvs.filter((kv) => /^\/ancloud\/(instances|names|status)\//.test(kv.key));
const bytes = perInst.reduce((s, kv) => s + kv.key.length + kv.value.length, 0);
out(`etcd footprint: ${kvs.length} keys for ${ninst} instances; per instance ${(perInst.length / ninst).toFixed(2)} keys, ${(bytes / ninst).toFixed(0)} bytes (record ${(kvs.filter((kv) => kv.key.startsWith('/ancloud/instances/')).reduce((s, kv) => s + kv.key.length + kv.value.length, 0) / ninst).toFixed(0)} B, name, status when placed on a running owner)`);
for (const n of nodes) await n.stop();
await etcd.stop();

for (const lease of [10, 3]) {
  const t = await failover(lease);
  out(`failover at lease_s ${lease}: median of ${t.length} ${(median(t) / 1000).toFixed(2)} s (min ${(Math.min(...t) / 1000).toFixed(2)}, max ${(Math.max(...t) / 1000).toFixed(2)})`);
}
