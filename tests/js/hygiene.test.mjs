// Secret hygiene: across every kind of outcome, the secret appears in no error (message, stack,
// JSON, inspect), no client view, no hook payload and no console output.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { inspect } from 'node:util';
import { TTPayClient, closeOrder } from 'ttpay-wasm';
import { DEMO_APP, clientFor, mockFor, refusedPort, stallServer } from './helpers.mjs';

test('the secret never leaks through errors, clients, hooks or the console', async (t) => {
  const secret = DEMO_APP.appSecret;
  const seen = [];
  const record = (label) => (payload) => seen.push(`${label} ${inspect(payload, { depth: 10 })} ${JSON.stringify(payload)}`);
  const hooks = { onRequest: record('onRequest'), onResponse: record('onResponse'), onRetry: record('onRetry') };
  // Capture everything the package might print.
  const methods = ['log', 'info', 'warn', 'error', 'debug', 'trace'];
  const original = Object.fromEntries(methods.map((m) => [m, console[m]]));
  for (const m of methods) console[m] = (...args) => seen.push(`console.${m} ${args.map((a) => inspect(a)).join(' ')}`);
  const stdoutWrite = process.stdout.write;
  const stderrWrite = process.stderr.write;
  const printed = [];
  process.stdout.write = (chunk, ...rest) => (printed.push(String(chunk)), stdoutWrite.call(process.stdout, chunk, ...rest));
  process.stderr.write = (chunk, ...rest) => (printed.push(String(chunk)), stderrWrite.call(process.stderr, chunk, ...rest));
  t.after(() => {
    Object.assign(console, original);
    process.stdout.write = stdoutWrite;
    process.stderr.write = stderrWrite;
  });

  const mock = await mockFor(t);
  const client = clientFor(mock, { hooks, timeoutMs: 200, maxRetries: 1 });
  const outcomes = [];
  const settle = async (p) => outcomes.push(await p.then((r) => r, (e) => e));
  await settle(client.closeOrder({ transactionId: 'order-1001' })); // success
  await settle(client.closeOrder({ transactionId: 'order-2001' })); // api 20005
  await settle(client.closeOrder({ transactionId: '' })); // invalid_argument
  for (const mode of ['html-502', 'forged-signature', 'truncated-json', 'huge-body', 'invalid-utf8', 'code-104']) {
    mock.injectFault({ mode, transactionId: 'order-1002', times: 5 });
    await settle(client.closeOrder({ transactionId: 'order-1002' }));
  }
  const stall = await stallServer(t);
  await settle(clientFor({ url: stall.url }, { hooks, timeoutMs: 100, maxRetries: 0 }).closeOrder({ transactionId: 'x' }));
  const port = await refusedPort();
  await settle(closeOrder({ ...DEMO_APP, baseUrl: `http://127.0.0.1:${port}`, transactionId: 'x', maxRetries: 0, hooks }));
  const wrongSecret = 'w'.repeat(32);
  await settle(clientFor(mock, { appSecret: wrongSecret }).closeOrder({ transactionId: 'order-1003' }));
  for (const bad of [{ ...DEMO_APP, appSecret: secret + 'x' }, { ...DEMO_APP, appSecert: secret }, { ...DEMO_APP, mchId: secret + '\n' }]) {
    try {
      new TTPayClient(bad);
    } catch (e) {
      outcomes.push(e);
    }
  }
  assert.ok(outcomes.length >= 14);
  assert.ok(outcomes.some((o) => o instanceof Error) && outcomes.some((o) => !(o instanceof Error)));

  const views = [...seen, ...printed, inspect(client, { showHidden: true, depth: 10 }), JSON.stringify(client)];
  for (const o of outcomes) {
    views.push(inspect(o, { showHidden: true, depth: 10 }), JSON.stringify(o));
    if (o instanceof Error) views.push(o.message, o.stack);
  }
  assert.ok(seen.some((s) => s.startsWith('onRequest')), 'hooks ran');
  for (const view of views) {
    assert.ok(!view.includes(secret), `secret leaked: ${view.slice(0, 200)}`);
    assert.ok(!view.includes(wrongSecret), `secret leaked: ${view.slice(0, 200)}`);
  }
});
