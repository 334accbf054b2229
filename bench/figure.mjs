// One benchmark figure, in a process of its own: `node bench/figure.mjs <name> <baseUrl>`.
// Prints one JSON line. Timings are wall clock (performance.now), after a warm-up.
import { readFileSync } from 'node:fs';
import { APP } from './server.mjs';
import { createReferenceClient, signAuthorization } from './reference.mjs';

const [name, baseUrl] = process.argv.slice(2);
const SEQ_CALLS = Number(process.env.BENCH_SEQ_CALLS ?? 5000);
const PAR_CALLS = Number(process.env.BENCH_PAR_CALLS ?? 12800);
const IN_FLIGHT = 64;
const SIGN_OPS = Number(process.env.BENCH_SIGN_OPS ?? 50000);
const WARM_UP_MS = Number(process.env.BENCH_WARM_UP_MS ?? 2000);

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

/**
 * Runs `call` `n` times, `inFlight` at a time, in 5 rounds after a warm-up; reports the median
 * round's calls/s (a single round swings by ±10 % with where the GCs fall) and the latency
 * percentiles over every call.
 */
async function load(call, n, inFlight) {
  // Warm-up by time, not count: V8 tiers wasm and JS up over seconds, and a count-based warm-up
  // left the first rounds at half the steady rate.
  const warmUntil = performance.now() + WARM_UP_MS;
  for (let i = 0; i < 300 || performance.now() < warmUntil; i++) await call(i);
  const ROUNDS = 5;
  const per = Math.ceil(n / ROUNDS);
  const latencies = [];
  const rates = [];
  for (let r = 0; r < ROUNDS; r++) {
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < per) {
        const i = next++;
        const t0 = performance.now();
        await call(i);
        latencies.push(performance.now() - t0);
      }
    };
    await Promise.all(Array.from({ length: inFlight }, worker));
    rates.push(per / ((performance.now() - started) / 1000));
  }
  rates.sort((a, b) => a - b);
  latencies.sort((a, b) => a - b);
  return {
    calls: per * ROUNDS,
    callsPerSecond: rates[2],
    roundsCallsPerSecond: rates,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
}

async function sdkClient() {
  const { TTPayClient } = await import('ttpay-wasm');
  return new TTPayClient({ ...APP, baseUrl, rateLimitPerSecond: null });
}

/**
 * The practical limit: a request signed once, sent as it is, the reply read as text. `timed`
 * adds what any client that honours a timeout must pay per call, and the SDK arms per attempt:
 * an AbortController for fetch and a timer.
 */
function rawCall(timed = false) {
  const body = JSON.stringify({ app_id: APP.appId, mch_id: APP.mchId, transaction_id: 'order-bench' });
  const headers = { authorization: signAuthorization(APP, body), 'content-type': 'application/json', app_id: APP.appId };
  const url = `${baseUrl}/v1/transaction/close`;
  if (!timed) {
    return async () => {
      const res = await fetch(url, { method: 'POST', headers, body });
      await res.text();
    };
  }
  return async () => {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 30_000);
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: controller.signal });
      await res.text();
    } finally {
      clearTimeout(timer);
    }
  };
}

const figures = {
  'sdk-seq': async () => {
    const c = await sdkClient();
    return load(() => c.closeOrder({ transactionId: 'order-bench' }), SEQ_CALLS, 1);
  },
  'sdk-64': async () => {
    const c = await sdkClient();
    return load(() => c.closeOrder({ transactionId: 'order-bench' }), PAR_CALLS, IN_FLIGHT);
  },
  'raw-seq': () => load(rawCall(), SEQ_CALLS, 1),
  'raw-64': () => load(rawCall(), PAR_CALLS, IN_FLIGHT),
  'rawt-seq': () => load(rawCall(true), SEQ_CALLS, 1),
  'rawt-64': () => load(rawCall(true), PAR_CALLS, IN_FLIGHT),
  'ref-seq': () => {
    const c = createReferenceClient({ ...APP, baseUrl });
    return load(() => c.closeOrder('order-bench'), SEQ_CALLS, 1);
  },
  'ref-64': () => {
    const c = createReferenceClient({ ...APP, baseUrl });
    return load(() => c.closeOrder('order-bench'), PAR_CALLS, IN_FLIGHT);
  },
  'sign-sdk': async () => {
    // The package's code, through its ESM glue: build + sign one request per op. The shipped
    // .wasm has no `__signCloseOrder`: `make bench` builds it with the `bench` feature.
    const glue = await import('./out/sign/ttpay_wasm.js');
    glue.initSync({ module: readFileSync(new URL('./out/sign/ttpay_wasm_bg.wasm', import.meta.url)) });
    const { webcrypto } = await import('node:crypto');
    glue.__setCrypto(webcrypto);
    const client = new glue.TTPayClient({ ...APP, baseUrl: 'https://api.ttpay.io', rateLimitPerSecond: null });
    return opsPerSecond(() => glue.__signCloseOrder(client, 'order-bench'));
  },
  'sign-node': async () => {
    // The same work per op as the SDK's: build the body, then sign it.
    const key = Buffer.from(APP.appSecret);
    return opsPerSecond(() => {
      const body = JSON.stringify({ app_id: APP.appId, mch_id: APP.mchId, transaction_id: 'order-bench' });
      return signAuthorization(APP, body, key);
    });
  },
  memory: async () => {
    const { TTPayClient, diagnostics } = await import('ttpay-wasm');
    const c = new TTPayClient({ ...APP, baseUrl, rateLimitPerSecond: null });
    const calls = async (n) => {
      let next = 0;
      await Promise.all(
        Array.from({ length: IN_FLIGHT }, async () => {
          while (next++ < n) await c.closeOrder({ transactionId: 'order-bench' });
        }),
      );
    };
    // Warm-up at the same concurrency until V8's heap and the allocator reach their working size.
    await calls(20000);
    // Collected and settled (finalizers run after a GC, on a later turn) before each reading.
    const settle = async () => {
      for (let i = 0; i < 3; i++) {
        globalThis.gc?.();
        await new Promise((r) => setTimeout(r, 50));
      }
      return { rss: process.memoryUsage().rss, heap: process.memoryUsage().heapUsed, wasm: diagnostics().wasmMemoryBytes };
    };
    const before = await settle();
    const N = Number(process.env.BENCH_MEMORY_CALLS ?? 100000);
    await calls(N);
    const after = await settle();
    return {
      calls: N,
      rssBefore: before.rss,
      rssAfter: after.rss,
      heapBefore: before.heap,
      heapAfter: after.heap,
      wasmBefore: before.wasm,
      wasmAfter: after.wasm,
    };
  },
};

/** Median of 7 rounds: one round of node:crypto swings by 2x with where its GCs fall. */
function opsPerSecond(op) {
  for (let i = 0; i < 2000; i++) op();
  const per = Math.ceil(SIGN_OPS / 7);
  const rounds = [];
  for (let r = 0; r < 7; r++) {
    const t0 = performance.now();
    for (let i = 0; i < per; i++) op();
    rounds.push(per / ((performance.now() - t0) / 1000));
  }
  rounds.sort((a, b) => a - b);
  return { ops: per * 7, opsPerSecond: rounds[3], minOpsPerSecond: rounds[0], maxOpsPerSecond: rounds[6] };
}

const run = figures[name];
if (!run) throw new Error(`unknown figure ${name}`);
console.log(JSON.stringify(await run()));
