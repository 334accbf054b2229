// The packed package, installed into a throw-away consumer project exactly as a user would, run
// in every runtime we support against the mock: Node 18/20/22 (import and require), Deno, Bun,
// workerd (a Worker bundled by wrangler, run by Miniflare) and a strict TypeScript consumer.
// The examples/ are what runs, so they cannot rot.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { packedConsumer, runCommand } from './helpers.mjs';
import { startMockServer, DEMO_APP } from 'ttpay-wasm/mock';

const root = fileURLToPath(new URL('../../', import.meta.url));
const bin = (name) => join(root, 'node_modules', '.bin', name);
const NODES = {
  18: join(root, 'node_modules/node18/bin/node'),
  20: process.execPath,
  22: join(root, 'node_modules/node22/bin/node'),
};
const RUNS = ['node18-esm', 'node18-cjs', 'node20-esm', 'node20-cjs', 'node22-esm', 'node22-cjs', 'deno', 'bun-esm', 'bun-cjs', 'worker'];

const run = (cmd, args, options = {}) => runCommand(cmd, args, { timeout: 120_000, ...options });

let consumer;
let mock;
const env = () => ({
  ...process.env,
  TTPAY_BASE_URL: mock.url,
  TTPAY_APP_ID: DEMO_APP.appId,
  TTPAY_APP_SECRET: DEMO_APP.appSecret,
  TTPAY_MCH_ID: DEMO_APP.mchId,
  NO_COLOR: '1',
});

before(async () => {
  ({ dir: consumer } = await packedConsumer('ttpay-consumer-'));
  cpSync(join(root, 'examples'), consumer, { recursive: true });
  mock = await startMockServer({
    orders: RUNS.map((r) => ({ transactionId: `order-${r}`, state: 'NOTPAY' })),
    lifetimeMs: 600_000,
  });
});

after(async () => {
  await mock?.close();
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

/** The examples print `{ closed, unknown }`: the typed result and the typed error. */
function assertExampleOutput(stdout, runName) {
  const { closed, unknown } = JSON.parse(stdout);
  assert.equal(closed.code, 0);
  assert.equal(closed.msg, 'success');
  assert.match(closed.requestId, /^[0-9a-f-]{36}$/);
  assert.equal(closed.httpStatus, 200);
  assert.equal(closed.verified, true);
  assert.deepEqual({ kind: unknown.kind, code: unknown.code }, { kind: 'api', code: 12002 });
  assert.equal(mock.order(`order-${runName}`).state, 'CLOSED');
}

describe('Node.js', () => {
  for (const [version, node] of Object.entries(NODES)) {
    for (const [flavour, file] of [['esm', 'node-esm.mjs'], ['cjs', 'node-cjs.cjs']]) {
      test(`Node ${version} ${flavour === 'esm' ? 'import' : 'require'}`, async () => {
        const name = `node${version}-${flavour}`;
        const out = await run(node, [file], { cwd: consumer, env: { ...env(), TTPAY_ORDER: `order-${name}` } });
        assertExampleOutput(out, name);
      });
    }
  }
  test("Node 18 can require('ttpay-wasm/mock') and close an order against it", async () => {
    const script = `const { startMockServer, DEMO_APP } = require('ttpay-wasm/mock');
      const { TTPayClient } = require('ttpay-wasm');
      (async () => {
        const mock = await startMockServer();
        const r = await new TTPayClient({ ...DEMO_APP, baseUrl: mock.url }).closeOrder({ transactionId: 'order-1001' });
        console.log(JSON.stringify({ code: r.code, state: mock.order('order-1001').state }));
        await mock.close();
      })();`;
    const out = await run(NODES[18], ['-e', script], { cwd: consumer });
    assert.deepEqual(JSON.parse(out), { code: 0, state: 'CLOSED' });
  });
  test('the engines field and Node 18 agree', async () => {
    const version = (await run(NODES[18], ['--version'])).trim();
    assert.match(version, /^v18\./);
    const pkg = JSON.parse(readFileSync(join(consumer, 'node_modules/ttpay-wasm/package.json'), 'utf8'));
    assert.equal(pkg.engines.node, '>=18');
  });
});

test('Deno', async () => {
  const out = await run(bin('deno'), ['run', '--quiet', '--allow-net=127.0.0.1', '--allow-env', 'deno.ts'], {
    cwd: consumer,
    env: { ...env(), TTPAY_ORDER: 'order-deno', DENO_NO_UPDATE_CHECK: '1', DENO_DIR: join(consumer, '.deno') },
  });
  assertExampleOutput(out, 'deno');
});

for (const [flavour, file] of [['esm', 'node-esm.mjs'], ['cjs', 'node-cjs.cjs']]) {
  test(`Bun ${flavour === 'esm' ? 'import' : 'require'}`, async () => {
    const out = await run(bin('bun'), [file], { cwd: consumer, env: { ...env(), TTPAY_ORDER: `order-bun-${flavour}` } });
    assertExampleOutput(out, `bun-${flavour}`);
  });
}

test('Cloudflare Worker (workerd via Miniflare), bundled by wrangler', async () => {
  const dir = join(consumer, 'worker');
  await run(bin('wrangler'), ['deploy', '--dry-run', '--outdir', 'out'], {
    cwd: dir,
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', WRANGLER_LOG: 'error', NO_COLOR: '1' },
  });
  assert.ok(readdirSync(join(dir, 'out')).some((f) => f.endsWith('.wasm')), 'the .wasm travels as its own module');
  const { Miniflare } = await import('miniflare');
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(dir, 'out', 'index.js'),
    modulesRoot: join(dir, 'out'),
    modulesRules: [{ type: 'CompiledWasm', include: ['**/*.wasm'] }],
    compatibilityDate: '2026-04-01',
    bindings: { TTPAY_BASE_URL: mock.url, TTPAY_APP_ID: DEMO_APP.appId, TTPAY_APP_SECRET: DEMO_APP.appSecret, TTPAY_MCH_ID: DEMO_APP.mchId, WORKER_TOKEN: 'worker-test-token' },
  });
  try {
    const auth = { headers: { authorization: 'Bearer worker-test-token' } };
    for (const headers of [{}, { authorization: 'Bearer wrong-token-of-any-length' }, { authorization: 'Bearer worker-test-toke' }]) {
      const denied = await mf.dispatchFetch('http://worker.test/?transactionId=order-worker', { headers });
      assert.equal(denied.status, 401, JSON.stringify(headers));
    }
    assert.equal(mock.order('order-worker').state, 'NOTPAY', 'nothing closed without the token');
    const ok = await mf.dispatchFetch('http://worker.test/?transactionId=order-worker', auth);
    const okBody = await ok.json();
    assert.equal(ok.status, 200, JSON.stringify(okBody));
    assert.equal(okBody.result.code, 0);
    assert.equal(okBody.result.verified, true);
    const bad = await mf.dispatchFetch('http://worker.test/?transactionId=no-such-order', auth);
    const badBody = await bad.json();
    assert.equal(bad.status, 422);
    assert.deepEqual({ name: badBody.error.name, kind: badBody.error.kind, code: badBody.error.code }, { name: 'TTPayError', kind: 'api', code: 12002 });
    // Refused before sending: the field is named, the status says it was the caller's input.
    const refused = await mf.dispatchFetch('http://worker.test/?transactionId=%01', auth);
    const refusedBody = await refused.json();
    assert.equal(refused.status, 400);
    assert.equal(refusedBody.error.kind, 'invalid_argument');
    assert.match(refusedBody.error.message, /^transactionId: /);
    assert.doesNotMatch(JSON.stringify(refusedBody) + JSON.stringify(badBody), new RegExp(DEMO_APP.appSecret));
    assert.equal(mock.order('order-worker').state, 'CLOSED');
  } finally {
    await mf.dispose();
  }
});

test('a strict TypeScript consumer compiles, and misuse does not', async () => {
  cpSync(join(root, 'tests/typescript'), join(consumer, 'ts'), { recursive: true });
  await run(bin('tsc'), ['--noEmit', '-p', join(consumer, 'ts', 'tsconfig.json')], { cwd: consumer });
  // And in a project with neither the DOM lib nor @types/node.
  await run(bin('tsc'), ['--noEmit', '-p', join(consumer, 'ts', 'tsconfig.nodom.json')], { cwd: consumer });
});

test('publint and arethetypeswrong find nothing wrong with the packed package', async () => {
  const lint = await run(bin('publint'), ['--strict', join(root, 'pkg')]);
  assert.match(lint, /All good/);
  // Every rule, for every resolution mode, for every entry point with a CommonJS build.
  const attw = (...args) => run(bin('attw'), ['--pack', join(root, 'pkg'), '--format', 'table-flipped', ...args]);
  const types = await attw('--exclude-entrypoints', 'durable-object');
  assert.doesNotMatch(types, /💀|❌|🐛|🥴|❗️|⚠️/u);
  // The Durable Object runs only in workerd, whose Workers are ES modules: it is ESM-only by
  // design (it imports cloudflare:workers), which is the one rule waived, for it alone.
  const durable = await attw('--entrypoints', 'durable-object', '--ignore-rules', 'cjs-resolves-to-esm');
  assert.doesNotMatch(durable, /💀|❌|🐛|🥴|❗️|⚠️/u);
});
