// One Node benchmark figure, in a process of its own: `node --expose-gc bench/figure.mjs <name> <baseUrl>`
// (signing, memory). Prints one JSON line. Throughput and CPU per call, in every runtime, are
// bench/driver.mjs's.
import { readFileSync } from 'node:fs';
import { APP } from './server.mjs';
import { signAuthorization } from './reference.mjs';

const [name, baseUrl] = process.argv.slice(2);
const IN_FLIGHT = 64;
const SIGN_OPS = Number(process.env.BENCH_SIGN_OPS ?? 50000);

const figures = {
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
