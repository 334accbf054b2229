// The README's framework recipes, run as a user would run them: examples/frameworks/<recipe>/
// copied into a throw-away project that installed the packed tarball, with the framework itself
// linked from this repository's dev dependencies (the versions package.json pins). Each recipe's
// own test or script does the asserting against the package's mock; this file checks that it ran,
// passed, and ended by itself.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { startMockServer, DEMO_APP } from 'ttpay-wasm/mock';
import { assertNoSecret, packedConsumer, refusedPort, runCommand, runCommandOutput } from './helpers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RECIPES = join(root, 'examples/frameworks');
const BOUND = { timeout: 180_000 };
const TOOLS = [
  'jest', 'jest-environment-jsdom', 'vitest', 'esbuild', 'typescript', 'next', 'react', 'react-dom', '@types',
  'express', 'hono', 'wrangler', 'miniflare',
];

let consumer;

/** The environment a recipe runs in: no colours, nothing inherited that changes module loading. */
function cleanEnv(extra = {}) {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true', NEXT_TELEMETRY_DISABLED: '1', ...extra };
  for (const name of ['NODE_OPTIONS', 'NODE_PATH', 'NODE_TEST_CONTEXT']) delete env[name];
  for (const name of Object.keys(env)) if (name.startsWith('TTPAY_') && !(name in extra)) delete env[name];
  return env;
}

/** Copies a recipe into the consumer project; its directory there. */
function recipe(name) {
  const dir = join(consumer, name);
  cpSync(join(RECIPES, name), dir, { recursive: true });
  return dir;
}

/** Runs a script with this Node in `cwd`; stdout. */
function node(cwd, file, args) {
  return runCommand(process.execPath, [file, ...args], { cwd, env: cleanEnv(), timeout: 150_000 });
}

/** Runs a command that must fail; its whole output. */
async function failing(cmd, args, options) {
  try {
    await runCommand(cmd, args, options);
  } catch (err) {
    return err.message;
  }
  assert.fail(`${args.join(' ')} passed, and was expected to fail`);
}

before(async () => {
  ({ dir: consumer } = await packedConsumer('ttpay-frameworks-', TOOLS));
}, { timeout: 120_000 });

after(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

describe('Jest in a jsdom project', () => {
  const jest = join(root, 'node_modules/jest/bin/jest.js');

  test('a test file with `@jest-environment node` closes orders against the mock and Jest exits by itself', BOUND, async () => {
    const dir = recipe('jest');
    // Jest reports on stderr.
    const out = await runCommandOutput(process.execPath, [jest, '--ci', '--detectOpenHandles'], { cwd: dir, env: cleanEnv(), timeout: 150_000 });
    assert.match(out, /Tests:\s+7 passed, 7 total/);
    assert.doesNotMatch(out, /did not exit|open handle/i);
  });

  test('without the docblock, jsdom loads the browser entry and the suite fails to load (what the README warns of)', BOUND, async () => {
    const dir = join(consumer, 'jest');
    const source = readFileSync(join(dir, 'close.test.js'), 'utf8');
    assert.ok(source.startsWith('/** @jest-environment node */\n'));
    writeFileSync(join(dir, 'jsdom.test.js'), source.replace('/** @jest-environment node */\n', ''));
    try {
      const out = await failing(process.execPath, [jest, '--ci', 'jsdom.test.js'], { cwd: dir, env: cleanEnv(), timeout: 150_000 });
      assert.match(out, /Cannot use import statement outside a module/);
      assert.match(out, /ttpay-wasm[\\/]browser\.js/);
    } finally {
      rmSync(join(dir, 'jsdom.test.js'));
    }
  });
});

describe('Vitest', () => {
  test('a test file per mock: closes, resets and seeds orders, injects faults', BOUND, async () => {
    const dir = recipe('vitest');
    const out = await node(dir, join(root, 'node_modules/vitest/vitest.mjs'), ['run']);
    assert.match(out, /Tests\s+6 passed \(6\)/);
  });

  test('the test file type-checks under --strict', BOUND, async () => {
    await runCommand(join(root, 'node_modules/.bin/tsc'), ['-p', '.'], { cwd: join(consumer, 'vitest'), env: cleanEnv() });
  });
});

describe('AWS Lambda', () => {
  test('the esbuild bundle answers within a 3 s platform limit, a hung TTPay as a 504 timeout', BOUND, async () => {
    const dir = recipe('lambda');
    const build = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts.build.split(' ');
    assert.equal(build[0], 'esbuild');
    await runCommand(join(root, 'node_modules/.bin/esbuild'), build.slice(1), { cwd: dir, env: cleanEnv() });
    // invoke.mjs asserts each answer (and that none comes after the 3 s limit); one JSON line each.
    const out = await node(dir, 'invoke.mjs', []);
    const cases = Object.fromEntries(out.trim().split('\n').map((l) => JSON.parse(l)).map((c) => [c.case, c]));
    assert.equal(cases.close.statusCode, 200);
    assert.equal(cases['unknown order'].statusCode, 422);
    assert.equal(cases['no transactionId'].statusCode, 400);
    const hung = cases['upstream hangs'];
    assert.equal(hung.statusCode, 504);
    assert.equal(hung.kind, 'timeout');
    assert.ok(hung.ms >= 2400 && hung.ms < 3000, `${hung.ms} ms`);
  });
});

/** Starts `node <file>` in `dir`, which prints `{"listening": port}`; stopped when the test ends. */
async function serveNode(t, dir, file, env) {
  const server = spawn(process.execPath, [file], { cwd: dir, env: cleanEnv({ PORT: '0', ...env }), stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const exited = new Promise((resolve) => server.on('exit', resolve));
  t.after(async () => {
    server.kill();
    await exited;
  });
  const port = await new Promise((resolve, reject) => {
    server.stdout.on('data', (d) => {
      log += d;
      const m = /\{"listening":(\d+)\}/.exec(log);
      if (m) resolve(Number(m[1]));
    });
    server.stderr.on('data', (d) => (log += d));
    exited.then((code) => reject(new Error(`${file} exited with ${code}:\n${log}`)));
  });
  return { url: `http://127.0.0.1:${port}`, log: () => log };
}

/** The answers the Express and Hono recipes give: the result, or the typed error by status. */
function assertClosed({ status, json }, what) {
  assert.equal(status, 200, `${what}: ${JSON.stringify(json)}`);
  assert.equal(json.code, 0);
  assert.equal(json.verified, true);
  assert.match(json.requestId, /^[0-9a-f-]{36}$/);
}

const credentials = (mock) => ({ TTPAY_APP_ID: DEMO_APP.appId, TTPAY_APP_SECRET: DEMO_APP.appSecret, TTPAY_MCH_ID: DEMO_APP.mchId, TTPAY_BASE_URL: mock.url });

describe('Express 5', () => {
  test('POST /orders/:id/close answers the result, or the typed error as JSON with its status', BOUND, async (t) => {
    const dir = recipe('express');
    const mock = await startMockServer({ orders: [{ transactionId: 'order-express', state: 'NOTPAY' }] });
    t.after(() => mock.close());
    const server = await serveNode(t, dir, 'server.mjs', credentials(mock));
    const post = async (id) => {
      const res = await fetch(`${server.url}/orders/${id}/close`, { method: 'POST' });
      const text = await res.text();
      assertNoSecret(text);
      return { status: res.status, json: JSON.parse(text) };
    };
    assertClosed(await post('order-express'), 'express');
    assert.equal(mock.order('order-express').state, 'CLOSED');
    const unknown = await post('order-express-unknown');
    assert.equal(unknown.status, 422);
    assert.deepEqual([unknown.json.name, unknown.json.kind, unknown.json.code], ['TTPayError', 'api', 12002]);
    assertNoSecret(server.log());
  });
});

describe('Hono on Cloudflare Workers', () => {
  test('bundled by wrangler, run in workerd: a bearer token, then the result or the typed error', BOUND, async (t) => {
    const dir = recipe('hono');
    await runCommand(join(root, 'node_modules/.bin/wrangler'), ['deploy', '--dry-run', '--outdir', 'out'], {
      cwd: dir,
      env: cleanEnv({ WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error' }),
    });
    const mock = await startMockServer({ orders: [{ transactionId: 'order-hono', state: 'NOTPAY' }] });
    t.after(() => mock.close());
    const { Miniflare } = await import('miniflare');
    const mf = new Miniflare({
      modules: true,
      scriptPath: join(dir, 'out/index.js'),
      modulesRoot: join(dir, 'out'),
      modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
      compatibilityDate: '2026-04-01',
      bindings: { ...credentials(mock), WORKER_TOKEN: 'hono-token' },
    });
    t.after(() => mf.dispose());
    const post = async (id, token = 'hono-token') => {
      const res = await mf.dispatchFetch(`http://worker.test/orders/${id}/close`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
      const text = await res.text();
      assertNoSecret(text);
      return { status: res.status, json: res.status === 401 ? null : JSON.parse(text) };
    };
    assert.equal((await post('order-hono', 'wrong')).status, 401);
    assert.equal(mock.stats().apiRequests, 0, 'nothing sent without the token');
    assertClosed(await post('order-hono'), 'hono');
    assert.equal(mock.order('order-hono').state, 'CLOSED');
    const unknown = await post('order-hono-unknown');
    assert.equal(unknown.status, 422);
    assert.deepEqual([unknown.json.kind, unknown.json.code], ['api', 12002]);
  });
});

describe('Next.js 15, App Router: a route handler in the Node.js and the edge runtime', () => {
  const next = join(root, 'node_modules/next/dist/bin/next');
  let dir;

  before(() => {
    dir = recipe('nextjs');
    // The repository's TypeScript is 7 (no compiler API yet); Next 15 type-checks with the
    // TypeScript 5 it finds first, in the recipe's own node_modules, as a user's project has.
    mkdirSync(join(dir, 'node_modules'));
    symlinkSync(join(root, 'node_modules/typescript-5'), join(dir, 'node_modules/typescript'));
  });

  test('next build type-checks and succeeds with no TTPAY_* variable set (the client is made on first use)', { timeout: 300_000 }, async () => {
    const out = await runCommandOutput(process.execPath, [next, 'build'], { cwd: dir, env: cleanEnv(), timeout: 280_000 });
    assert.match(out, /Linting and checking validity of types/);
    assert.doesNotMatch(out, /Skipping validation of types/);
    assert.match(out, /ƒ \/api\/close\b/);
    assert.match(out, /ƒ \/api\/close-edge\b/);
    // The edge route is an edge function; the Node.js route is not.
    const { functions } = JSON.parse(readFileSync(join(dir, '.next/server/middleware-manifest.json'), 'utf8'));
    assert.deepEqual(Object.keys(functions), ['/api/close-edge/route']);
    assert.ok(existsSync(join(dir, '.next/server/app/api/close/route.js')));
  });

  test('next start: both routes close an order; an unknown one is the typed api error, no id a 400', { timeout: 120_000 }, async (t) => {
    assert.ok(existsSync(join(dir, '.next/BUILD_ID')), 'the build test ran first');
    const mock = await startMockServer({
      orders: [{ transactionId: 'order-next-nodejs', state: 'NOTPAY' }, { transactionId: 'order-next-edge', state: 'NOTPAY' }],
    });
    t.after(() => mock.close());
    const port = await refusedPort();
    const server = spawn(process.execPath, [next, 'start', '-H', '127.0.0.1', '-p', String(port)], {
      cwd: dir,
      env: cleanEnv({ TTPAY_APP_ID: DEMO_APP.appId, TTPAY_APP_SECRET: DEMO_APP.appSecret, TTPAY_MCH_ID: DEMO_APP.mchId, TTPAY_BASE_URL: mock.url }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let log = '';
    server.stdout.on('data', (d) => (log += d));
    server.stderr.on('data', (d) => (log += d));
    const exited = new Promise((resolve) => server.on('exit', resolve));
    t.after(async () => {
      server.kill();
      await exited;
    });
    // Up once it answers anything (405 for a GET on a POST route).
    const deadline = Date.now() + 60_000;
    while (!(await fetch(`http://127.0.0.1:${port}/api/close`).then(() => true, () => false))) {
      assert.ok(Date.now() < deadline && server.exitCode === null, `next start did not come up:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const post = async (route, body) => {
      const res = await fetch(`http://127.0.0.1:${port}/api/${route}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await res.text();
      assertNoSecret(text);
      return { status: res.status, runtime: res.headers.get('x-runtime'), json: JSON.parse(text) };
    };
    for (const [route, runtime] of [['close', 'nodejs'], ['close-edge', 'edge']]) {
      const transactionId = `order-next-${runtime}`;
      const closed = await post(route, { transactionId });
      assert.equal(closed.status, 200, `${route}: ${JSON.stringify(closed.json)}`);
      assert.equal(closed.runtime, runtime);
      assert.deepEqual({ ...closed.json, requestId: undefined }, { code: 0, msg: 'success', requestId: undefined, httpStatus: 200, attempts: 1, verified: true });
      assert.match(closed.json.requestId, /^[0-9a-f-]{36}$/);
      assert.equal(mock.order(transactionId).state, 'CLOSED');

      const unknown = await post(route, { transactionId: 'order-next-unknown' });
      assert.equal(unknown.status, 422);
      assert.deepEqual([unknown.json.kind, unknown.json.code], ['api', 12002]);

      const missing = await post(route, {});
      assert.equal(missing.status, 400);
      assert.equal(missing.json.kind, 'invalid_argument');
      assert.match(missing.json.message, /^transactionId: /);
    }
    assertNoSecret(log);
  });
});
