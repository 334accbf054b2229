// The bad day, through the built package against the mock's fault modes: each scenario asserts
// the exact outcome (kind, code, attempts), that the call settled within its stated bound, and
// that the SDK's report matches the mock's order state afterwards. Nothing hangs, nothing lost.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertTTPayError, clientFor, mockFor, rejection } from './helpers.mjs';

const TIMEOUT = 300;
// Fast retries so the suite stays quick; backoff is 125–250 ms then 250–500 ms.
const OPTS = { timeoutMs: TIMEOUT, maxRetries: 2 };
// Stated slack: the bound is timeouts + backoffs + this, covering loopback and scheduling.
const SLACK_MS = 1_000;
const MAX_BACKOFF_MS = 250 + 500;

// The faults that let the mock act on the order before misbehaving; every other one answers
// instead of processing.
const PROCESSES = new Set(['reset-after', 'unsigned']);

/**
 * The most a call may take under `options`: every attempt timing out, every backoff at its
 * longest, a Retry-After of 1 s honoured each time, bounded by the deadline when there is one.
 */
function boundFor(mode, { timeoutMs, maxRetries, deadlineMs }) {
  let bound = (maxRetries + 1) * timeoutMs;
  for (let n = 1; n <= maxRetries; n++) bound += Math.max(Math.min(4000, 250 * 2 ** (n - 1)), mode === '503-retry-after' ? 1000 : 0);
  return deadlineMs === undefined ? bound : Math.min(bound, deadlineMs);
}

/**
 * Runs one closeOrder against a fault, and asserts what holds for every scenario: it settled
 * within its bound plus the stated slack, and the SDK's report matches the mock's order state
 * (nothing lost, nothing misreported). Returns the outcome for the test's own assertions.
 */
async function scenario(t, { mode, times = 1, tx = 'order-1001', client: extra = {}, call = {} }) {
  const mock = await mockFor(t);
  mock.injectFault({ mode, times, transactionId: tx });
  const client = clientFor(mock, { ...OPTS, ...extra });
  const started = performance.now();
  let result;
  let error;
  try {
    result = await client.closeOrder({ transactionId: tx }, call);
  } catch (err) {
    error = err;
  }
  const elapsed = performance.now() - started;
  within(elapsed, boundFor(mode, { ...OPTS, ...extra, ...call }));
  const order = mock.order(tx);
  if (result) {
    // A success means the order is CLOSED, and closed once however many attempts it took.
    assert.equal(order.state, 'CLOSED', `reported success but the order is ${order.state}`);
    assert.equal(order.closedCount, 1);
  } else {
    // An error leaves the order as the faults left it: untouched, or closed by a fault that
    // processed first (the error's kind then says the outcome is unknown, never "not closed").
    assert.equal(order.state, PROCESSES.has(mode) ? 'CLOSED' : 'NOTPAY', `${error.kind} but the order is ${order.state}`);
    assert.ok(['network', 'timeout', 'signature'].includes(error.kind) || !PROCESSES.has(mode));
  }
  return { result, error, elapsed, order, mock };
}

function within(elapsed, bound) {
  assert.ok(elapsed < bound + SLACK_MS, `settled in ${Math.round(elapsed)} ms; bound ${bound} + ${SLACK_MS} ms slack`);
}

test('reset before processing, once: the retry succeeds', async (t) => {
  const { result, elapsed } = await scenario(t, { mode: 'reset-before' });
  assert.equal(result.attempts, 2);
  within(elapsed, MAX_BACKOFF_MS);
});

test('reset before processing, always: network error after 3 attempts, order untouched', async (t) => {
  const { error, order, elapsed } = await scenario(t, { mode: 'reset-before', times: Infinity });
  assertTTPayError(error, 'network', { attempts: 3, retryable: true });
  assert.equal(order.state, 'NOTPAY');
  within(elapsed, MAX_BACKOFF_MS);
});

test('reset after the server closed the order: the retry reports success, never a stale error', async (t) => {
  const { result, order } = await scenario(t, { mode: 'reset-after' });
  assert.equal(result.code, 0);
  assert.equal(result.attempts, 2);
  assert.equal(order.closedCount, 1);
});

test('reset after closing, every time: a network error, and the order is CLOSED (closing is idempotent)', async (t) => {
  const { error, order } = await scenario(t, { mode: 'reset-after', times: Infinity });
  assertTTPayError(error, 'network', { attempts: 3 });
  assert.equal(order.state, 'CLOSED', 'a network error says "unknown outcome"; closing again is safe');
});

test('stall before headers, once: the attempt times out and the retry succeeds', async (t) => {
  const { result, elapsed } = await scenario(t, { mode: 'stall-headers' });
  assert.equal(result.attempts, 2);
  within(elapsed, TIMEOUT + MAX_BACKOFF_MS);
});

test('stall before headers, always: timeout after 3 attempts within 3 × timeoutMs + backoff', async (t) => {
  const { error, elapsed, order } = await scenario(t, { mode: 'stall-headers', times: Infinity });
  assertTTPayError(error, 'timeout', { attempts: 3 });
  assert.equal(order.state, 'NOTPAY');
  within(elapsed, 3 * TIMEOUT + MAX_BACKOFF_MS);
});

test('stall mid-body: the timeout covers the body read, and the retry succeeds', async (t) => {
  const { result, elapsed } = await scenario(t, { mode: 'stall-body' });
  assert.equal(result.attempts, 2);
  within(elapsed, TIMEOUT + MAX_BACKOFF_MS);
});

test('deadlineMs bounds the whole call, retries and waits included', async (t) => {
  const { error, elapsed } = await scenario(t, {
    mode: 'stall-headers',
    times: Infinity,
    client: { timeoutMs: 250, deadlineMs: 600, maxRetries: 5 },
  });
  assertTTPayError(error, 'timeout');
  assert.match(error.message, /deadlineMs \(600 ms\)/);
  within(elapsed, 600);
});

test('a per-call deadline and retry count override the client defaults', async (t) => {
  const { error, elapsed } = await scenario(t, {
    mode: 'stall-headers',
    times: Infinity,
    call: { deadlineMs: 400, maxRetries: 1, timeoutMs: 150 },
  });
  assertTTPayError(error, 'timeout');
  assert.ok(error.attempts <= 2);
  within(elapsed, 400);
});

test('502 with an HTML body, once: retried to success', async (t) => {
  const { result } = await scenario(t, { mode: 'html-502' });
  assert.equal(result.attempts, 2);
});

test('502 with an HTML body, always: http 502 after 3 attempts', async (t) => {
  const { error, order } = await scenario(t, { mode: 'html-502', times: Infinity });
  assertTTPayError(error, 'http', { httpStatus: 502, attempts: 3, code: null });
  assert.equal(order.state, 'NOTPAY');
});

test('503 with Retry-After: 1 waits the second the server asked for, then succeeds', async (t) => {
  const retries = [];
  const { result, elapsed } = await scenario(t, {
    mode: '503-retry-after',
    client: { hooks: { onRetry: (e) => retries.push(e) } },
  });
  assert.equal(result.attempts, 2);
  assert.equal(retries.length, 1);
  assert.equal(retries[0].delayMs, 1000);
  assert.equal(retries[0].status, 503);
  within(elapsed, 1000);
});

test('429, always: http 429 after maxRetries + 1 attempts', async (t) => {
  const { error } = await scenario(t, { mode: '429', times: Infinity, client: { maxRetries: 1 } });
  assertTTPayError(error, 'http', { httpStatus: 429, attempts: 2, retryable: true });
});

test('code 11001 twice, then success', async (t) => {
  const { result } = await scenario(t, { mode: 'code-11001', times: 2 });
  assert.equal(result.attempts, 3);
});

test('code 11001 more often than maxRetries: api 11001 with its attempts', async (t) => {
  const { error, order } = await scenario(t, { mode: 'code-11001', times: Infinity });
  assertTTPayError(error, 'api', { code: 11001, attempts: 3, retryable: true });
  assert.equal(order.state, 'NOTPAY');
});

test('code 104 once: one freshly signed retry succeeds', async (t) => {
  const { result, mock } = await scenario(t, { mode: 'code-104' });
  assert.equal(result.attempts, 2);
  const [a, b] = mock.requests().map((r) => r.headers.authorization);
  assert.notEqual(a, b, 'the retry carries a new nonce, timestamp and signature');
});

test('code 104 always: retried once only, then api 104', async (t) => {
  const { error } = await scenario(t, { mode: 'code-104', times: Infinity, client: { maxRetries: 5 } });
  assertTTPayError(error, 'api', { code: 104, attempts: 2 });
});

test('truncated JSON once: retried to success', async (t) => {
  const { result } = await scenario(t, { mode: 'truncated-json' });
  assert.equal(result.attempts, 2);
});

test('truncated JSON always: invalid_response after 3 attempts, order untouched', async (t) => {
  const { error, order } = await scenario(t, { mode: 'truncated-json', times: Infinity });
  assertTTPayError(error, 'invalid_response', { attempts: 3, httpStatus: 200 });
  assert.equal(order.state, 'NOTPAY');
});

test('a non-JSON 200 always: invalid_response', async (t) => {
  const { error } = await scenario(t, { mode: 'non-json', times: Infinity, client: { maxRetries: 0 } });
  assertTTPayError(error, 'invalid_response', { attempts: 1 });
  assert.match(error.message, /not JSON/);
});

test('a 10 MB body stops at maxResponseBytes: invalid_response, memory bounded', async (t) => {
  const { error, elapsed } = await scenario(t, { mode: 'huge-body', times: Infinity, client: { maxRetries: 0 } });
  assertTTPayError(error, 'invalid_response', { attempts: 1 });
  assert.match(error.message, /maxResponseBytes \(1048576 bytes\)/);
  within(elapsed, TIMEOUT);
});

test('a small gzip body that decodes past maxResponseBytes is refused', async (t) => {
  const { error } = await scenario(t, { mode: 'gzip-bomb', times: Infinity, client: { maxRetries: 0 } });
  assertTTPayError(error, 'invalid_response', { attempts: 1 });
  assert.match(error.message, /maxResponseBytes/);
});

test('a smaller maxResponseBytes refuses an ordinary reply', async (t) => {
  const mock = await mockFor(t);
  const err = await rejection(clientFor(mock, { maxResponseBytes: 16, maxRetries: 0 }).closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(err, 'invalid_response');
});

test('invalid UTF-8: invalid_response', async (t) => {
  const { error } = await scenario(t, { mode: 'invalid-utf8', times: Infinity, client: { maxRetries: 0 } });
  assertTTPayError(error, 'invalid_response');
  assert.match(error.message, /UTF-8/);
});

test('a forged TTPay-Signature: signature error, not retried, order untouched', async (t) => {
  const { error, order } = await scenario(t, { mode: 'forged-signature', times: Infinity });
  assertTTPayError(error, 'signature', { attempts: 1, retryable: false, httpStatus: 200 });
  assert.equal(order.state, 'NOTPAY');
});

test("reply headers missing: accepted unverified by default ('auto')", async (t) => {
  const { result } = await scenario(t, { mode: 'unsigned', times: Infinity });
  assert.equal(result.verified, false);
});

test("reply headers missing with verifyResponses: 'require': signature error", async (t) => {
  const { error, order } = await scenario(t, { mode: 'unsigned', times: Infinity, client: { verifyResponses: 'require' } });
  assertTTPayError(error, 'signature', { attempts: 1 });
  assert.match(error.message, /missing/);
  // The mock did close it: a signature error means the outcome could not be trusted, not "not closed".
  assert.equal(order.state, 'CLOSED');
});

test("verifyResponses: 'off' accepts even a forged reply, unverified", async (t) => {
  const mock = await mockFor(t);
  mock.injectFault({ mode: 'forged-signature', transactionId: 'order-1001' });
  const result = await clientFor(mock, { verifyResponses: 'off' }).closeOrder({ transactionId: 'order-1001' });
  assert.equal(result.verified, false);
});

test('the control call injects a fault over HTTP', async (t) => {
  const mock = await mockFor(t);
  const res = await fetch(`${mock.url}/_mock/faults`, {
    method: 'POST',
    body: JSON.stringify({ mode: 'html-502', times: 1, transactionId: 'order-1002' }),
  });
  assert.equal(res.status, 204);
  const result = await clientFor(mock).closeOrder({ transactionId: 'order-1002' });
  assert.equal(result.attempts, 2);
  const bad = await fetch(`${mock.url}/_mock/faults`, { method: 'POST', body: '{"mode":"nope"}' });
  assert.equal(bad.status, 400);
});

test("the caller's signal ends a backoff wait at once", async (t) => {
  const mock = await mockFor(t);
  mock.injectFault({ mode: '503-retry-after', times: Infinity });
  const controller = new AbortController();
  const client = clientFor(mock, { hooks: { onRetry: () => setTimeout(() => controller.abort(), 20) } });
  const started = performance.now();
  const err = await rejection(client.closeOrder({ transactionId: 'order-1001' }, { signal: controller.signal }));
  assertTTPayError(err, 'aborted', { attempts: 1 });
  within(performance.now() - started, 0); // not the 1 s Retry-After
});
