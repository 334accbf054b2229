// Runs the bundled handler (dist/handler.mjs, `npm run build`) as Lambda would, without AWS: copied
// to a fresh directory with no node_modules above it, invoked with a fake context whose
// getRemainingTimeInMillis() counts down from a 3 s limit, against the package's mock. Prints one
// JSON line per case and exits non-zero when an expectation fails.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { startMockServer, DEMO_APP } from 'ttpay-wasm/mock';

const LIMIT_MS = 3000; // Lambda's default timeout

// The built handler, alone in a fresh directory: it must need nothing else.
const fresh = mkdtempSync(join(tmpdir(), 'ttpay-lambda-'));
for (let dir = fresh; dir !== dirname(dir); dir = dirname(dir)) {
  assert.ok(!existsSync(join(dirname(dir), 'node_modules')), `a node_modules above ${fresh} could supply the package`);
}
copyFileSync(new URL('./dist/handler.mjs', import.meta.url), join(fresh, 'handler.mjs'));
const source = readFileSync(join(fresh, 'handler.mjs'), 'utf8');
const imports = [...source.matchAll(/^import\s[^'"]*['"]([^'"]+)['"]/gm)].map((m) => m[1]);
assert.ok(imports.every((s) => s.startsWith('node:')), `the bundle imports only node: built-ins, not ${imports}`);

// Imported before the configuration is there: the client is made on first use, so loading the
// module without the secrets does not throw. The import compiles the inline WebAssembly.
const importStarted = performance.now();
const { handler } = await import(pathToFileURL(join(fresh, 'handler.mjs')).href);
console.log(JSON.stringify({ case: 'import (cold start)', ms: Math.round(performance.now() - importStarted) }));

const mock = await startMockServer(); // 127.0.0.1, a free port
// Lambda's configuration, read by the handler on its first invocation.
Object.assign(process.env, {
  TTPAY_APP_ID: DEMO_APP.appId,
  TTPAY_APP_SECRET: DEMO_APP.appSecret,
  TTPAY_MCH_ID: DEMO_APP.mchId,
  TTPAY_BASE_URL: mock.url,
});

/** Invokes the handler as Lambda would; resolves to its answer, body parsed, and the time taken. */
async function invoke(event) {
  const started = performance.now();
  const context = {
    functionName: 'ttpay-close',
    awsRequestId: randomUUID(),
    getRemainingTimeInMillis: () => Math.max(0, Math.round(LIMIT_MS - (performance.now() - started))),
  };
  const answer = await handler(event, context);
  const ms = Math.round(performance.now() - started);
  assert.ok(ms < LIMIT_MS, `answered after ${ms} ms: Lambda would have killed it at ${LIMIT_MS}`);
  return { statusCode: answer.statusCode, body: JSON.parse(answer.body), ms };
}

const report = (name, r, extra = {}) =>
  console.log(JSON.stringify({ case: name, statusCode: r.statusCode, ms: r.ms, ...extra }));

try {
  // (a) A normal close.
  const closed = await invoke({ transactionId: 'order-1001' });
  assert.equal(closed.statusCode, 200, JSON.stringify(closed.body));
  assert.equal(closed.body.result.code, 0);
  assert.equal(closed.body.result.verified, true);
  assert.equal(mock.order('order-1001').state, 'CLOSED');
  report('close', closed, { code: closed.body.result.code, attempts: closed.body.result.attempts });

  // An unknown order: the typed api error, as 422.
  const unknown = await invoke({ transactionId: 'no-such-order' });
  assert.equal(unknown.statusCode, 422);
  assert.deepEqual([unknown.body.error.kind, unknown.body.error.code], ['api', 12002]);
  report('unknown order', unknown, { kind: unknown.body.error.kind, code: unknown.body.error.code });

  // No transactionId: refused before sending, 400.
  const missing = await invoke({});
  assert.equal(missing.statusCode, 400);
  assert.equal(missing.body.error.kind, 'invalid_argument');
  report('no transactionId', missing, { kind: missing.body.error.kind });

  // (b) TTPay hangs (every attempt): the call ends at the deadline (3000 - 500 ms) as a timeout,
  // and the handler answers 504 before the platform's limit.
  mock.injectFault({ mode: 'stall-headers', times: -1 });
  const hung = await invoke({ transactionId: 'order-1002' });
  assert.equal(hung.statusCode, 504, JSON.stringify(hung.body));
  assert.equal(hung.body.error.kind, 'timeout');
  assert.ok(hung.ms >= 2400 && hung.ms < 2900, `the timeout came after ${hung.ms} ms, not ~2500`);
  assert.equal(mock.order('order-1002').state, 'NOTPAY');
  report('upstream hangs', hung, { kind: hung.body.error.kind, attempts: hung.body.error.attempts, message: hung.body.error.message });
} finally {
  await mock.close();
  rmSync(fresh, { recursive: true, force: true });
}
