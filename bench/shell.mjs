// What the I/O loop costs where it runs: CPU per call of the like-for-like peer (bench/peer.mjs),
// of that same JavaScript shell with each request signed by the SDK's wasm core instead of
// node:crypto (a prototype, not shipped), and of the SDK, through a canned `fetch` answering with
// a plain object (no `Response`, so the HTTP client's own cost is left out of all three).
// Rounds of BENCH_CPU_CALLS interleaved, median of 11. Needs the `bench` build (`make bench`
// makes it; alone: `bash scripts/build.sh --bench`). `node bench/shell.mjs`, `bun bench/shell.mjs`, `deno run -A bench/shell.mjs`.
import { readFileSync } from 'node:fs';
import { createPeerClient } from './peer.mjs';
import { signedReply } from './reply.mjs';

const APP = { appId: 'ttpay-demo-app', appSecret: 'demo-secret-0123456789abcdefghij', mchId: '100001' };
const ORDER = 'order-bench';
const CALLS = Number(process.env.BENCH_CPU_CALLS ?? 10_000);
const ROUNDS = 11;

const glue = await import('./out/sign/ttpay_wasm.js');
glue.initSync({ module: readFileSync(new URL('./out/sign/ttpay_wasm_bg.wasm', import.meta.url)) });
glue.__setCrypto((await import('node:crypto')).webcrypto);
const core = new glue.TTPayClient({ ...APP, baseUrl: 'https://api.ttpay.io', rateLimitPerSecond: null });
const { TTPayClient } = await import('ttpay-wasm');

let pool = [];
let next = 0;
const fetch = () => pool[next++];
// One freshly signed reply per call (the SDK refuses a replayed nonce), made before each round.
const fill = (n) => {
  pool = Array.from({ length: n }, () => {
    const { body, headers } = signedReply(APP.appSecret);
    const text = new TextDecoder().decode(body);
    const bytes = new Uint8Array(body).buffer;
    const h = new Map(Object.entries(headers));
    return Promise.resolve({ status: 200, headers: { get: (k) => h.get(k) ?? null }, body: null, text: async () => text, arrayBuffer: async () => bytes });
  });
  next = 0;
};

const peer = createPeerClient({ ...APP, fetch });
const shell = createPeerClient({ ...APP, fetch, sign: () => glue.__signCloseOrder(core, ORDER) });
const sdk = new TTPayClient({ ...APP, baseUrl: 'https://api.ttpay.io', fetch, rateLimitPerSecond: null });
const calls = {
  peer: () => peer.closeOrder(ORDER),
  'shell + wasm signing': () => shell.closeOrder(ORDER),
  sdk: () => sdk.closeOrder({ transactionId: ORDER }),
};
const names = Object.keys(calls);
const cpu = () => {
  const u = process.cpuUsage();
  return u.user + u.system;
};
const rounds = Object.fromEntries(names.map((n) => [n, []]));
for (let r = 0; r < ROUNDS + 2; r++) {
  for (let k = 0; k < names.length; k++) {
    const n = names[(r + k) % names.length];
    fill(CALLS);
    const c0 = cpu();
    for (let i = 0; i < CALLS; i++) if (!(await calls[n]()).verified) throw new Error(`${n}: reply not verified`);
    if (r >= 2) rounds[n].push((cpu() - c0) / CALLS);
  }
}
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
const runtime = globalThis.Deno ? `Deno ${Deno.version.deno}` : globalThis.Bun ? `Bun ${Bun.version}` : `Node ${process.versions.node}`;
const p = median(rounds.peer);
console.log(`${runtime}: ${names.map((n) => `${n} ${median(rounds[n]).toFixed(1)} µs (${(median(rounds[n]) / p).toFixed(2)} × peer)`).join(', ')}`);
