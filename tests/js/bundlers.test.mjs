// The packed package, installed into a throw-away consumer project, bundled by every bundler the
// README's "Bundling" section names, with the settings a new user would start from; each output
// is copied to a fresh directory (away from node_modules) and run there against the mock: Node
// bundles with node or bun, Worker bundles in workerd (Miniflare), browser bundles in headless
// Chromium. The apps are examples/bundlers/; each closes its own seeded order and shows the typed
// error for an unknown one.
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request as httpRequest, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, sep } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { packedConsumer, runCommand } from './helpers.mjs';
import { startMockServer, DEMO_APP } from 'ttpay-wasm/mock';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
// Every test is bounded as a whole (each command also has its own execFile timeout).
const BOUND = { timeout: 90_000 };
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
// The bundlers the consumer's config files import, linked from this repository's dev dependencies.
const TOOLS = ['vite', 'webpack', 'webpack-cli', 'rollup', '@rollup', '@cloudflare', 'esbuild', 'wrangler', 'miniflare'];
const BUILDS = [
  'esbuild-esm', 'esbuild-cjs-require', 'esbuild-cjs-import', 'webpack-node', 'vite-ssr', 'rollup', 'bun-build',
  'wrangler', 'vite-cloudflare', 'vite-build', 'vite-dev', 'webpack-web', 'esbuild-browser',
];

const run = (cmd, args, options = {}) => runCommand(cmd, args, { timeout: 60_000, ...options });

let consumer;
let mock;
const cleanups = [];
const temps = [];

function tempDir(prefix) {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

/** The environment of a build step: no colours, no telemetry, nothing from NODE_PATH. */
function quietEnv(extra = {}) {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', WRANGLER_SEND_METRICS: 'false', ...extra };
  delete env.NODE_PATH;
  return env;
}

before(async () => {
  ({ dir: consumer } = await packedConsumer('ttpay-bundlers-', TOOLS));
  temps.push(consumer);
  // Everything package.json's `files` names was packed (a symbolic link would not have been).
  for (const file of JSON.parse(readFileSync(join(root, 'pkg/package.json'), 'utf8')).files) {
    assert.ok(existsSync(join(consumer, 'node_modules/ttpay-wasm', file)), `the tarball lacks ${file}`);
  }
  cpSync(join(root, 'examples/bundlers'), consumer, { recursive: true });
  mock = await startMockServer({
    orders: BUILDS.map((b) => ({ transactionId: `order-${b}`, state: 'NOTPAY' })),
    lifetimeMs: 600_000,
  });
}, { timeout: 150_000 });

after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
  await mock?.close();
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
}, { timeout: 60_000 });

/**
 * Copies a build's output directory to a fresh directory outside the consumer project (no
 * node_modules above it), checking first that no output file names the consumer's path.
 */
function moveOut(outDir) {
  const fresh = tempDir('ttpay-run-');
  for (let dir = fresh; dir !== dirname(dir); dir = dirname(dir)) {
    assert.ok(!existsSync(join(dirname(dir), 'node_modules')), `a node_modules above ${fresh} could supply the package`);
  }
  cpSync(outDir, fresh, { recursive: true });
  const scripts = readdirSync(fresh, { recursive: true }).filter((f) => /\.[cm]?js$/.test(f));
  assert.ok(scripts.length > 0, `no script in ${outDir}`);
  for (const f of scripts) {
    assert.ok(!readFileSync(join(fresh, f), 'utf8').includes(consumer), `${f} refers to the directory it was built in`);
  }
  return fresh;
}

/** The apps answer `{ closed, unknown }`: the typed result and the typed error. */
function assertOutput(output, build) {
  const { closed, unknown } = typeof output === 'string' ? JSON.parse(output) : output;
  assert.equal(closed.code, 0);
  assert.equal(closed.msg, 'success');
  assert.match(closed.requestId, /^[0-9a-f-]{36}$/);
  assert.equal(closed.httpStatus, 200);
  assert.equal(closed.verified, true);
  assert.deepEqual({ kind: unknown.kind, code: unknown.code }, { kind: 'api', code: 12002 });
  assert.equal(mock.order(`order-${build}`).state, 'CLOSED');
}

/** Runs a Node bundle from its fresh directory, with the app's configuration in the environment. */
async function runBundle(build, dir, file, runtime = process.execPath, runtimeArgs = []) {
  const out = await run(runtime, [...runtimeArgs, file], {
    cwd: dir,
    timeout: 30_000,
    env: quietEnv({
      TTPAY_BASE_URL: mock.url,
      TTPAY_APP_ID: DEMO_APP.appId,
      TTPAY_APP_SECRET: DEMO_APP.appSecret,
      TTPAY_MCH_ID: DEMO_APP.mchId,
      TTPAY_ORDER: `order-${build}`,
    }),
  });
  assertOutput(out, build);
}

describe('Node.js bundles', () => {
  const nodeDir = () => join(consumer, 'node');
  const build = (cmd, args) => run(cmd, args, { cwd: nodeDir(), env: quietEnv() });

  test('esbuild --platform=node, ESM', BOUND, async () => {
    await build(bin('esbuild'), ['app.mjs', '--bundle', '--platform=node', '--format=esm', '--outfile=dist-esbuild-esm/app.mjs']);
    await runBundle('esbuild-esm', moveOut(join(nodeDir(), 'dist-esbuild-esm')), 'app.mjs');
  });

  test('esbuild --platform=node --format=cjs, app written with require', BOUND, async () => {
    await build(bin('esbuild'), ['app.cjs', '--bundle', '--platform=node', '--format=cjs', '--outfile=dist-esbuild-cjs-require/app.cjs']);
    await runBundle('esbuild-cjs-require', moveOut(join(nodeDir(), 'dist-esbuild-cjs-require')), 'app.cjs');
  });

  test('esbuild --platform=node --format=cjs, app written with import', BOUND, async () => {
    await build(bin('esbuild'), ['app.mjs', '--bundle', '--platform=node', '--format=cjs', '--outfile=dist-esbuild-cjs-import/app.cjs']);
    await runBundle('esbuild-cjs-import', moveOut(join(nodeDir(), 'dist-esbuild-cjs-import')), 'app.cjs');
  });

  test("webpack 5, target: 'node'", BOUND, async () => {
    await build(bin('webpack'), ['--config', 'webpack.config.cjs']);
    await runBundle('webpack-node', moveOut(join(nodeDir(), 'dist-webpack')), 'main.js');
  });

  test('Vite 6 SSR build (ssr.noExternal: true)', BOUND, async () => {
    await build(bin('vite'), ['build', '--ssr', 'app.mjs', '--logLevel', 'warn']);
    const dir = moveOut(join(nodeDir(), 'dist'));
    const entry = readdirSync(dir).find((f) => /^app\.m?js$/.test(f));
    assert.ok(entry, `no app.js or app.mjs in Vite's output: ${readdirSync(dir)}`);
    await runBundle('vite-ssr', dir, entry);
  });

  test('Rollup with node-resolve (node condition) and commonjs', BOUND, async () => {
    await build(bin('rollup'), ['-c', 'rollup.config.mjs', '--silent']);
    await runBundle('rollup', moveOut(join(nodeDir(), 'dist-rollup')), 'app.mjs');
  });

  test('bun build --target=bun, run with bun', BOUND, async () => {
    await build(bin('bun'), ['build', '--target=bun', 'app.mjs', '--outfile', 'dist-bun/app.js']);
    // --no-install: a bundle that still imported ttpay-wasm must fail, not fetch it.
    await runBundle('bun-build', moveOut(join(nodeDir(), 'dist-bun')), 'app.js', bin('bun'), ['--no-install']);
  });
});

/** Runs a built Worker in workerd (Miniflare) from its fresh directory and reads its answer. */
async function runWorker(build, dir, script) {
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(dir, script),
    modulesRoot: dir,
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-04-01',
    bindings: { TTPAY_BASE_URL: mock.url, TTPAY_APP_ID: DEMO_APP.appId, TTPAY_APP_SECRET: DEMO_APP.appSecret, TTPAY_MCH_ID: DEMO_APP.mchId },
  });
  try {
    const response = await mf.dispatchFetch(`http://worker.test/?order=order-${build}`);
    const body = await response.json();
    assert.equal(response.status, 200, JSON.stringify(body));
    assertOutput(body, build);
  } finally {
    await mf.dispose();
  }
}

describe('Cloudflare Worker bundles', () => {
  const workerDir = () => join(consumer, 'worker');

  test('wrangler deploy --dry-run --outdir', BOUND, async () => {
    await run(bin('wrangler'), ['deploy', '--dry-run', '--outdir', 'out'], {
      cwd: workerDir(),
      env: quietEnv({ WRANGLER_LOG: 'error' }),
    });
    const dir = moveOut(join(workerDir(), 'out'));
    assert.ok(readdirSync(dir).some((f) => f.endsWith('.wasm')), 'the .wasm travels as its own module');
    await runWorker('wrangler', dir, 'index.js');
  });

  test('@cloudflare/vite-plugin, vite build', BOUND, async () => {
    await run(bin('vite'), ['build', '--logLevel', 'warn'], { cwd: workerDir(), env: quietEnv() });
    const [name] = readdirSync(join(workerDir(), 'dist'));
    const dir = moveOut(join(workerDir(), 'dist', name));
    const { main } = JSON.parse(readFileSync(join(dir, 'wrangler.json'), 'utf8'));
    assert.ok(readdirSync(dir, { recursive: true }).some((f) => f.endsWith('.wasm')), 'the .wasm travels as its own module');
    await runWorker('vite-cloudflare', dir, main);
  });
});

const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript', '.css': 'text/css', '.wasm': 'application/wasm', '.json': 'application/json' };

/**
 * A static server for `dir` on 127.0.0.1 that forwards /v1/* to the mock, so the page calls its
 * own origin (the mock sends no CORS headers). Closed in after().
 */
async function serve(dir) {
  const server = createServer((req, res) => {
    if (req.url.startsWith('/v1/')) {
      const upstream = httpRequest(`${mock.url}${req.url}`, { method: req.method, headers: req.headers }, (reply) => {
        res.writeHead(reply.statusCode, reply.headers);
        reply.pipe(res);
      });
      upstream.on('error', (err) => {
        res.writeHead(502);
        res.end(String(err));
      });
      req.pipe(upstream);
      return;
    }
    let path;
    try {
      path = decodeURIComponent(new URL(req.url, 'http://static').pathname);
    } catch {
      path = '/';
    }
    if (path.endsWith('/')) path += 'index.html';
    const file = normalize(join(dir, path));
    if (!file.startsWith(dir + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404);
      res.end();
      return;
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  cleanups.push(() => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  });
  return `http://127.0.0.1:${server.address().port}`;
}

let browser;
async function launchOnce() {
  if (browser) return browser;
  const { chromium } = await import('playwright-core');
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 30_000,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  cleanups.push(() => browser.close());
  return browser;
}

/** Loads the page in a fresh browser context; the page writes its JSON into #result. */
async function runPage(build, origin) {
  const context = await (await launchOnce()).newContext();
  try {
    const page = await context.newPage();
    const failed = new Promise((_, reject) => page.on('pageerror', (err) => reject(new Error(`page error: ${err.stack ?? err}`))));
    failed.catch(() => {});
    await page.goto(`${origin}/?order=order-${build}`, { timeout: 20_000 });
    await Promise.race([page.waitForSelector('body[data-done]', { timeout: 20_000 }), failed]);
    const text = await page.textContent('#result');
    assert.equal(await page.getAttribute('body', 'data-done'), 'ok', text);
    assertOutput(text, build);
  } finally {
    await context.close();
  }
}

describe('browser bundles (headless Chromium)', () => {
  const webDir = () => join(consumer, 'web');

  test('Vite 6 production build, default config', BOUND, async () => {
    await run(bin('vite'), ['build', '--logLevel', 'warn'], { cwd: webDir(), env: quietEnv() });
    await runPage('vite-build', await serve(moveOut(join(webDir(), 'dist'))));
  });

  test('Vite 6 dev server (createServer; only server.proxy set, forwarding /v1 to the mock)', BOUND, async () => {
    const { createServer: createViteServer } = await import('vite');
    const vite = await createViteServer({
      root: webDir(),
      configFile: false,
      logLevel: 'warn',
      server: { host: '127.0.0.1', port: 0, proxy: { '/v1': mock.url } },
    });
    cleanups.push(() => vite.close());
    await vite.listen();
    await runPage('vite-dev', `http://127.0.0.1:${vite.httpServer.address().port}`);
  });

  test("webpack 5, target: 'web'", BOUND, async () => {
    await run(bin('webpack'), ['--config', 'webpack.config.cjs'], { cwd: webDir(), env: quietEnv() });
    const dir = moveOut(join(webDir(), 'dist-webpack'));
    cpSync(join(webDir(), 'index.html'), join(dir, 'index.html'));
    await runPage('webpack-web', await serve(dir));
  });

  test('esbuild --platform=browser --format=esm', BOUND, async () => {
    await run(bin('esbuild'), ['main.js', '--bundle', '--platform=browser', '--format=esm', '--outfile=dist-esbuild/main.js'], { cwd: webDir(), env: quietEnv() });
    const dir = moveOut(join(webDir(), 'dist-esbuild'));
    cpSync(join(webDir(), 'index.html'), join(dir, 'index.html'));
    await runPage('esbuild-browser', await serve(dir));
  });
});
