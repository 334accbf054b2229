// `make bench`: every figure in a fresh process, side by side on this machine; prints a table,
// writes bench/results.json. Ratios are computed pair by pair within this one run.
//
// Throughput, CPU per call and cold start in Node 18/20/22, Deno and Bun, and the Workers cold
// path, are the runtime matrix (bench/runtimes.mjs); signing and memory are Node figures
// (bench/figure.mjs); then sizes, and the rate limiter last.
//
// `node bench/run.mjs --only runtimes` measures the runtime matrix alone, `--only limiter` the
// rate limiter alone (bench/limiter.mjs); each puts its figures into bench/results.json, leaving
// the others as they are.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { SHIPPED, measure } from '../scripts/sizes.mjs';
import { limiterFigures, limiterTable, main as limiterOnly } from './limiter.mjs';
import { machine, main as runtimesOnly, runtimesFigures, runtimesTable } from './runtimes.mjs';
import { startReplyServer } from './server.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

function figure(name, url = '') {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--expose-gc', join(root, 'bench/figure.mjs'), name, url], { cwd: root, timeout: 600_000 }, (err, out, errOut) =>
      err ? reject(new Error(`${name}: ${err.message}\n${errOut}`)) : resolve(JSON.parse(out.trim().split('\n').pop())),
    );
  });
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

const PARTS = ['limiter', 'runtimes'];
const onlyAt = process.argv.indexOf('--only');
const only = onlyAt < 0 ? null : process.argv[onlyAt + 1];
if (onlyAt >= 0 && !PARTS.includes(only)) {
  console.error(`usage: node bench/run.mjs [--only ${PARTS.join('|')}]`);
  process.exit(2);
}
if (only === 'limiter') await limiterOnly();
else if (only === 'runtimes') await runtimesOnly();
else await all();

async function all() {
  const started = performance.now();
  const server = await startReplyServer();
  const results = { date: new Date().toISOString(), machine: { ...machine(), node: process.version } };
  const signBuilt = existsSync(join(root, 'bench/out/sign/ttpay_wasm_bg.wasm'));
  try {
    results.runtimes = await runtimesFigures(server);
    results['sign-node'] = await figure('sign-node');
    // Built by `make bench` (scripts/build.sh --bench); without it, this one figure is left out.
    results['sign-sdk'] = signBuilt ? await figure('sign-sdk') : { skipped: 'bench/out/sign not built (make bench builds it)' };
    results.memory = await figure('memory', server.url);
  } finally {
    await server.close();
  }
  // The process cold start in Node 20 (empty, reference, peer, SDK): the runtime matrix's.
  results.cold = results.runtimes.node20?.cold;
  results.size = sizes();
  results.workerBundle = workerBundle();
  // Last, so that its processes and servers run alone.
  results.limiter = await limiterFigures();

  const r = results;
  results.ratios = {
    signSdkVsNode: signBuilt ? r['sign-sdk'].opsPerSecond / r['sign-node'].opsPerSecond : null,
    coldSdkVsRef: r.cold ? r.cold.sdk.medianMs / r.cold.reference.medianMs : null,
    coldSdkVsPeer: r.cold ? r.cold.sdk.medianMs / r.cold.peer.medianMs : null,
  };
  const rssGrowth = r.memory.rssAfter - r.memory.rssBefore;
  results.budgets = {
    ...r.runtimes.budgets,
    ...(signBuilt ? { 'signing ≥ 1.0 × node:crypto': r.ratios.signSdkVsNode >= 1.0 } : {}),
    '.wasm + glue ≤ 45 KB gzip': r.size.shippedGzip <= 45 * 1024,
    'RSS growth over 100k calls ≤ 5 MB': rssGrowth <= 5 * 1024 * 1024,
    'wasm memory flat over 100k calls': r.memory.wasmAfter === r.memory.wasmBefore,
  };
  results.seconds = Math.round((performance.now() - started) / 1000);
  writeFileSync(join(root, 'bench/results.json'), `${JSON.stringify(results, null, 2)}\n`);

  const f = (n, d = 0) => n.toLocaleString('en-US', { maximumFractionDigits: d, minimumFractionDigits: d });
  const signLine = signBuilt
    ? `| signing one request (Node 20) | ${f(r['sign-node'].opsPerSecond)} ops/s (node:crypto) | ${f(r['sign-sdk'].opsPerSecond)} ops/s | ${f(r.ratios.signSdkVsNode, 2)} |`
    : `| signing one request (Node 20) | ${f(r['sign-node'].opsPerSecond)} ops/s (node:crypto) | not built | — |`;
  const sizeLines = [
    `| artefact | raw | gzip | brotli |`,
    `|---|---|---|---|`,
    `| .wasm | ${f(r.size.wasm.raw)} B | ${f(r.size.wasm.gzip)} B | ${f(r.size.wasm.brotli)} B |`,
    `| JS glue + initialiser + error + workerd entry | ${f(r.size.glue.raw)} B | ${f(r.size.glue.gzip)} B | ${f(r.size.glue.brotli)} B |`,
    `| budgeted total (.wasm + glue + initialiser + error; goal 45 KB = 46,080 B) | — | ${f(r.size.shippedGzip)} B | — |`,
    `| Worker bundle (wrangler deploy --dry-run) | ${r.workerBundle.totalKiB ?? '?'} KiB | ${r.workerBundle.gzipKiB ?? '?'} KiB | — |`,
    `| memory over ${f(r.memory.calls)} calls | RSS ${f(r.memory.rssBefore / 1048576, 1)} → ${f(r.memory.rssAfter / 1048576, 1)} MB | wasm ${f(r.memory.wasmBefore)} → ${f(r.memory.wasmAfter)} B | JS heap ${f(r.memory.heapBefore / 1048576, 1)} → ${f(r.memory.heapAfter / 1048576, 1)} MB |`,
  ];
  console.log(runtimesTable(r.runtimes).join('\n'));
  console.log();
  console.log(['| figure | node:crypto | SDK | SDK ÷ node:crypto |', '|---|---|---|---|', signLine].join('\n'));
  console.log();
  console.log(sizeLines.join('\n'));
  console.log();
  console.log(limiterTable(r.limiter).join('\n'));
  console.log();
  for (const [k, ok] of Object.entries(results.budgets)) console.log(`${ok ? 'met   ' : 'MISSED'} ${k}`);
  console.log(`\n(make bench took ${results.seconds} s; the runtime matrix ${r.runtimes.seconds} s)`);
}
