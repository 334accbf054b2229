// The runtime matrix of `make bench` (issue 12): one driver process per runtime (bench/driver.mjs,
// the same file in Node 18, 20, 22, Deno and Bun) against one bench server, the process cold start
// in each runtime (bench/cold.mjs), and the Workers cold path in Miniflare (bench/workers.mjs).
//
//   node bench/run.mjs --only runtimes      (this part alone; `make bench` runs it with the rest)
//
// writes the figures into bench/results.json as `runtimes`, leaving the others as they are, and
// prints the table. BENCH_ROUND_MS (1000), BENCH_ROUNDS (5, at least 5), BENCH_WARM_UP_MS (1000),
// BENCH_CPU_CALLS (5000), BENCH_COLD_RUNS (15), BENCH_WORKER_RUNS (9) set the lengths.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { APP, startReplyServer } from './server.mjs';
import { workersFigures } from './workers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 15);
const bin = (p) => join(root, 'node_modules', p);
const DENO_ENV = { DENO_NO_UPDATE_CHECK: '1', DENO_NO_PROMPT: '1', NO_COLOR: '1' };
const DENO_PERMISSIONS = ['--allow-net=127.0.0.1', '--allow-read', '--allow-env', '--allow-sys'];

/** How to start a script in each runtime: [command, ...arguments before the script]. */
export const RUNTIMES = {
  node18: [bin('node18/bin/node')],
  node20: [process.execPath],
  node22: [bin('node22/bin/node')],
  deno: [bin('.bin/deno'), 'run', ...DENO_PERMISSIONS],
  bun: [bin('.bin/bun')],
};
const LABELS = { node18: 'Node 18', node20: 'Node 20', node22: 'Node 22', deno: 'Deno', bun: 'Bun' };

function spawn([cmd, ...pre], args, timeout) {
  return new Promise((resolve, reject) => {
    execFile(cmd, [...pre, ...args], { cwd: root, timeout, maxBuffer: 64 << 20, env: { ...process.env, ...DENO_ENV } }, (err, out, errOut) =>
      err ? reject(new Error(`${cmd} ${args.join(' ')}: ${err.message}\n${errOut}`)) : resolve(out),
    );
  });
}

/** Wall time of a whole process (spawn to exit), median of COLD_RUNS, the arms interleaved; one
 *  unmeasured run of each first (Deno caches what it compiles). */
export async function coldStarts(runtime, names = ['empty', 'reference', 'peer', 'sdk']) {
  const cold = (n) => spawn(runtime, ['bench/cold.mjs', n], 60_000);
  for (const n of names) await cold(n);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < COLD_RUNS; i++) {
    for (const n of i % 2 ? [...names].reverse() : names) {
      const t0 = performance.now();
      await cold(n);
      times[n].push(performance.now() - t0);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return Object.fromEntries(names.map((n) => [n, { medianMs: median(times[n]), runs: COLD_RUNS }]));
}

/** One runtime: its driver (throughput, CPU per call), then its cold starts. */
async function runtimeFigures(name, server) {
  const started = performance.now();
  const out = await spawn(RUNTIMES[name], ['bench/driver.mjs', JSON.stringify({ url: server.url, app: APP })], 20 * 60_000);
  const figures = JSON.parse(out.trim().split('\n').pop());
  figures.cold = await coldStarts(RUNTIMES[name]);
  figures.seconds = Math.round((performance.now() - started) / 1000);
  return figures;
}

function cpuModel() {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))[1];
  } catch {
    return cpus()[0]?.model;
  }
}

export function machine() {
  return { cpus: cpus().length, model: cpuModel(), memoryGB: Math.round(totalmem() / 2 ** 30), platform: `${process.platform} ${process.arch}` };
}

/** SDK ÷ peer per runtime, and each issue-12 budget. */
function ratiosOf(r) {
  const out = {};
  for (const name of Object.keys(RUNTIMES)) {
    const x = r[name];
    if (!x || x.error) continue;
    const t = x.throughput;
    out[name] = {
      throughputSeq: t['sdk-seq'].callsPerSecond / t['peer-seq'].callsPerSecond,
      throughput64: t['sdk-64'].callsPerSecond / t['peer-64'].callsPerSecond,
      cpuPerCall: x.cpu.sdk.cpuUsPerCall / x.cpu.peer.cpuUsPerCall,
      coldStart: x.cold.sdk.medianMs / x.cold.peer.medianMs,
      sdkVsRawSeq: t['sdk-seq'].callsPerSecond / t['raw-seq'].callsPerSecond,
      sdkVsRaw64: t['sdk-64'].callsPerSecond / t['raw-64'].callsPerSecond,
      sdkVsTimedRawSeq: t['sdk-seq'].callsPerSecond / t['rawt-seq'].callsPerSecond,
      sdkVsTimedRaw64: t['sdk-64'].callsPerSecond / t['rawt-64'].callsPerSecond,
      sdkVsReferenceSeq: t['sdk-seq'].callsPerSecond / t['ref-seq'].callsPerSecond,
      sdkVsReference64: t['sdk-64'].callsPerSecond / t['ref-64'].callsPerSecond,
    };
  }
  if (r.workers && !r.workers.error) {
    const w = r.workers;
    out.workers = {
      startToFirstResponse: w.sdk.startToFirstResponseMs / w.peer.startToFirstResponseMs,
      firstRequest: w.sdk.firstRequestMs / w.peer.firstRequestMs,
      warm: w.sdk.warmMs / w.peer.warmMs,
    };
  }
  return out;
}

function budgetsOf(ratios) {
  const b = {};
  for (const [name, q] of Object.entries(ratios)) {
    if (name === 'workers') continue;
    b[`${LABELS[name]}: throughput ≥ 1.0 × peer (sequential)`] = q.throughputSeq >= 1.0;
    b[`${LABELS[name]}: throughput ≥ 1.0 × peer (64 in flight)`] = q.throughput64 >= 1.0;
    b[`${LABELS[name]}: CPU per call ≤ 1.5 × peer`] = q.cpuPerCall <= 1.5;
    b[`${LABELS[name]}: cold start ≤ 1.25 × peer`] = q.coldStart <= 1.25;
  }
  if (ratios.workers) b['Workers: first response ≤ 1.3 × hand-written Worker'] = ratios.workers.startToFirstResponse <= 1.3;
  return b;
}

/** The whole matrix against `server` (one is started when none is given). */
export async function runtimesFigures(server) {
  const own = server ? null : await startReplyServer();
  server ??= own;
  const started = performance.now();
  const r = { date: new Date().toISOString(), machine: machine(), orchestrator: `Node ${process.versions.node}`, server: 'bench/server.mjs, Node, in the orchestrating process' };
  try {
    for (const name of Object.keys(RUNTIMES)) {
      try {
        r[name] = await runtimeFigures(name, server);
      } catch (err) {
        r[name] = { error: String(err.message).slice(0, 2000) };
      }
      console.error(`bench: ${name} ${r[name].error ? 'FAILED' : `done in ${r[name].seconds} s`}`);
    }
    try {
      r.workers = await workersFigures({ url: server.url, app: APP });
    } catch (err) {
      r.workers = { error: String(err.message).slice(0, 2000) };
    }
  } finally {
    await own?.close();
  }
  r.ratios = ratiosOf(r);
  r.budgets = budgetsOf(r.ratios);
  r.seconds = Math.round((performance.now() - started) / 1000);
  return r;
}

const f = (n, d = 0) => (Number.isFinite(n) ? n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d }) : '—');

/** The tables: the ratios (README), then every figure. */
export function runtimesTable(r) {
  const names = Object.keys(RUNTIMES).filter((n) => r[n] && !r[n].error);
  const q = r.ratios;
  const verdict = (ok) => (ok ? 'met' : '**not met**');
  const lines = [
    `Machine: ${r.machine.cpus} cores, ${r.machine.model}, ${r.machine.memoryGB} GB, ${r.machine.platform}. ` +
      names.map((n) => `${LABELS[n]} ${r[n].runtime.version} (${r[n].runtime.engine})`).join(', ') +
      (r.workers?.miniflare ? `, Miniflare ${r.workers.miniflare} (workerd)` : '') + '.',
    '',
    '| SDK ÷ like-for-like peer | throughput, sequential (≥ 1.0) | throughput, 64 in flight (≥ 1.0) | CPU per call (≤ 1.5) | cold start (≤ 1.25) | peer\'s crypto |',
    '|---|---|---|---|---|---|',
    ...names.map((n) => {
      const x = q[n];
      return `| ${LABELS[n]} ${r[n].runtime.version} | ${f(x.throughputSeq, 2)} ${verdict(x.throughputSeq >= 1)} | ${f(x.throughput64, 2)} ${verdict(x.throughput64 >= 1)} | ${f(x.cpuPerCall, 2)} ${verdict(x.cpuPerCall <= 1.5)} | ${f(x.coldStart, 2)} ${verdict(x.coldStart <= 1.25)} | ${r[n].peerCrypto} |`;
    }),
  ];
  if (q.workers) {
    const w = r.workers;
    lines.push(
      `| Workers (workerd, Miniflare) | — | — | — | first response ${f(q.workers.startToFirstResponse, 2)} (≤ 1.3) ${verdict(q.workers.startToFirstResponse <= 1.3)}: ${f(w.sdk.startToFirstResponseMs)} ms vs ${f(w.peer.startToFirstResponseMs)} ms; the first request alone ${f(w.sdk.firstRequestMs, 1)} vs ${f(w.peer.firstRequestMs, 1)} ms (${f(q.workers.firstRequest, 2)}); warm call ${f(w.sdk.warmMs, 2)} vs ${f(w.peer.warmMs, 2)} ms (${f(q.workers.warm, 2)}) | WebCrypto (AES-CBC per block) |`,
    );
  }
  const cell = (x) => `${f(x.callsPerSecond)}/s · p50 ${f(x.p50Ms, 2)} · p99 ${f(x.p99Ms, 2)} ms`;
  lines.push(
    '',
    '| runtime | mode | raw fetch | raw fetch + timeout | reference (no timeout) | peer | SDK |',
    '|---|---|---|---|---|---|---|',
    ...names.flatMap((n) =>
      ['seq', '64'].map((m) => `| ${LABELS[n]} | ${m === 'seq' ? 'sequential' : '64 in flight'} | ${['raw', 'rawt', 'ref', 'peer', 'sdk'].map((w) => cell(r[n].throughput[`${w}-${m}`])).join(' | ')} |`),
    ),
    '',
    '| runtime | CPU per call, canned reply: peer | SDK | process cold start: empty | reference (signs only) | peer | SDK |',
    '|---|---|---|---|---|---|---|',
    ...names.map((n) => {
      const { cpu, cold } = r[n];
      const us = (x) => `${f(x.cpuUsPerCall, 1)} µs (wall ${f(x.wallUsPerCall, 1)})`;
      return `| ${LABELS[n]} | ${us(cpu.peer)} | ${us(cpu.sdk)} | ${['empty', 'reference', 'peer', 'sdk'].map((k) => `${f(cold[k].medianMs)} ms`).join(' | ')} |`;
    }),
  );
  for (const n of Object.keys(RUNTIMES)) if (r[n]?.error) lines.push('', `${LABELS[n]}: FAILED — ${r[n].error.split('\n')[0]}`);
  if (r.workers?.error) lines.push('', `Workers: FAILED — ${r.workers.error.split('\n')[0]}`);
  return lines;
}

/** Puts `figures` into bench/results.json as `runtimes`, keeping the rest of the file. */
export function saveRuntimes(figures) {
  const file = join(root, 'bench/results.json');
  const results = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  results.runtimes = figures;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
}

/** `node bench/run.mjs --only runtimes`: this part alone. */
export async function main() {
  const figures = await runtimesFigures();
  saveRuntimes(figures);
  console.log(runtimesTable(figures).join('\n'));
  console.log();
  for (const [k, ok] of Object.entries(figures.budgets)) console.log(`${ok ? 'met   ' : 'MISSED'} ${k}`);
  console.log(`\n(the runtime matrix took ${figures.seconds} s)`);
}
