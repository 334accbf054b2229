// The rate limiter, measured where TTPay counts (5 requests per second per app_id): at the
// upstream. The limiter spaces sends (1000 + 50) / 5 = 210 ms apart (so at most 4.76/s, never six
// in 1050 ms), granting a send only now. Runs (LIMITER_RUNS), each on an app (a Redis key, a
// Durable Object) of its own, callers closing orders in loops for BENCH_LIMITER_MS (8 s) with
// `deadlineMs` 10 s, then their queues drain:
//
// - embedded: 1 process × 10 callers, and 4 × 10 (four pacers that know nothing of each other);
// - Redis (`ttpay-wasm/redis`, one real redis-server): 4 × 10 on ioredis, 4 × 10 on node-redis,
//   8 × 20 on ioredis (160 callers: the queue is deeper than the deadline, so many calls end in
//   "timeout (no slot)"), and 4 × 10 on ioredis with Redis 50 ms away (a TCP proxy in this process
//   holding every chunk 50 ms each way);
// - Durable Object: two Workers × 10 callers in workerd (Miniflare), sharing one TTPayRateLimiter
//   (the packed package in a throw-away consumer, bundled by wrangler, as the scale-out test does);
// - Redis killed 4 s into a 12 s run and back (same port, empty) at 8 s, under each
//   onRateLimiterError policy ('local', 'send', 'fail'), 4 × 10 callers alternating ioredis and
//   node-redis, each reconnecting every 100 ms, rateLimiterTimeoutMs at its default (1000 ms).
//
// For each run: the largest number of arrivals in any sliding 1000 ms window (overall, and over
// windows starting a second or more after the first arrival), the same for the sends (when each
// caller process handed a request to fetch: what the limiter let go; arrivals add the way there), the shortest span of 6 arrivals, the
// achieved rate (mean spacing with the first and last second left out), each process's share, and
// for the kill runs the same per phase. The caller processes and measures are the scale-out
// test's (tests/js/fixtures/scale-out.mjs). Every server is on 127.0.0.1 and bounded in time.
//
//   node bench/limiter.mjs          (or node bench/run.mjs --only limiter)
//
// BENCH_LIMITER_REPEAT (1): passes over every run (one of everything first, then the next pass);
// BENCH_LIMITER_ONLY: a comma-separated list of run ids. Prints a table and writes the figures
// into bench/results.json as `limiter`, leaving the other figures there as they are.
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEMO_APP } from 'ttpay-wasm/mock';
import { packedConsumer, runCommand } from '../tests/js/helpers.mjs';
import { RATE, callerConfigs, measure, recordingMock, runCallers, seededOrders, startRedis, stopAll } from '../tests/js/fixtures/scale-out.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const RUN_MS = Number(process.env.BENCH_LIMITER_MS ?? 8_000);
const KILL_RUN_MS = 12_000;
const REPEAT = Number(process.env.BENCH_LIMITER_REPEAT ?? 1);
/** The client's default spacing: (1000 + rateLimitMarginMs 50) / RATE. */
const INTERVAL_MS = (1000 + 50) / RATE;
// As in examples/worker-durable-object: a call waits at most this long, its wait for a slot
// included. Above the deepest queue 4 × 10 callers make on one shared limiter (40 × 210 ms).
const DEADLINE_MS = 10_000;

export const LIMITER_RUNS = [
  { id: 'embedded-1x10', limiter: 'embedded', processes: 1, loops: 10 },
  { id: 'embedded-4x10', limiter: 'embedded', processes: 4, loops: 10 },
  { id: 'ioredis-4x10', limiter: 'redis', store: 'ioredis', processes: 4, loops: 10 },
  { id: 'node-redis-4x10', limiter: 'redis', store: 'node-redis', processes: 4, loops: 10 },
  { id: 'ioredis-8x20', limiter: 'redis', store: 'ioredis', processes: 8, loops: 20 },
  { id: 'ioredis-4x10-50ms', limiter: 'redis', store: 'ioredis', processes: 4, loops: 10, proxyDelayMs: 50 },
  { id: 'do-2x10', limiter: 'durable-object', processes: 2, loops: 10 },
  ...['local', 'send', 'fail'].map((policy) => ({
    id: `kill-${policy}`, limiter: 'redis', store: 'mixed', processes: 4, loops: 10, runMs: KILL_RUN_MS, policy, killAtMs: 4_000, backAtMs: 8_000,
  })),
];

const label = (run) => {
  const store = run.store === 'mixed' ? 'ioredis + node-redis' : run.store;
  if (run.limiter === 'embedded') return 'embedded';
  if (run.limiter === 'durable-object') return 'Durable Object (Miniflare)';
  if (run.policy) return `Redis (${store}) killed at 4 s, back at 8 s, '${run.policy}'`;
  return `Redis (${store})${run.proxyDelayMs ? `, ${run.proxyDelayMs} ms away each way` : ''}`;
};

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The shortest time in which RATE + 1 requests arrived (at 1000 ms or more, no 1000 ms window held more than RATE). */
function shortestSpan(ts) {
  const t = [...ts].sort((a, b) => a - b);
  let ms = Infinity;
  for (let i = 0; i + RATE < t.length; i++) ms = Math.min(ms, t[i + RATE] - t[i]);
  return Number.isFinite(ms) ? Math.round(ms * 10) / 10 : null;
}

/** Everything one set of arrival times says. */
function windowFigures(times) {
  if (times.length === 0) return { requests: 0 };
  const all = measure(times);
  const first = Math.min(...times);
  const later = times.filter((at) => at >= first + 1000);
  return {
    requests: all.requests,
    spanMs: all.spanMs,
    callsPerSecond: all.rate,
    maxInWindow: all.maxInWindow,
    shortestSpanOf6Ms: shortestSpan(times),
    afterFirstSecond: later.length ? { maxInWindow: measure(later).maxInWindow, shortestSpanOf6Ms: shortestSpan(later) } : null,
  };
}

/** A TCP proxy to `port` holding every chunk `delayMs` in each direction (order kept: Node fires
 *  timers of one duration in the order they were set). */
async function delayProxy(port, delayMs) {
  const sockets = new Set();
  const server = createServer((down) => {
    const up = connect(port, '127.0.0.1');
    sockets.add(down).add(up);
    const pipe = (from, to) => {
      from.on('data', (chunk) => setTimeout(() => to.writable && to.write(chunk), delayMs));
      from.on('end', () => setTimeout(() => to.end(), delayMs));
      from.on('error', () => {});
      from.on('close', () => {
        sockets.delete(from);
        setTimeout(() => to.destroy(), delayMs);
      });
    };
    pipe(down, up);
    pipe(up, down);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `redis://127.0.0.1:${server.address().port}`,
    close: () => {
      for (const s of sockets) s.destroy();
      return new Promise((r) => server.close(r));
    },
  };
}

/** The process (or Worker) index of an arrival: orders are `${tag}-${k}-${i}`. */
const processOf = (tag, order) => (order?.startsWith(`${tag}-`) ? Number(order.slice(tag.length + 1).split('-')[0]) : -1);

function perProcessFigures(arrivals, tag, processes, rate) {
  const times = arrivals.map((a) => a.at);
  const first = Math.min(...times);
  const last = Math.max(...times);
  const inner = (ts) => ts.filter((at) => at >= first + 1000 && at < last - 1000).length;
  const innerAll = inner(times);
  return Array.from({ length: processes }, (_, k) => {
    const own = arrivals.filter((a) => processOf(tag, a.order) === k).map((a) => a.at);
    const share = innerAll ? inner(own) / innerAll : NaN;
    return {
      requests: own.length,
      share: Math.round(share * 1000) / 1000,
      callsPerSecond: Math.round(rate * share * 100) / 100,
      maxInWindow: own.length ? measure(own).maxInWindow : 0,
    };
  });
}

/** Caller processes (embedded, Redis, the proxy, the kill runs). */
async function callersRun(run, redisUrl, tag) {
  const { processes, loops, policy } = run;
  const runMs = run.runMs ?? RUN_MS;
  const appId = tag; // an app (so a Redis key) of its own per run
  const { mock, arrivals } = await recordingMock({
    apps: [{ ...DEMO_APP, appId }],
    orders: seededOrders(tag, processes, loops),
    lifetimeMs: runMs + DEADLINE_MS + 60_000,
  });
  let own = null; // the kill runs' own redis-server
  let proxy = null;
  const events = {};
  try {
    if (policy) {
      own = await startRedis({ boundMs: runMs + DEADLINE_MS + 60_000 });
      redisUrl = own.url;
    }
    if (run.proxyDelayMs) {
      proxy = await delayProxy(Number(new URL(redisUrl).port), run.proxyDelayMs);
      redisUrl = proxy.url;
    }
    const configs = callerConfigs({
      processes, loops, runMs, deadlineMs: DEADLINE_MS, mock, tag, redisUrl,
      store: run.limiter === 'embedded' ? 'none' : run.store === 'mixed' ? (k) => (k % 2 ? 'node-redis' : 'ioredis') : run.store,
      extra: { appId, logSends: true, ...(policy && { onRateLimiterError: policy }) },
    });
    const { startedAt, results } = await runCallers(configs, runMs + DEADLINE_MS + 30_000);
    events.startedAt = startedAt;
    if (policy) {
      await sleep(startedAt + run.killAtMs - performance.now());
      events.killedAt = performance.now();
      await own.kill();
      await sleep(startedAt + run.backAtMs - performance.now());
      own = await startRedis({ port: own.port, boundMs: runMs + DEADLINE_MS + 60_000 });
      events.backAt = performance.now();
    }
    const ended = await results;
    for (const r of ended) {
      if (r.killed || r.code !== 0 || !r.summary) throw new Error(`${tag}: ${r.name} failed (${r.killed ? 'killed' : r.code ?? r.signal}):\n${r.stdout}\n${r.stderr}`);
    }
    const summaries = ended.map((r) => r.summary);
    return { arrivals, summaries, events };
  } finally {
    await proxy?.close();
    await own?.kill();
    await mock.close();
  }
}

/** The packed package in a throw-away consumer with the two Workers of the scale-out test,
 *  bundled by wrangler (as tests/js/scale-out.test.mjs does). */
async function durableObjectConsumer() {
  const { dir } = await packedConsumer('ttpay-bench-limiter-');
  cpSync(join(root, 'examples/worker-durable-object'), join(dir, 'worker-durable-object'), { recursive: true });
  cpSync(join(root, 'tests/js/fixtures/worker-second'), join(dir, 'worker-second'), { recursive: true });
  const env = { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error', NO_COLOR: '1' };
  for (const w of ['worker-durable-object', 'worker-second']) {
    await runCommand(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', 'out'], { cwd: join(dir, w), env, timeout: 180_000 });
  }
  return dir;
}

/** Two Workers × `loops` callers in one Miniflare, sharing one Durable Object. */
async function durableObjectRun(run, consumer, tag) {
  const { processes, loops } = run;
  const appId = tag;
  const { mock, arrivals } = await recordingMock({
    apps: [{ ...DEMO_APP, appId }],
    orders: seededOrders(tag, processes, loops),
    lifetimeMs: RUN_MS + DEADLINE_MS + 60_000,
  });
  const names = ['ttpay-close-order-do', 'ttpay-second-worker'];
  const dirs = ['worker-durable-object', 'worker-second'];
  const bindings = { TTPAY_BASE_URL: mock.url, TTPAY_APP_ID: appId, TTPAY_APP_SECRET: DEMO_APP.appSecret, TTPAY_MCH_ID: DEMO_APP.mchId, WORKER_TOKEN: 'bench-token' };
  const worker = (w, limiter) => {
    const out = join(consumer, dirs[w], 'out');
    return {
      name: names[w], modules: true, scriptPath: join(out, 'index.js'), modulesRoot: out,
      modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
      compatibilityDate: '2026-04-01', bindings,
      durableObjects: { TTPAY_LIMITER: { className: 'TTPayRateLimiter', useSQLite: true, ...limiter } },
    };
  };
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({ workers: [worker(0, {}), worker(1, { scriptName: names[0] })] });
  try {
    const fetchers = [await mf.getWorker(names[0]), await mf.getWorker(names[1])];
    const summaries = fetchers.map(() => ({ calls: 0, ok: 0, errors: {}, maxCallMs: 0 }));
    const start = performance.now();
    const loop = async (w, i) => {
      const s = summaries[w];
      while (performance.now() - start < RUN_MS) {
        const began = performance.now();
        const res = await fetchers[w].fetch(`http://worker.test/?transactionId=${tag}-${w}-${i}`, { headers: { authorization: 'Bearer bench-token' } });
        const body = await res.json().catch(() => null);
        s.calls += 1;
        s.maxCallMs = Math.max(s.maxCallMs, Math.round(performance.now() - began));
        if (res.status === 200 && body?.ok && body.result.code === 0) s.ok += 1;
        else {
          const e = body?.error;
          const k = e ? (e.kind === 'timeout' && e.attempts === 0 ? 'timeout (no slot)' : e.kind) : `HTTP ${res.status}`;
          s.errors[k] = (s.errors[k] ?? 0) + 1;
          await sleep(200);
        }
      }
    };
    await Promise.all([0, 1].flatMap((w) => Array.from({ length: loops }, (_, i) => loop(w, i))));
    return { arrivals, summaries, events: { startedAt: start } };
  } finally {
    await mf.dispose();
    await mock.close();
  }
}

function figuresOf(run, tag, { arrivals, summaries, events }) {
  const times = arrivals.map((a) => a.at);
  const w = windowFigures(times);
  const errors = {};
  for (const s of summaries) for (const [k, n] of Object.entries(s.errors)) errors[k] = (errors[k] ?? 0) + n;
  const perProcess = perProcessFigures(arrivals, tag, run.processes, w.callsPerSecond).map((p, k) => ({
    ...p, ok: summaries[k].ok, calls: summaries[k].calls, errors: summaries[k].errors, maxCallMs: summaries[k].maxCallMs,
    ...(summaries[k].storeErrors !== undefined && { storeErrors: summaries[k].storeErrors }),
  }));
  const out = {
    id: run.id, label: label(run), processes: run.processes, callersPerProcess: run.loops, runMs: run.runMs ?? RUN_MS,
    ...w, ok: summaries.reduce((n, s) => n + s.ok, 0), errors,
    maxCallMs: Math.max(...summaries.map((s) => s.maxCallMs)), perProcess,
  };
  // When the requests left their processes (the onRequest hook's Date.now()), on this run's clock:
  // a window that holds more arrivals than sends was made after the client let go of the request.
  const sends = summaries.flatMap((s) => s.sends ?? []).map((at) => at - performance.timeOrigin);
  if (sends.length) {
    const firstSend = Math.min(...sends);
    out.sent = { maxInWindow: measure(sends).maxInWindow, afterFirstSecond: measure(sends.filter((at) => at >= firstSend + 1000)).maxInWindow };
  }
  if (run.policy) {
    const at = (from, to) => times.filter((t) => t >= from && t < to);
    const byProcess = (from, to) =>
      Array.from({ length: run.processes }, (_, k) => {
        const own = arrivals.filter((a) => processOf(tag, a.order) === k && a.at >= from && a.at < to).map((a) => a.at);
        return own.length ? measure(own).maxInWindow : 0;
      });
    // A phase is too short for the rate that leaves out its first and last second: its
    // requests over its length instead.
    const phase = (from, to) => {
      const ts = at(from, to);
      const seconds = (Math.min(to, Math.max(...times)) - Math.max(from, Math.min(...times))) / 1000;
      return { ...windowFigures(ts), perSecond: Math.round((ts.length / seconds) * 100) / 100, maxInWindowPerProcess: byProcess(from, to), seconds: Math.round(seconds * 10) / 10 };
    };
    out.phases = {
      beforeKill: phase(-Infinity, events.killedAt),
      whileDown: phase(events.killedAt, events.backAt),
      afterBack: phase(events.backAt, Infinity),
      fromOneSecondAfterBack: phase(events.backAt + 1000, Infinity),
    };
    out.killedAtMs = Math.round(events.killedAt - events.startedAt);
    out.backAtMs = Math.round(events.backAt - events.startedAt);
  }
  return out;
}

/** Every run of LIMITER_RUNS (or BENCH_LIMITER_ONLY's), REPEAT passes, one redis-server for the
 *  plain Redis runs. */
export async function limiterFigures() {
  const stop = (signal) => stopAll().finally(() => process.exit(signal === 'SIGINT' ? 130 : 143));
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const only = process.env.BENCH_LIMITER_ONLY?.split(',');
  const selected = only ? LIMITER_RUNS.filter((r) => only.includes(r.id)) : LIMITER_RUNS;
  const redis = await startRedis({ boundMs: REPEAT * selected.length * 120_000 + 300_000 });
  const started = performance.now();
  let consumer = null; // the Durable Object runs' packed consumer, made on first use
  try {
    const runs = {};
    for (let pass = 0; pass < REPEAT; pass++) {
      for (const run of selected) {
        const tag = `bench-${run.id}-${pass}`;
        let fig;
        try {
          let raw;
          if (run.limiter === 'durable-object') {
            consumer ??= await durableObjectConsumer();
            raw = await durableObjectRun(run, consumer, tag);
          } else {
            raw = await callersRun(run, redis.url, tag);
          }
          fig = figuresOf(run, tag, raw);
        } catch (err) {
          fig = { id: run.id, label: label(run), processes: run.processes, callersPerProcess: run.loops, error: String(err.message).slice(0, 3000) };
        }
        fig.pass = pass;
        (runs[run.id] ??= []).push(fig);
        console.error(`limiter: pass ${pass} ${run.id}: ${fig.error ? `FAILED ${fig.error.split('\n')[0]}` : `${fig.callsPerSecond}/s, max ${fig.maxInWindow} (${fig.afterFirstSecond?.maxInWindow} after 1 s), ${fig.requests} requests, errors ${JSON.stringify(fig.errors)}`}`);
      }
    }
    const machine = { cpus: cpus().length, model: cpus()[0]?.model, node: process.version };
    return {
      date: new Date().toISOString(), machine, ratePerSecond: RATE, intervalMs: INTERVAL_MS, runMs: RUN_MS, deadlineMs: DEADLINE_MS,
      passes: REPEAT, seconds: Math.round((performance.now() - started) / 1000), runs,
    };
  } finally {
    await redis.kill();
    await stopAll();
    if (consumer) rmSync(consumer, { recursive: true, force: true });
    process.off('SIGINT', stop).off('SIGTERM', stop);
  }
}

/** The table of `make bench`: one row per run and pass, then the kill runs' phases. */
export function limiterTable(figures) {
  const f = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—');
  const errs = (e) => Object.entries(e ?? {}).map(([k, n]) => `${n} ${k}`).join(', ') || 'none';
  const win = (m) => (m ? `${m.maxInWindow} (6 within ${f(m.shortestSpanOf6Ms)} ms)` : '—');
  const rows = Object.values(figures.runs).flat();
  const lines = [
    `TTPay allows ${figures.ratePerSecond}/s per app; the client spaces sends ${f(figures.intervalMs)} ms apart (≤ ${f(1000 / figures.intervalMs, 2)}/s). ${figures.machine.cpus} cores, shared with other work.`,
    '',
    `| limiter | processes × callers | pass | calls/s at the upstream | max in any 1000 ms window | the same, first second left out | each process: share, calls/s, max in a window | requests (errors) | slowest call |`,
    `|---|---|---|---|---|---|---|---|---|`,
    ...rows.map((r) => {
      if (r.error) return `| ${r.label} | ${r.processes} × ${r.callersPerProcess} | ${r.pass} | FAILED: ${r.error.split('\n')[0]} | | | | | |`;
      const each = r.processes > 1 ? r.perProcess.map((p) => `${f(p.share * 100)} %, ${f(p.callsPerSecond, 2)}/s, ${p.maxInWindow}`).join(' · ') : '—';
      const sent = (n) => (n === undefined ? '' : `; sent: ${n}`);
      return `| ${r.label} | ${r.processes} × ${r.callersPerProcess} | ${r.pass} | ${f(r.callsPerSecond, 2)}/s | ${win(r)}${sent(r.sent?.maxInWindow)} | ${win(r.afterFirstSecond)}${sent(r.sent?.afterFirstSecond)} | ${each} | ${f(r.requests)} (${errs(r.errors)}) | ${f(r.maxCallMs)} ms |`;
    }),
  ];
  const kills = rows.filter((r) => r.phases);
  if (kills.length) {
    const ph = (p) => (p.requests ? `${p.requests} req in ${f(p.seconds, 1)} s (${f(p.perSecond, 2)}/s), max ${p.maxInWindow} (per process ${p.maxInWindowPerProcess.join('/')})` : '0 req');
    lines.push(
      '',
      '| Redis killed, policy | pass | killed / back at | before | while down | after its return | from 1 s after its return | errors |',
      '|---|---|---|---|---|---|---|---|',
      ...kills.map((r) => `| ${r.id.slice(5)} | ${r.pass} | ${f(r.killedAtMs)} / ${f(r.backAtMs)} ms | ${ph(r.phases.beforeKill)} | ${ph(r.phases.whileDown)} | ${ph(r.phases.afterBack)} | ${ph(r.phases.fromOneSecondAfterBack)} | ${errs(r.errors)} |`),
    );
  }
  return lines;
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
