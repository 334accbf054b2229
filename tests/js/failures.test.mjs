// What the server or the network does wrong, through the built package: each failure is one
// typed error of the right kind, never a hang, never a trap that leaves the instance unusable.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TTPayClient } from 'ttpay-wasm';
import {
  DEMO_APP,
  assertTTPayError,
  cannedFetch,
  clientFor,
  mockFor,
  refusedPort,
  rejection,
  stallServer,
} from './helpers.mjs';

// Injected-fetch tests: no limiter, no retries unless a test asks for them.
const BASE = { ...DEMO_APP, baseUrl: 'https://api.ttpay.io', rateLimitPerSecond: null, maxRetries: 0 };

test('HTTP 500 is an http error, retryable, with the status', async () => {
  const fetch = cannedFetch(() => new Response('<html>Internal Server Error</html>', { status: 500 }));
  const err = await rejection(new TTPayClient({ ...BASE, fetch, maxRetries: 0 }).closeOrder({ transactionId: 'o' }));
  assertTTPayError(err, 'http', { httpStatus: 500, retryable: true, code: null, attempts: 1 });
  assert.equal(fetch.calls.length, 1);
  assert.equal(fetch.calls[0].url, 'https://api.ttpay.io/v1/transaction/close');
});

test('HTTP 404 is an http error that is not retryable', async () => {
  const fetch = cannedFetch(() => new Response('nope', { status: 404 }));
  const err = await rejection(new TTPayClient({ ...BASE, fetch }).closeOrder({ transactionId: 'o' }));
  assertTTPayError(err, 'http', { httpStatus: 404, retryable: false });
});

test('a non-JSON 200 is an invalid_response error', async () => {
  const fetch = cannedFetch(() => new Response('<html>gateway says hi</html>', { status: 200 }));
  const err = await rejection(new TTPayClient({ ...BASE, fetch }).closeOrder({ transactionId: 'o' }));
  // Retryable: closing is idempotent, so asking again after a garbled reply is safe.
  assertTTPayError(err, 'invalid_response', { httpStatus: 200, retryable: true });
  assert.match(err.message, /not JSON/);
});

test("TTPay's documented reply, trailing comma and all, is a success", async () => {
  const body = '{"code": 0, "msg": "成功", "request_id": "f23ade4a-e5ca-48f4-a4bb-59114ac360ba",}';
  const fetch = cannedFetch(() => new Response(body, { status: 200 }));
  const result = await new TTPayClient({ ...BASE, fetch }).closeOrder({ transactionId: 'o' });
  assert.deepEqual(result, {
    code: 0,
    msg: '成功',
    requestId: 'f23ade4a-e5ca-48f4-a4bb-59114ac360ba',
    httpStatus: 200,
    attempts: 1,
    verified: false,
  });
});

test('a reply missing its code, invalid UTF-8, or nested 100k deep: invalid_response, and the instance lives on', async () => {
  const bodies = ['{"msg":"ok"}', new Uint8Array([0x7b, 0xff, 0x7d]), '['.repeat(100_000)];
  for (const body of bodies) {
    const fetch = cannedFetch(() => new Response(body, { status: 200 }));
    const err = await rejection(new TTPayClient({ ...BASE, fetch }).closeOrder({ transactionId: 'o' }));
    assertTTPayError(err, 'invalid_response');
  }
  const ok = cannedFetch(() => new Response('{"code":0,"msg":"fine","request_id":"r"}'));
  assert.equal((await new TTPayClient({ ...BASE, fetch: ok }).closeOrder({ transactionId: 'o' })).msg, 'fine');
});

test('a fetch that resolves to something other than a Response is a network error', async () => {
  const fetch = async () => ({ hello: 'world' });
  const err = await rejection(new TTPayClient({ ...BASE, fetch }).closeOrder({ transactionId: 'o' }));
  assertTTPayError(err, 'network');
});

test('a fetch that throws synchronously or rejects is a network error carrying the cause', async () => {
  const boom = new TypeError('socket hang up');
  for (const fetch of [() => { throw boom; }, async () => { throw boom; }]) {
    const err = await rejection(new TTPayClient({ ...BASE, fetch }).closeOrder({ transactionId: 'o' }));
    assertTTPayError(err, 'network', { retryable: true });
    assert.equal(err.cause, boom);
    assert.match(err.message, /socket hang up/);
  }
});

test('a redirect is reported as an http error, not followed', async () => {
  const fetch = cannedFetch(() => new Response(null, { status: 302, headers: { location: 'https://elsewhere.example/' } }));
  const err = await rejection(new TTPayClient({ ...BASE, fetch }).closeOrder({ transactionId: 'o' }));
  assertTTPayError(err, 'http', { httpStatus: 302, retryable: false });
  assert.equal(fetch.calls[0].init.redirect, 'manual');
});

test('connection refused is a network error with the socket error as cause', async () => {
  const port = await refusedPort();
  const client = new TTPayClient({ ...DEMO_APP, baseUrl: `http://127.0.0.1:${port}`, maxRetries: 0 });
  const err = await rejection(client.closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(err, 'network', { retryable: true, httpStatus: null });
  assert.ok(err.cause instanceof Error);
  assert.match(err.message, /ECONNREFUSED/);
});

test('a server that never answers ends in a timeout after timeoutMs', async (t) => {
  const stall = await stallServer(t, 'headers');
  const client = new TTPayClient({ ...DEMO_APP, baseUrl: stall.url, timeoutMs: 200, maxRetries: 0 });
  const err = await rejection(client.closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(err, 'timeout', { retryable: true });
  assert.match(err.message, /timeoutMs \(200 ms\)/);
  assert.equal(stall.requests(), 1);
});

test('a server that stalls halfway through the body still ends in a timeout', async (t) => {
  const stall = await stallServer(t, 'body');
  const client = new TTPayClient({ ...DEMO_APP, baseUrl: stall.url, timeoutMs: 200, maxRetries: 0 });
  const err = await rejection(client.closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(err, 'timeout');
});

test('an injected fetch that ignores the signal and never settles still times out', async () => {
  const fetch = () => new Promise(() => {});
  const err = await rejection(new TTPayClient({ ...BASE, fetch, timeoutMs: 100 }).closeOrder({ transactionId: 'o' }));
  assertTTPayError(err, 'timeout');
});

test("the caller's signal aborts an in-flight call: aborted, with the reason as cause", async (t) => {
  const stall = await stallServer(t, 'headers');
  const client = new TTPayClient({ ...DEMO_APP, baseUrl: stall.url, timeoutMs: 10_000 });
  const controller = new AbortController();
  const pending = client.closeOrder({ transactionId: 'order-1001' }, { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('user went away')), 50);
  const err = await rejection(pending);
  assertTTPayError(err, 'aborted', { retryable: false });
  assert.equal(err.cause.message, 'user went away');
});

test('an already-aborted signal rejects at once without sending anything', async (t) => {
  const mock = await mockFor(t);
  const signal = AbortSignal.abort();
  const err = await rejection(clientFor(mock).closeOrder({ transactionId: 'order-1001' }, { signal }));
  assertTTPayError(err, 'aborted');
  assert.equal(mock.stats().requests, 0);
});

test('a signal that fires after the call settled changes nothing', async (t) => {
  const mock = await mockFor(t);
  const controller = new AbortController();
  const result = await clientFor(mock).closeOrder({ transactionId: 'order-1001' }, { signal: controller.signal });
  controller.abort();
  assert.equal(result.code, 0);
  assert.equal(mock.order('order-1001').state, 'CLOSED');
});
