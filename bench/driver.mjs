// One runtime's figures, in a process of that runtime: `node|bun bench/driver.mjs <json>` or
// `deno run -A bench/driver.mjs <json>`, where <json> is `{ url, app }` (the bench server and the
// demo app). The same file runs in Node 18/20/22, Deno and Bun; so do the clients it measures
// (peer.mjs, reference.mjs, the package through its own entry for that runtime).
//
// Throughput: raw fetch, raw fetch + timeout, the no-timeout reference, the like-for-like peer
// and the SDK, each sequential and with 64 in flight, against the bench server. Every contender
// gets a warm-up, then rounds of BENCH_ROUND_MS interleaved (A B C … A B C …, each round starting
// one contender further on, so none always follows the same one), BENCH_ROUNDS of them; the
// figure is the median round.
//
// CPU per call: peer and SDK closing orders through an injected `fetch` that answers at once with
// a precomputed, freshly signed Response (one per call: the SDK refuses a replayed nonce), in
// rounds of BENCH_CPU_CALLS sequential calls, interleaved the same way; process CPU time
// (user + system) and wall time per call, median round.
// Prints one JSON line.
import { Buffer } from 'node:buffer';
import { createPeerClient } from './peer.mjs';
import { createReferenceClient, signAuthorization } from './reference.mjs';
import { signedReply } from './reply.mjs';

const { url: baseUrl, app: APP, only } = JSON.parse(process.argv[2] ?? globalThis.Deno?.args[0]);
const env = (k, d) => Number(globalThis.process?.env[k] ?? d);
const ROUND_MS = env('BENCH_ROUND_MS', 1000);
const ROUNDS = Math.max(5, env('BENCH_ROUNDS', 5));
const WARM_UP_MS = env('BENCH_WARM_UP_MS', 1000);
const CPU_CALLS = env('BENCH_CPU_CALLS', 5000);
const IN_FLIGHT = 64;
const ORDER = 'order-bench';

function runtime() {
  if (globalThis.Deno) return { name: 'deno', version: Deno.version.deno, engine: `V8 ${Deno.version.v8}` };
  if (globalThis.Bun) return { name: 'bun', version: Bun.version, engine: 'JavaScriptCore' };
  return { name: `node${process.versions.node.split('.')[0]}`, version: process.versions.node, engine: `V8 ${process.versions.v8}` };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

/** The practical limit: a request signed once, sent as it is, the reply read as text; `timed`
 *  adds the AbortController and timer any client honouring a timeout arms per call. */
function rawCall(timed) {
  const body = JSON.stringify({ app_id: APP.appId, mch_id: APP.mchId, transaction_id: ORDER });
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
    const timer = setTimeout(() => controller.abort(), 10_000);
    try {
      const res = await fetch(url, { method: 'POST', headers, body, signal: controller.signal });
      await res.text();
    } finally {
      clearTimeout(timer);
    }
  };
}

/** Calls `call` from `inFlight` loops until `ms` have passed; calls/s and each call's latency. */
async function timed(call, inFlight, ms) {
  const latencies = [];
  const started = performance.now();
  const end = started + ms;
  const loop = async () => {
    while (performance.now() < end) {
      const t0 = performance.now();
      await call();
      latencies.push(performance.now() - t0);
    }
  };
  await Promise.all(Array.from({ length: inFlight }, loop));
  return { rate: latencies.length / ((performance.now() - started) / 1000), latencies };
}

/** Rounds of every contender interleaved; `run(contender)` measures one round of one. */
async function interleaved(names, run) {
  const rounds = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < names.length; k++) {
      const n = names[(r + k) % names.length];
      rounds[n].push(await run(n));
    }
  }
  return rounds;
}

async function throughput(sdk) {
  const ref = createReferenceClient({ ...APP, baseUrl });
  const peer = createPeerClient({ ...APP, baseUrl });
  const calls = {
    raw: rawCall(false),
    rawt: rawCall(true),
    ref: () => ref.closeOrder(ORDER),
    peer: () => peer.closeOrder(ORDER),
    sdk: () => sdk.closeOrder({ transactionId: ORDER }),
  };
  // Both verify the reply, or the comparison is off.
  if (!(await peer.closeOrder(ORDER)).verified || !(await sdk.closeOrder({ transactionId: ORDER })).verified) throw new Error('reply not verified');
  const names = [];
  for (const mode of ['seq', '64']) for (const who of Object.keys(calls)) names.push(`${who}-${mode}`);
  const split = (n) => {
    const [who, mode] = n.split('-');
    return [calls[who], mode === 'seq' ? 1 : IN_FLIGHT];
  };
  for (const n of names) await timed(...split(n), WARM_UP_MS);
  const lat = Object.fromEntries(names.map((n) => [n, []]));
  const rounds = await interleaved(names, async (n) => {
    const { rate, latencies } = await timed(...split(n), ROUND_MS);
    for (const l of latencies) lat[n].push(l);
    return rate;
  });
  return Object.fromEntries(
    names.map((n) => {
      const sorted = lat[n].sort((a, b) => a - b);
      return [n, { callsPerSecond: median(rounds[n]), roundsCallsPerSecond: rounds[n], calls: sorted.length, p50Ms: percentile(sorted, 50), p99Ms: percentile(sorted, 99) }];
    }),
  );
}

/** CPU per call with a canned reply: each call's fetch answers at once with its own signed Response. */
async function cpuPerCall(TTPayClient) {
  let pool = [];
  let next = 0;
  const fetch = async () => pool[next++];
  const fill = (n) => {
    pool = Array.from({ length: n }, () => {
      const { body, headers } = signedReply(APP.appSecret);
      return new Response(body, { status: 200, headers });
    });
    next = 0;
  };
  const sdk = new TTPayClient({ ...APP, baseUrl: 'https://api.ttpay.io', fetch, rateLimitPerSecond: null });
  const peer = createPeerClient({ ...APP, fetch });
  const calls = { peer: () => peer.closeOrder(ORDER), sdk: () => sdk.closeOrder({ transactionId: ORDER }) };
  const cpu = () => {
    try {
      const u = process.cpuUsage();
      return (u.user + u.system) / 1000;
    } catch {
      return NaN;
    }
  };
  const round = async (n, count) => {
    fill(count);
    const c0 = cpu();
    const t0 = performance.now();
    for (let i = 0; i < count; i++) {
      const r = await calls[n]();
      if (!r.verified) throw new Error(`${n}: reply not verified`);
    }
    const wall = performance.now() - t0;
    return { cpuUs: ((cpu() - c0) * 1000) / count, wallUs: (wall * 1000) / count };
  };
  for (const n of Object.keys(calls)) for (let i = 0; i < 3; i++) await round(n, Math.max(1000, CPU_CALLS / 2));
  const rounds = await interleaved(Object.keys(calls), (n) => round(n, CPU_CALLS));
  pool = [];
  return Object.fromEntries(
    Object.entries(rounds).map(([n, rs]) => [
      n,
      { cpuUsPerCall: median(rs.map((r) => r.cpuUs)), wallUsPerCall: median(rs.map((r) => r.wallUs)), roundsCpuUs: rs.map((r) => r.cpuUs), callsPerRound: CPU_CALLS },
    ]),
  );
}

const crypto = globalThis.Deno ? 'node:crypto (Deno’s Node compatibility layer)' : globalThis.Bun ? 'node:crypto (Bun’s implementation)' : 'node:crypto (OpenSSL)';
const { TTPayClient } = await import('ttpay-wasm');
const sdk = new TTPayClient({ ...APP, baseUrl, rateLimitPerSecond: null });
const out = { runtime: runtime(), peerCrypto: crypto, roundMs: ROUND_MS, rounds: ROUNDS, warmUpMs: WARM_UP_MS };
if (only !== 'cpu') out.throughput = await throughput(sdk);
if (only !== 'throughput') out.cpu = await cpuPerCall(TTPayClient);
console.log(JSON.stringify(out));
// Deno and Bun keep pooled connections open; end at once.
globalThis.process?.exit?.(0);
