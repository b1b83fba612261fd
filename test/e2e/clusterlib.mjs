// Harness of the cluster tests and benchmark: a test bridge in the test's own namespace (T,
// 10.72.0.1, where the script and Chromium run), three etcd members (10.72.0.21-23) and three
// ancloudd nodes (10.72.0.11-13), each in a network namespace of its own on that bridge.
// Nothing is added to the machine's own namespace and no packet leaves these namespaces.
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CHROMIUM, skip, fail, startDaemon, waitFor } from './lib.mjs';
import { spawnIn, runScriptIn, removeNamespaces } from './natlib.mjs';

export const T_IP = '10.72.0.1';
export const NODE_IP = ['10.72.0.11', '10.72.0.12', '10.72.0.13'];
export const ETCD_IP = ['10.72.0.21', '10.72.0.22', '10.72.0.23'];
const NAMES = ['a', 'b', 'c'];
process.setMaxListeners(64); // each daemon started adds an exit listener (lib.mjs)

// In the parent: builds the namespaces and the bridge, runs the script in T, removes
// everything; returns true (the parent must then stop). In T: returns false.
export function enterCluster(scriptUrl, { chromium = true } = {}) {
  if (process.env.ANC_CLUSTER_T) return false;
  if (process.getuid() !== 0) skip('needs root (ip netns)');
  if (chromium && !fs.existsSync(CHROMIUM)) skip(`needs ${CHROMIUM} (Debian package chromium)`);
  if (!fs.existsSync('/usr/bin/etcd')) skip('needs /usr/bin/etcd (Debian package etcd-server)');
  const base = `anc-cl-${process.pid}`;
  const t = `${base}-t`;
  const members = [...NAMES.map((n) => `${base}-n${n}`), ...NAMES.map((n) => `${base}-e${n}`)];
  const ips = [...NODE_IP, ...ETCD_IP];
  const ip = (...args) => spawnSync('ip', args, { stdio: 'inherit' }).status === 0;
  const made = [];
  let status = 1;
  try {
    for (const n of [t, ...members]) {
      if (!ip('netns', 'add', n)) skip('cannot create a network namespace');
      made.push(n);
      ip('-n', n, 'link', 'set', 'lo', 'up');
      // No IPv6 on the test links: their addresses settling for a second or two after the links
      // come up make Chromium fail page loads with ERR_NETWORK_CHANGED.
      spawnSync('ip', ['netns', 'exec', n, 'sysctl', '-qw', 'net.ipv6.conf.all.disable_ipv6=1',
        'net.ipv6.conf.default.disable_ipv6=1'], { stdio: 'inherit' });
    }
    ip('-n', t, 'link', 'add', 'br0', 'type', 'bridge');
    ip('-n', t, 'addr', 'add', `${T_IP}/24`, 'dev', 'br0');
    ip('-n', t, 'link', 'set', 'br0', 'up');
    members.forEach((n, i) => { // a veth made directly in its two namespaces
      ip('link', 'add', `v${i}`, 'netns', t, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', n);
      ip('-n', t, 'link', 'set', `v${i}`, 'master', 'br0', 'up');
      ip('-n', n, 'addr', 'add', `${ips[i]}/24`, 'dev', 'eth0');
      ip('-n', n, 'link', 'set', 'eth0', 'up');
    });
    const env = { ...process.env, ANC_IN_NETNS: t, ANC_CLUSTER_T: t, ANC_CLUSTER_NS: members.join(',') };
    status = runScriptIn(t, scriptUrl, env);
  } finally {
    removeNamespaces(made);
  }
  process.exit(status);
}

function namespaces() {
  const all = process.env.ANC_CLUSTER_NS.split(',');
  return { nodes: all.slice(0, 3), etcd: all.slice(3) };
}

export const ETCD_URLS = ETCD_IP.map((a) => `http://${a}:2379`);

// The three etcd members, one per namespace; member(i).kill() / .start() for failure tests.
export function startEtcd({ count = 3 } = {}) {
  const ns = namespaces().etcd;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anc-etcd-'));
  const initial = ETCD_IP.slice(0, count).map((a, i) => `e${i}=http://${a}:2380`).join(',');
  const members = ETCD_IP.slice(0, count).map((a, i) => {
    const m = { name: `e${i}`, url: `http://${a}:2379`, run: null };
    m.start = () => {
      m.run = spawnIn(ns[i], '/usr/bin/etcd', [
        '--name', m.name, '--data-dir', `${dir}/${m.name}`,
        '--listen-client-urls', m.url, '--advertise-client-urls', m.url,
        '--listen-peer-urls', `http://${a}:2380`, '--initial-advertise-peer-urls', `http://${a}:2380`,
        '--initial-cluster', initial, '--initial-cluster-state', 'new',
        '--initial-cluster-token', `anc-${process.pid}`,
        '--heartbeat-interval', '100', '--election-timeout', '1000']);
    };
    m.kill = async (signal = 'SIGKILL') => {
      if (!m.run || m.run.proc.exitCode !== null || m.run.proc.signalCode !== null) return;
      const gone = new Promise((r) => m.run.proc.on('exit', r));
      m.run.proc.kill(signal);
      await gone;
    };
    m.start();
    return m;
  });
  const health = async (m) => {
    try {
      const r = await fetch(`${m.url}/health`, { signal: AbortSignal.timeout(1000) });
      return r.ok && (await r.json()).health === 'true';
    } catch { return false; }
  };
  return {
    members, dir, urls: members.map((m) => m.url),
    async ready() {
      await waitFor(async () => (await Promise.all(members.map(health))).every(Boolean),
        { what: 'the etcd members healthy', timeoutMs: 30000, intervalMs: 200 });
    },
    // etcd's own view, through its JSON gateway: every key under a prefix (base64 in, text out).
    async range(prefix) {
      const b64 = (s) => Buffer.from(s).toString('base64');
      const end = prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
      for (const m of members) {
        try {
          const r = await fetch(`${m.url}/v3/kv/range`, {
            method: 'POST', body: JSON.stringify({ key: b64(prefix), range_end: b64(end) }),
            signal: AbortSignal.timeout(2000),
          });
          const j = await r.json();
          return (j.kvs || []).map((kv) => ({
            key: Buffer.from(kv.key, 'base64').toString(),
            value: Buffer.from(kv.value || '', 'base64').toString(),
          }));
        } catch { /* the next member */ }
      }
      throw new Error('no etcd member answers');
    },
    async stop() {
      for (const m of members) await m.kill('SIGTERM');
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const TOKEN = crypto.randomBytes(32).toString('hex');

// Node i (0..2: a, b, c) in its namespace; every node has the same admin token (written as its
// state's token file). { dir } starts it again on a previous state.
export async function startNode(i, { dir, lease = 3, etcd = ETCD_URLS, extra = '' } = {}) {
  if (!dir) {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), `anc-node-${NAMES[i]}-`));
    fs.mkdirSync(`${dir}/state`, { mode: 0o700 });
    fs.writeFileSync(`${dir}/state/token`, `${TOKEN}\n`, { mode: 0o600 });
  }
  const conf = `[cluster]\netcd = ${etcd.join(', ')}\nnode = ${NAMES[i]}\nlease_s = ${lease}\n${extra}`;
  const d = await startDaemon(conf, { dir, listen: `${NODE_IP[i]}:8080`, netns: namespaces().nodes[i], network: false });
  d.name = NAMES[i];
  return d;
}

// Loads the web client until selector shows. The test namespace's bridge and veths are new:
// Chromium may still see them change (IPv6 addresses settling) and fail a module's load with
// ERR_NETWORK_CHANGED, which leaves the app dead; loading it again is what a user would do.
export async function gotoApp(page, url, selector) {
  for (let attempt = 1; ; attempt++) {
    await page.goto(url);
    try {
      await page.waitForSelector(selector, { timeout: 8000 });
      return;
    } catch (e) {
      if (attempt === 3) throw e;
      console.error(`the web client did not come up (attempt ${attempt}); loading it again`);
    }
  }
}

