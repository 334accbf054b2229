/** @jest-environment node */
// ttpay-wasm under Jest, in a project whose jest.config.js says `testEnvironment: 'jsdom'`: the
// docblock above (it must be the first comment in the file) runs this file in Node, where
// `require('ttpay-wasm')` resolves to the package's Node entry. Without it, Jest's jsdom
// environment resolves the browser entry (see README.md).
const { TTPayClient, TTPayError, TTPayCode } = require('ttpay-wasm');
const { startMockServer, DEMO_APP } = require('ttpay-wasm/mock');

let mock;
let client;

beforeAll(async () => {
  mock = await startMockServer(); // 127.0.0.1, a free port: one mock per test file
  // rateLimitPerSecond: null — the default 5/s would space this file's calls 210 ms apart.
  client = new TTPayClient({ ...DEMO_APP, baseUrl: mock.url, rateLimitPerSecond: null });
});

afterAll(async () => {
  client?.free();
  await mock?.close();
});

beforeEach(() => mock.reset()); // seeded orders back, faults and counters cleared

test("the docblock's node environment resolves the package's Node (CommonJS) entry", () => {
  expect(require.resolve('ttpay-wasm')).toMatch(/[\\/]ttpay-wasm[\\/]dist[\\/]node\.cjs$/);
});

test('closes a seeded order', async () => {
  const result = await client.closeOrder({ transactionId: 'order-1001' });
  expect(result).toMatchObject({ code: 0, msg: 'success', httpStatus: 200, attempts: 1, verified: true });
  expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(mock.order('order-1001').state).toBe('CLOSED');
});

test('an unknown order is a typed api error (12002)', async () => {
  const err = await client.closeOrder({ transactionId: 'no-such-order' }).catch((e) => e);
  expect(err).toBeInstanceOf(TTPayError);
  expect(err).toMatchObject({ kind: 'api', code: TTPayCode.DATA_ABSENT, retryable: false, attempts: 1 });
  expect(err.code).toBe(12002);
});

test('an order seeded per test with mock.setOrder', async () => {
  mock.setOrder({ transactionId: 'order-paid', state: 'SUCCESS' });
  const err = await client.closeOrder({ transactionId: 'order-paid' }).catch((e) => e);
  expect(err).toBeInstanceOf(TTPayError);
  expect(err).toMatchObject({ kind: 'api', code: TTPayCode.INVALID_PARAMETER }); // 20005: already paid
  expect(mock.order('order-paid').state).toBe('SUCCESS');
});

test('a 503 with Retry-After is retried, and the close succeeds', async () => {
  mock.injectFault({ mode: '503-retry-after' }); // the next request only (times: 1)
  const started = Date.now();
  const result = await client.closeOrder({ transactionId: 'order-1002' });
  expect(result).toMatchObject({ code: 0, attempts: 2, verified: true });
  expect(Date.now() - started).toBeGreaterThanOrEqual(900); // Retry-After: 1 was honoured
  expect(mock.order('order-1002').state).toBe('CLOSED');
});

test('"too frequent" (11001) is retried; when it persists it is a retryable api error', async () => {
  mock.injectFault({ mode: 'code-11001', times: 1 });
  await expect(client.closeOrder({ transactionId: 'order-1003' })).resolves.toMatchObject({ code: 0, attempts: 2 });

  mock.reset();
  mock.injectFault({ mode: 'code-11001', times: -1 }); // every request
  const err = await client.closeOrder({ transactionId: 'order-1003' }, { maxRetries: 1 }).catch((e) => e);
  expect(err).toBeInstanceOf(TTPayError);
  expect(err).toMatchObject({ kind: 'api', code: TTPayCode.TOO_FREQUENT, retryable: true, attempts: 2 });
  expect(mock.order('order-1003').state).toBe('NOTPAY'); // a fault answers instead of closing
});

test('a server that never answers ends as a timeout at deadlineMs', async () => {
  mock.injectFault({ mode: 'stall-headers', times: -1 });
  const started = Date.now();
  const err = await client.closeOrder({ transactionId: 'order-1001' }, { deadlineMs: 500 }).catch((e) => e);
  expect(err).toBeInstanceOf(TTPayError);
  expect(err.kind).toBe('timeout');
  expect(Date.now() - started).toBeLessThan(1500);
  expect(mock.order('order-1001').state).toBe('NOTPAY');
});
