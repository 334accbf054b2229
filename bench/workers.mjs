// The Workers cold path, in workerd through Miniflare: a Worker closing orders with the SDK (its
// workerd entry) against a hand-written WebCrypto Worker (worker/peer.js), both bundled by
// wrangler as for a deploy. For each of BENCH_WORKER_RUNS runs, interleaved: start Miniflare
// (workerd starts and loads the Worker) → ready → the first response (one closeOrder against the
// bench server), then BENCH_WORKER_WARM sequential warm calls. Medians over the runs.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_WORKER_RUNS ?? 9);
const WARM = Number(process.env.BENCH_WORKER_WARM ?? 50);
const COMPATIBILITY_DATE = '2026-04-01';
export const WORKERS = { sdk: 'bench/worker/sdk.js', peer: 'bench/worker/peer.js' };

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** wrangler deploy --dry-run of one Worker into a temporary directory: what would be uploaded. */
function bundle(name, script, dir) {
  const out = join(dir, name);
  const config = join(dir, `${name}.toml`);
  writeFileSync(config, `name = "bench-${name}"\nmain = ${JSON.stringify(join(root, script))}\ncompatibility_date = "${COMPATIBILITY_DATE}"\n`);
  execFileSync(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--config', config, '--outdir', out], {
    cwd: root,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error', NO_COLOR: '1', FORCE_COLOR: '0' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const main = readdirSync(out).find((f) => f.endsWith('.js'));
  return { out, main };
}

export async function workersFigures({ url, app }) {
  const { Miniflare } = await import('miniflare');
  const dir = mkdtempSync(join(tmpdir(), 'ttpay-bench-workers-'));
  try {
    const bundles = Object.fromEntries(Object.entries(WORKERS).map(([n, s]) => [n, bundle(n, s, dir)]));
    const one = async (name) => {
      const { out, main } = bundles[name];
      const t0 = performance.now();
      const mf = new Miniflare({
        modules: true,
        scriptPath: join(out, main),
        modulesRoot: out,
        modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
        compatibilityDate: COMPATIBILITY_DATE,
        bindings: { TTPAY_BASE_URL: url, TTPAY_APP_ID: app.appId, TTPAY_APP_SECRET: app.appSecret, TTPAY_MCH_ID: app.mchId },
      });
      try {
        await mf.ready;
        const t1 = performance.now();
        const call = async () => {
          const res = await mf.dispatchFetch('http://worker.test/?transactionId=order-bench');
          const text = await res.text();
          const body = res.status === 200 ? JSON.parse(text) : null;
          if (body?.code !== 0 || body.verified !== true) throw new Error(`${name} Worker: ${res.status} ${text}`);
        };
        await call();
        const t2 = performance.now();
        const warm = [];
        for (let i = 0; i < WARM; i++) {
          const s = performance.now();
          await call();
          warm.push(performance.now() - s);
        }
        return { startToReadyMs: t1 - t0, firstRequestMs: t2 - t1, startToFirstResponseMs: t2 - t0, warmMs: median(warm) };
      } finally {
        await mf.dispose();
      }
    };
    const runs = Object.fromEntries(Object.keys(WORKERS).map((n) => [n, []]));
    for (let r = 0; r < RUNS; r++) for (const n of r % 2 ? Object.keys(WORKERS).reverse() : Object.keys(WORKERS)) runs[n].push(await one(n));
    const { version } = JSON.parse(execFileSync(process.execPath, ['-p', 'JSON.stringify(require("miniflare/package.json"))'], { cwd: root, encoding: 'utf8' }));
    return {
      miniflare: version,
      runs: RUNS,
      warmCalls: WARM,
      ...Object.fromEntries(
        Object.entries(runs).map(([n, rs]) => [
          n,
          Object.fromEntries(['startToReadyMs', 'firstRequestMs', 'startToFirstResponseMs', 'warmMs'].map((k) => [k, median(rs.map((x) => x[k]))])),
        ]),
      ),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
