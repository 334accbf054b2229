// Concurrency and client lifetime, in Node (not part of `make bench`'s table; run it alone):
//
//   node bench/concurrency.mjs            (every part; BENCH_CONC_ROUNDS, BENCH_CONC_NS,
//                                          BENCH_CONC_ARMS, BENCH_GC_CLIENTS, BENCH_GC_ROUNDS)
//   node bench/concurrency.mjs burst | gc  (one part)
//
// 1. Bursts: N concurrent closeOrder calls (rateLimitPerSecond: null, maxRetries: 0; replies
//    signed and verified as TTPay's are) started in one synchronous loop, against a loopback
//    server whose every reply arrives after a random delay, uniform in [0, 2000) ms, for N = 1,000,
//    4,000, 8,000, 16,000. Figures: wall time from the first call to the last settled, the time the
//    loop starting the calls took, each call's latency, and the longest event-loop stall, measured
//    two ways from just before the loop to the last settled: perf_hooks monitorEventLoopDelay
//    (resolution 10 ms) max, and the greatest lateness of a 10 ms setInterval (both armed 50 ms
//    before the burst; the interval's figure also says when, from the burst's start). Beside the SDK, the
//    same burst with raw fetch (one request signed once, the reply read as text: what the stack
//    costs without any client) and the like-for-like peer (bench/peer.mjs). Each (N, arm) in a
//    fresh process; rounds interleaved; medians and the worst round.
//    The server runs in a process of its own, not in the measured one: this machine's open-file
//    limit (20,000, and the hard limit cannot be raised here) is below the 32,000 descriptors that
//    16,000 connections take with both of their ends in one process. Its CPU still competes with
//    the measured process (2 cores).
// 2. Client lifetime: 30,000 clients (default options, so the embedded limiter) made and dropped
//    without free(), against 30,000 made and free()d, each in a fresh process run with
//    --expose-gc: the time of each of two global gc() calls, then of the first 0 ms timer after it
//    (the FinalizationRegistry callbacks, which free the clients' wasm memory, run in a task after
//    the collection), the JS heap and wasm memory after each; then 30,000 more made and let go the
//    same way, to see whether the wasm memory freed is reused (wasm memory never shrinks).
//
// Writes the figures into bench/results.json as `concurrency` (leaving the rest) and prints tables.
// Every server listens on 127.0.0.1 and ends by itself; every child process is bounded in time.
import { execFile, spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { APP } from './server.mjs';
import { signedReply } from './reply.mjs';
import { signAuthorization } from './reference.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const self = fileURLToPath(import.meta.url);
const env = (k, d) => process.env[k] ?? d;
const ROUNDS = Number(env('BENCH_CONC_ROUNDS', 3));
const NS = env('BENCH_CONC_NS', '1000,4000,8000,16000').split(',').map(Number);
const ARMS = env('BENCH_CONC_ARMS', 'raw,peer,sdk').split(',');
const MAX_DELAY_MS = Number(env('BENCH_CONC_DELAY_MS', 2000));
const GC_CLIENTS = Number(env('BENCH_GC_CLIENTS', 30000));
const GC_ROUNDS = Number(env('BENCH_GC_ROUNDS', 2));
const PATH = '/v1/transaction/close';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// ---- the server (a process of its own) ----

/** Replies to every request after a random delay in [0, MAX_DELAY_MS), signed afresh when sent;
 *  under /fast, at once (the warm-up). Ends when its stdin closes, or after `lifetimeMs`. */
async function serve(lifetimeMs) {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const reply = () => {
        const r = signedReply(APP.appSecret);
        res.writeHead(200, r.headers);
        res.end(r.body);
      };
      if (req.url.startsWith('/fast/')) reply();
      else setTimeout(reply, Math.random() * MAX_DELAY_MS);
    });
  });
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.requestTimeout = 0;
  // somaxconn is 4096 here; Node's default backlog (511) would drop SYNs of a 16,000 burst.
  await new Promise((r) => server.listen({ port: 0, host: '127.0.0.1', backlog: 4096 }, r));
  const end = () => process.exit(0);
  setTimeout(end, lifetimeMs).unref();
  process.stdin.on('end', end).on('close', end).resume();
  console.log(JSON.stringify({ url: `http://127.0.0.1:${server.address().port}` }));
}

async function startServerProcess(lifetimeMs) {
  const child = spawn(process.execPath, [self, 'serve', String(lifetimeMs)], { cwd: root, stdio: ['pipe', 'pipe', 'inherit'] });
  const url = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c) => {
      out += c;
      const m = /\{"url":"([^"]+)"\}/.exec(out);
      if (m) resolve(m[1]);
    });
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      child.once('exit', resolve);
      child.stdin.end();
      setTimeout(() => child.kill('SIGKILL'), 5000).unref();
    });
  return { url, stop, pid: child.pid };
}

// ---- one burst (a process of its own) ----

async function makeCall(arm, baseUrl) {
  if (arm === 'sdk') {
    const { TTPayClient } = await import('ttpay-wasm');
    const client = new TTPayClient({ ...APP, baseUrl, rateLimitPerSecond: null, maxRetries: 0 });
    return (i) => client.closeOrder({ transactionId: `order-${i}` });
  }
  if (arm === 'peer') {
    const { createPeerClient } = await import('./peer.mjs');
    const client = createPeerClient({ ...APP, baseUrl });
    return (i) => client.closeOrder(`order-${i}`);
  }
  if (arm === 'raw') {
    const body = JSON.stringify({ app_id: APP.appId, mch_id: APP.mchId, transaction_id: 'order-bench' });
    const headers = { authorization: signAuthorization(APP, body), 'content-type': 'application/json', app_id: APP.appId };
    const url = baseUrl + PATH;
    return async () => {
      const res = await fetch(url, { method: 'POST', headers, body });
      const text = await res.text();
      if (res.status !== 200) throw new Error(`HTTP ${res.status} ${text}`);
    };
  }
  throw new Error(`unknown arm ${arm}`);
}

async function burst(arm, n, url) {
  // A warm-up at once-answering replies (JIT, the first connections), 8 at a time.
  const warm = await makeCall(arm, `${url}/fast`);
  let w = 0;
  await Promise.all(Array.from({ length: 8 }, async () => { while (w++ < 400) await warm(w); }));
  const call = await makeCall(arm, url);
  globalThis.gc?.();
  await sleep(100);

  const cpu0 = process.cpuUsage();
  let t0 = performance.now();
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let maxLateMs = 0;
  let maxLateAt = 0;
  let last = performance.now();
  const ticker = setInterval(() => {
    const now = performance.now();
    if (now - last - 10 > maxLateMs) {
      maxLateMs = now - last - 10;
      maxLateAt = last - t0;
    }
    last = now;
  }, 10);
  histogram.enable();
  // Both measures armed a little before the burst: the histogram drops its first sample (it has
  // no previous one), so a stall right at the start would otherwise go unseen.
  await sleep(50);
  histogram.reset();
  maxLateMs = 0;
  const latencies = new Float64Array(n);
  const errors = {};
  const messages = {};
  t0 = performance.now();
  const pending = new Array(n);
  for (let i = 0; i < n; i++) {
    const s = performance.now();
    pending[i] = call(i).then(
      () => (latencies[i] = performance.now() - s),
      (err) => {
        latencies[i] = performance.now() - s;
        const k = err?.kind ?? err?.cause?.code ?? err?.name ?? 'error';
        errors[k] = (errors[k] ?? 0) + 1;
        messages[k] ??= String(err?.message ?? err).slice(0, 300);
      },
    );
  }
  const launchMs = performance.now() - t0;
  await Promise.all(pending);
  const wallMs = performance.now() - t0;
  histogram.disable();
  clearInterval(ticker);
  const cpu = process.cpuUsage(cpu0);
  const sorted = Array.from(latencies).sort((a, b) => a - b);
  const pct = (p) => sorted[Math.min(n - 1, Math.floor((p / 100) * n))];
  let wasmMemoryBytes = null;
  if (arm === 'sdk') wasmMemoryBytes = (await import('ttpay-wasm')).diagnostics().wasmMemoryBytes;
  const r2 = (x) => Math.round(x * 100) / 100;
  return {
    arm, n, wallMs: r2(wallMs), launchMs: r2(launchMs),
    loopDelayMaxMs: r2(histogram.max / 1e6), loopDelayP99Ms: r2(histogram.percentile(99) / 1e6),
    intervalMaxLateMs: r2(maxLateMs), intervalMaxLateFromMs: r2(maxLateAt),
    p50Ms: r2(pct(50)), p99Ms: r2(pct(99)), maxMs: r2(sorted[n - 1]),
    cpuMs: r2((cpu.user + cpu.system) / 1000),
    rssMB: r2(process.memoryUsage().rss / 1048576), wasmMemoryBytes,
    errors, messages,
  };
}

// ---- client lifetime (a process of its own, --expose-gc) ----

async function lifetime(variant, count) {
  if (typeof globalThis.gc !== 'function') throw new Error('run with --expose-gc');
  const { TTPayClient, diagnostics } = await import('ttpay-wasm');
  const settle = async () => {
    for (let i = 0; i < 3; i++) {
      gc();
      await sleep(20);
    }
  };
  const reading = () => ({ heapMB: Math.round((process.memoryUsage().heapUsed / 1048576) * 10) / 10, wasmBytes: diagnostics().wasmMemoryBytes });
  const options = { ...APP, baseUrl: 'http://127.0.0.1:9' };
  // One client made and let go first, so the readings start from a used instance.
  new TTPayClient(options).free();
  await settle();
  const start = reading();
  const generation = async () => {
    const t0 = performance.now();
    let clients = [];
    for (let i = 0; i < count; i++) clients.push(new TTPayClient(options));
    const createMs = performance.now() - t0;
    const made = reading();
    let freeMs = null;
    if (variant === 'free') {
      const t1 = performance.now();
      for (const c of clients) c.free();
      freeMs = performance.now() - t1;
    }
    clients = null;
    const gcs = [];
    for (let r = 0; r < GC_ROUNDS; r++) {
      const g0 = performance.now();
      gc();
      const gcMs = performance.now() - g0;
      // The finalizers run in a task after the collection: the first 0 ms timer waits for them.
      const f0 = performance.now();
      await new Promise((res) => setTimeout(res, 0));
      const nextTimerMs = performance.now() - f0;
      await sleep(50);
      gcs.push({ gcMs: Math.round(gcMs * 100) / 100, nextTimerMs: Math.round(nextTimerMs * 100) / 100, ...reading() });
    }
    return { createMs: Math.round(createMs), freeMs: freeMs === null ? null : Math.round(freeMs * 100) / 100, made, gcs };
  };
  const first = await generation();
  const second = await generation();
  return { variant, clients: count, start, first, second };
}

// ---- the orchestrator ----

function child(args, boundMs) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', self, ...args], { cwd: root, timeout: boundMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 }, (err, out, errOut) =>
      err ? reject(new Error(`${args.join(' ')}: ${err.message}\n${errOut}`)) : resolve(JSON.parse(out.trim().split('\n').pop())),
    );
  });
}

async function bursts() {
  const lifetimeMs = (ROUNDS * NS.length * ARMS.length * 60 + 120) * 1000;
  const server = await startServerProcess(lifetimeMs);
  const runs = [];
  try {
    for (let r = 0; r < ROUNDS; r++) {
      const ns = r % 2 ? [...NS].reverse() : NS;
      for (const n of ns) {
        const k = (r + NS.indexOf(n)) % ARMS.length;
        for (const arm of [...ARMS.slice(k), ...ARMS.slice(0, k)]) {
          let fig;
          try {
            fig = await child(['one-burst', arm, String(n), server.url], 120_000);
          } catch (err) {
            fig = { arm, n, failed: String(err.message).slice(0, 1000) };
          }
          fig.round = r;
          runs.push(fig);
          console.error(`concurrency: round ${r} ${arm} N=${n}: ${fig.failed ? `FAILED ${fig.failed.split('\n')[0]}` : `wall ${fig.wallMs} ms, stall ${fig.loopDelayMaxMs} ms (interval ${fig.intervalMaxLateMs} ms), launch ${fig.launchMs} ms, errors ${JSON.stringify(fig.errors)}`}`);
          await sleep(1000); // the sockets of the process that ended close meanwhile
        }
      }
    }
  } finally {
    await server.stop();
  }
  const summary = [];
  for (const n of NS) {
    for (const arm of ARMS) {
      const rs = runs.filter((x) => x.n === n && x.arm === arm && !x.failed);
      if (!rs.length) continue;
      const m = (k) => median(rs.map((x) => x[k]));
      const worst = (k) => Math.max(...rs.map((x) => x[k]));
      summary.push({
        n, arm, rounds: rs.length,
        wallMs: m('wallMs'), wallWorstMs: worst('wallMs'),
        launchMs: m('launchMs'),
        stallMs: m('loopDelayMaxMs'), stallWorstMs: worst('loopDelayMaxMs'),
        intervalLateMs: m('intervalMaxLateMs'), intervalLateWorstMs: worst('intervalMaxLateMs'),
        p50Ms: m('p50Ms'), p99Ms: m('p99Ms'), maxMs: m('maxMs'), cpuMs: m('cpuMs'), rssMB: m('rssMB'),
        wasmMemoryBytes: arm === 'sdk' ? Math.max(...rs.map((x) => x.wasmMemoryBytes)) : null,
        errors: rs.map((x) => x.errors).filter((e) => Object.keys(e).length),
        messages: Object.assign({}, ...rs.map((x) => x.messages ?? {})),
      });
    }
  }
  return { maxDelayMs: MAX_DELAY_MS, rounds: ROUNDS, runs, summary };
}

async function lifetimes() {
  const runs = [];
  for (let r = 0; r < GC_ROUNDS; r++) {
    for (const variant of r % 2 ? ['free', 'drop'] : ['drop', 'free']) {
      const fig = await child(['one-lifetime', variant, String(GC_CLIENTS)], 300_000);
      fig.round = r;
      runs.push(fig);
      console.error(`concurrency: lifetime round ${r} ${variant}: ${JSON.stringify(fig.first.gcs)}`);
    }
  }
  return { clients: GC_CLIENTS, runs };
}

function tables(c) {
  const f = (x, d = 0) => (Number.isFinite(x) ? x.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—');
  const lines = [];
  if (c.bursts) {
    lines.push(
      `Bursts: replies after a random delay in [0, ${c.bursts.maxDelayMs}) ms; medians of ${c.bursts.rounds} interleaved rounds (worst round in brackets); ${c.machine.cpus} cores shared with other work.`,
      '',
      '| N | arm | wall | loop starting the calls | longest stall: monitorEventLoopDelay max | 10 ms interval, most late | call p50 / p99 / max | CPU | RSS after | errors |',
      '|---|---|---|---|---|---|---|---|---|---|',
      ...c.bursts.summary.map((s) =>
        `| ${f(s.n)} | ${s.arm} | ${f(s.wallMs)} ms (${f(s.wallWorstMs)}) | ${f(s.launchMs)} ms | ${f(s.stallMs)} ms (${f(s.stallWorstMs)}) | ${f(s.intervalLateMs)} ms (${f(s.intervalLateWorstMs)}) | ${f(s.p50Ms)} / ${f(s.p99Ms)} / ${f(s.maxMs)} ms | ${f(s.cpuMs)} ms | ${f(s.rssMB)} MB | ${s.errors.length ? JSON.stringify(s.errors) : 'none'} |`),
    );
  }
  if (c.lifetime) {
    lines.push(
      '',
      `Client lifetime: ${f(c.lifetime.clients)} clients per generation, two generations per process, two gc() per generation.`,
      '',
      '| variant | round | make | free() loop | wasm memory: start → made → after gc 1 → after gc 2 | gc() 1, 2 (then the next 0 ms timer) | JS heap after gc 2 | 2nd generation: wasm after gc 2; gc() 1, 2 |',
      '|---|---|---|---|---|---|---|---|',
      ...c.lifetime.runs.map((r) => {
        const g = r.first.gcs;
        const h = r.second.gcs;
        return `| ${r.variant === 'free' ? 'free()d' : 'dropped, no free()'} | ${r.round} | ${f(r.first.createMs)} ms | ${r.first.freeMs === null ? '—' : `${f(r.first.freeMs, 1)} ms`} | ${f(r.start.wasmBytes)} → ${f(r.first.made.wasmBytes)} → ${f(g[0].wasmBytes)} → ${f(g.at(-1).wasmBytes)} B | ${g.map((x) => `${f(x.gcMs, 1)} (${f(x.nextTimerMs, 1)})`).join(', ')} ms | ${f(g.at(-1).heapMB, 1)} MB | ${f(h.at(-1).wasmBytes)} B; ${h.map((x) => `${f(x.gcMs, 1)} (${f(x.nextTimerMs, 1)})`).join(', ')} ms |`;
      }),
    );
  }
  return lines;
}

async function main(part) {
  const c = { date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version } };
  if (!part || part === 'burst') c.bursts = await bursts();
  if (!part || part === 'gc') c.lifetime = await lifetimes();
  const file = join(root, 'bench/results.json');
  const results = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  results.concurrency = { ...results.concurrency, ...c };
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  console.log(tables(c).join('\n'));
}

const [cmd, ...rest] = process.argv.slice(2);
if (cmd === 'serve') await serve(Number(rest[0]));
else if (cmd === 'one-burst') console.log(JSON.stringify(await burst(rest[0], Number(rest[1]), rest[2])));
else if (cmd === 'one-lifetime') console.log(JSON.stringify(await lifetime(rest[0], Number(rest[1]))));
else if (cmd === undefined || cmd === 'burst' || cmd === 'gc') await main(cmd);
else {
  console.error('usage: node bench/concurrency.mjs [burst|gc]');
  process.exit(2);
}
