// `make bench`: every figure in a fresh process, side by side on this machine; prints a table,
// writes bench/results.json. Ratios are computed pair by pair within this one run.
//
// `node bench/run.mjs --only limiter` measures the rate limiter alone (bench/limiter.mjs) and
// puts its figures into bench/results.json, leaving the others as they are.
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHIPPED, measure } from '../scripts/sizes.mjs';
import { limiterFigures, limiterTable, main as limiterOnly } from './limiter.mjs';
import { startReplyServer } from './server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const COLD_RUNS = Number(process.env.BENCH_COLD_RUNS ?? 15);

function figure(name, url = '') {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', join(root, 'bench/figure.mjs'), name, url], { cwd: root, timeout: 600_000 }, (err, out, errOut) =>
      err ? reject(new Error(`${name}: ${err.message}\n${errOut}`)) : resolve(JSON.parse(out.trim().split('\n').pop())),
    );
  });
}

function cold(name) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(root, 'bench/cold.mjs'), name], { cwd: root, timeout: 60_000 }, (err, _out, errOut) =>
      err ? reject(new Error(`cold ${name}: ${err.message}\n${errOut}`)) : resolve(),
    );
  });
}

/** Wall time of a whole process (spawn to exit), median of COLD_RUNS, runs interleaved. */
async function coldStarts(names) {
  const times = Object.fromEntries(names.map((n) => [n, []]));
  for (let i = 0; i < COLD_RUNS; i++) {
    for (const n of names) {
      const t0 = performance.now();
      await cold(n);
      times[n].push(performance.now() - t0);
    }
  }
  const median = (a) => a.sort((x, y) => x - y)[Math.floor(a.length / 2)];
  return Object.fromEntries(names.map((n) => [n, { medianMs: median(times[n]), runs: COLD_RUNS }]));
}

function sizes() {
  const [wasmFile, ...js] = SHIPPED;
  const wasm = measure(wasmFile);
  const glue = [...js, 'pkg/workerd.js'].map(measure);
  const sum = (k) => glue.reduce((t, r) => t + r[k], 0);
  // The budget counts what the size test counts: the .wasm and the JS every entry loads with it.
  const shippedGzip = SHIPPED.map(measure).reduce((t, r) => t + r.gzip, 0);
  return { wasm, glue: { raw: sum('raw'), gzip: sum('gzip'), brotli: sum('brotli'), files: glue.map((r) => r.file) }, shippedGzip };
}

function workerBundle() {
  const out = mkdtempSync(join(tmpdir(), 'ttpay-bundle-'));
  try {
    const text = execFileSync(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', out], {
      cwd: join(root, 'examples/worker'),
      env: { ...process.env, WRANGLER_SEND_METRICS: 'false', NO_COLOR: '1', FORCE_COLOR: '0' },
      encoding: 'utf8',
    });
    const m = /Total Upload: ([\d.]+) KiB \/ gzip: ([\d.]+) KiB/.exec(text);
    return m ? { totalKiB: Number(m[1]), gzipKiB: Number(m[2]) } : { error: 'no size line in wrangler output' };
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const PARTS = ['limiter'];
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt < 0 ? null : process.argv[onlyAt + 1];
if (onlyAt >= 0 && !PARTS.includes(only)) {
  console.error(`usage: node bench/run.mjs [--only ${PARTS.join('|')}]`);
  process.exit(2);
}
if (only === 'limiter') await limiterOnly();
else await all();

async function all() {
  const server = await startReplyServer();
  const results = { date: new Date().toISOString(), machine: { cpus: cpus().length, model: cpus()[0]?.model, node: process.version } };
  try {
    for (const mode of ['seq', '64']) {
      for (const who of ['raw', 'rawt', 'ref', 'sdk']) results[`${who}-${mode}`] = await figure(`${who}-${mode}`, server.url);
    }
    results['sign-node'] = await figure('sign-node');
    results['sign-sdk'] = await figure('sign-sdk');
    results.cold = await coldStarts(['empty', 'reference', 'sdk']);
    results.memory = await figure('memory', server.url);
  } finally {
    await server.close();
  }
  results.size = sizes();
  results.workerBundle = workerBundle();
  // Last, so that its processes and servers run alone.
  results.limiter = await limiterFigures();

  const r = results;
  const ratio = (a, b) => a / b;
  results.ratios = {
    sdkVsRawSeq: ratio(r['sdk-seq'].callsPerSecond, r['raw-seq'].callsPerSecond),
    sdkVsRaw64: ratio(r['sdk-64'].callsPerSecond, r['raw-64'].callsPerSecond),
    sdkVsTimedRawSeq: ratio(r['sdk-seq'].callsPerSecond, r['rawt-seq'].callsPerSecond),
    sdkVsTimedRaw64: ratio(r['sdk-64'].callsPerSecond, r['rawt-64'].callsPerSecond),
    sdkVsRefSeq: ratio(r['sdk-seq'].callsPerSecond, r['ref-seq'].callsPerSecond),
    sdkVsRef64: ratio(r['sdk-64'].callsPerSecond, r['ref-64'].callsPerSecond),
    signSdkVsNode: ratio(r['sign-sdk'].opsPerSecond, r['sign-node'].opsPerSecond),
    coldSdkVsRef: ratio(r.cold.sdk.medianMs, r.cold.reference.medianMs),
  };
  const rssGrowth = r.memory.rssAfter - r.memory.rssBefore;
  results.budgets = {
    'throughput ≥ 0.90 × raw fetch (seq)': r.ratios.sdkVsRawSeq >= 0.9,
    'throughput ≥ 0.90 × raw fetch (64)': r.ratios.sdkVsRaw64 >= 0.9,
    'throughput ≥ 1.0 × JS reference (seq)': r.ratios.sdkVsRefSeq >= 1.0,
    'throughput ≥ 1.0 × JS reference (64)': r.ratios.sdkVsRef64 >= 1.0,
    'signing ≥ 1.0 × node:crypto': r.ratios.signSdkVsNode >= 1.0,
    'cold start ≤ 1.25 × JS reference': r.ratios.coldSdkVsRef <= 1.25,
    '.wasm + glue ≤ 40 KB gzip': r.size.shippedGzip <= 40 * 1024,
    'RSS growth over 100k calls ≤ 5 MB': rssGrowth <= 5 * 1024 * 1024,
    'wasm memory flat over 100k calls': r.memory.wasmAfter === r.memory.wasmBefore,
  };
  writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const f = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const lines = [
    `| figure | raw fetch | raw fetch + timeout | JS reference | SDK | SDK ÷ raw | SDK ÷ raw + timeout | SDK ÷ reference |`,
    `|---|---|---|---|---|---|---|---|`,
    ...['seq', '64'].map((m) => {
      const [a, t, b, c] = ['raw', 'rawt', 'ref', 'sdk'].map((w) => r[`${w}-${m}`]);
      const cell = (x) => `${f(x.callsPerSecond)}/s · p50 ${f(x.p50Ms, 2)} ms · p99 ${f(x.p99Ms, 2)} ms`;
      const per = (x, y) => f(x.callsPerSecond / y.callsPerSecond, 2);
      return `| closeOrder, ${m === 'seq' ? 'sequential' : '64 in flight'} | ${cell(a)} | ${cell(t)} | ${cell(b)} | ${cell(c)} | ${per(c, a)} | ${per(c, t)} | ${per(c, b)} |`;
    }),
    `| signing one request | — | — | ${f(r['sign-node'].opsPerSecond)} ops/s (node:crypto) | ${f(r['sign-sdk'].opsPerSecond)} ops/s | — | — | ${f(r.ratios.signSdkVsNode, 2)} |`,
    `| cold start (process wall, median of ${COLD_RUNS}) | ${f(r.cold.empty.medianMs)} ms (empty Node) | — | ${f(r.cold.reference.medianMs)} ms | ${f(r.cold.sdk.medianMs)} ms | — | — | ${f(r.ratios.coldSdkVsRef, 2)} |`,
  ];
  const sizeLines = [
    `| artefact | raw | gzip | brotli |`,
    `|---|---|---|---|`,
    `| .wasm | ${f(r.size.wasm.raw)} B | ${f(r.size.wasm.gzip)} B | ${f(r.size.wasm.brotli)} B |`,
    `| JS glue + initialiser + error + workerd entry | ${f(r.size.glue.raw)} B | ${f(r.size.glue.gzip)} B | ${f(r.size.glue.brotli)} B |`,
    `| budgeted total (.wasm + glue + initialiser + error; goal 40 KB = 40,960 B) | — | ${f(r.size.shippedGzip)} B | — |`,
    `| Worker bundle (wrangler deploy --dry-run) | ${r.workerBundle.totalKiB ?? '?'} KiB | ${r.workerBundle.gzipKiB ?? '?'} KiB | — |`,
    `| memory over ${f(r.memory.calls)} calls | RSS ${f(r.memory.rssBefore / 1048576, 1)} → ${f(r.memory.rssAfter / 1048576, 1)} MB | wasm ${f(r.memory.wasmBefore)} → ${f(r.memory.wasmAfter)} B | JS heap ${f(r.memory.heapBefore / 1048576, 1)} → ${f(r.memory.heapAfter / 1048576, 1)} MB |`,
  ];
  console.log(lines.join('\n'));
  console.log();
  console.log(sizeLines.join('\n'));
  console.log();
  console.log(limiterTable(r.limiter).join('\n'));
  console.log();
  for (const [k, ok] of Object.entries(results.budgets)) console.log(`${ok ? 'met   ' : 'MISSED'} ${k}`);
}
