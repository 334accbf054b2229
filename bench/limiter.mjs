// The rate limiter, measured where TTPay counts (5 requests per second per app_id): at the
// upstream. For 1 and for 4 Node processes, each with 10 callers closing orders in a loop for
// BENCH_LIMITER_MS (8 s), first with the embedded limiter (one pacer per process), then with the
// Redis adapter (`redisRateLimiter` on an ioredis client, one real redis-server for all). The
// servers, the caller processes and the measures are those of the scale-out test
// (tests/js/fixtures/scale-out.mjs); every server is on 127.0.0.1 and bounded in time.
//
//   node bench/limiter.mjs          (or node bench/run.mjs --only limiter)
//
// prints a table and writes the figures into bench/results.json as `limiter`, leaving the other
// figures there as they are; `make bench` measures them along with everything else.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_APP } from 'ttpay-wasm/mock';
import { RATE, callerConfigs, measure, recordingMock, runCallers, seededOrders, startRedis, stopAll } from '../tests/js/fixtures/scale-out.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUN_MS = Number(process.env.BENCH_LIMITER_MS ?? 8_000);
const LOOPS = 10;
// Above the deepest queue 4 × 10 callers make on one shared limiter (40 slots × 200 ms = 8 s), so
// no call is refused a slot: the callers start calls for RUN_MS, then the queues drain.
const DEADLINE_MS = 10_000;
export const LIMITER_RUNS = [
  { limiter: 'embedded', processes: 1 },
  { limiter: 'embedded', processes: 4 },
  { limiter: 'redis', processes: 1 },
  { limiter: 'redis', processes: 4 },
];
const key = ({ limiter, processes }) => `${limiter}-${processes}`;

/** One run: `processes` caller processes together, each app's arrivals measured at the mock. */
async function limiterRun({ limiter, processes }, redisUrl) {
  const tag = `bench-${limiter}-${processes}`;
  const appId = tag; // an app (so a Redis key) of its own per run
  const { mock, arrivals } = await recordingMock({
    apps: [{ ...DEMO_APP, appId }],
    orders: seededOrders(tag, processes, LOOPS),
    lifetimeMs: RUN_MS + DEADLINE_MS + 60_000,
  });
  try {
    const configs = callerConfigs({
      processes, loops: LOOPS, runMs: RUN_MS, deadlineMs: DEADLINE_MS, mock, tag, redisUrl,
      store: limiter === 'redis' ? 'ioredis' : 'none',
      extra: { appId },
    });
    const { results } = await runCallers(configs, RUN_MS + DEADLINE_MS + 15_000);
    const ended = await results;
    for (const r of ended) {
      if (r.killed || r.code !== 0 || !r.summary) throw new Error(`${tag}: ${r.name} failed (${r.killed ? 'killed' : r.code ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    }
    const times = arrivals.map((a) => a.at);
    const all = measure(times);
    // How far past the budget a window of RATE + 1 goes: the shortest time in which RATE + 1
    // requests arrived (at 1000 ms or more, no 1000 ms window held more than RATE).
    const shortestSpan = (ts) => {
      const t = [...ts].sort((a, b) => a - b);
      let ms = Infinity;
      for (let i = 0; i + RATE < t.length; i++) ms = Math.min(ms, t[i + RATE] - t[i]);
      return Math.round(ms * 10) / 10;
    };
    const from = Math.min(...times) + 1000;
    const to = Math.max(...times) - 1000;
    // The same, with the first second left out (each process's first request is its slowest:
    // a new connection, and whatever else a process does on its first call).
    const later = times.filter((at) => at >= from);
    // Each process's share of the total rate: its part of the arrivals the total rate counts
    // (the first and last second left out), so that the processes' rates add up to it.
    const innerAll = times.filter((at) => at >= from && at < to).length;
    const perProcess = ended.map((r) => {
      const own = arrivals.filter((a) => a.from === r.name).map((a) => a.at);
      const inner = own.filter((at) => at >= from && at < to).length;
      const { ok, calls, errors, maxCallMs } = r.summary;
      return {
        requests: own.length,
        callsPerSecond: Math.round(((all.rate * inner) / innerAll) * 100) / 100,
        maxInWindow: measure(own).maxInWindow,
        ok, calls, errors, maxCallMs,
      };
    });
    const errors = {};
    for (const p of perProcess) for (const [k, n] of Object.entries(p.errors)) errors[k] = (errors[k] ?? 0) + n;
    return {
      limiter: limiter === 'redis' ? 'redis (ioredis)' : 'embedded',
      processes,
      callersPerProcess: LOOPS,
      requests: all.requests,
      spanMs: all.spanMs,
      callsPerSecond: all.rate,
      maxInWindow: all.maxInWindow,
      [`shortestSpanOf${RATE + 1}Ms`]: shortestSpan(times),
      afterFirstSecond: { maxInWindow: measure(later).maxInWindow, [`shortestSpanOf${RATE + 1}Ms`]: shortestSpan(later) },
      ok: perProcess.reduce((n, p) => n + p.ok, 0),
      errors,
      maxCallMs: Math.max(...perProcess.map((p) => p.maxCallMs)),
      perProcess,
    };
  } finally {
    await mock.close();
  }
}

/** Every run of LIMITER_RUNS, one after the other, with one redis-server for the Redis ones. */
export async function limiterFigures() {
  const stop = (signal) => stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const bound = LIMITER_RUNS.length * (RUN_MS + DEADLINE_MS + 15_000) + 60_000;
  const redis = await startRedis({ boundMs: bound });
  try {
    const runs = {};
    for (const run of LIMITER_RUNS) runs[key(run)] = await limiterRun(run, redis.url);
    const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
    return { date: new Date().toISOString(), machine, ratePerSecond: RATE, runMs: RUN_MS, deadlineMs: DEADLINE_MS, runs };
  } finally {
    await redis.kill();
    await stopAll();
    process.off('SIGINT', stop).off('SIGTERM', stop);
  }
}

/** The table of `make bench`, in the README's format. */
export function limiterTable(figures) {
  const f = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const errs = (e) => Object.entries(e).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
  return [
    `| limiter (TTPay allows ${figures.ratePerSecond}/s per app) | processes × callers | calls/s at the upstream | max in any 1000 ms window | the same, first second left out | each process: calls/s, max in a window | requests (errors) | slowest call |`,
    `|---|---|---|---|---|---|---|---|`,
    ...LIMITER_RUNS.map((run) => {
      const r = figures.runs[key(run)];
      const each = r.processes > 1 ? r.perProcess.map((p) => `${f(p.callsPerSecond, 2)}/s, ${p.maxInWindow}`).join(' · ') : '—';
      return `| ${r.limiter} | ${r.processes} × ${r.callersPerProcess} | ${f(r.callsPerSecond, 2)}/s | ${r.maxInWindow} (${RATE + 1} within ${f(r[`shortestSpanOf${RATE + 1}Ms`])} ms) | ${r.afterFirstSecond.maxInWindow} (${RATE + 1} within ${f(r.afterFirstSecond[`shortestSpanOf${RATE + 1}Ms`])} ms) | ${each} | ${f(r.requests)} (${errs(r.errors)}) | ${f(r.maxCallMs)} ms |`;
    }),
  ];
}

/** Puts `figures` into bench/results.json as `limiter`, keeping the rest of the file. */
export function saveLimiter(figures) {
  const file = join(root, 'bench/results.json');
  const results = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  results.limiter = figures;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** `node bench/limiter.mjs`: this part alone. */
export async function main() {
  const figures = await limiterFigures();
  saveLimiter(figures);
  console.log(limiterTable(figures).join('\n'));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await main();
