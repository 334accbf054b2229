// ttpay-wasm under Vitest, default environment (node): `import 'ttpay-wasm'` resolves the package's
// Node entry, no configuration needed. One mock per test file, on a free port; reset per test.
import { afterAll, beforeAll, beforeEach, expect, test } from 'vitest';
import { TTPayClient, TTPayError, TTPayCode } from 'ttpay-wasm';
import { startMockServer, DEMO_APP, type MockServer } from 'ttpay-wasm/mock';

let mock: MockServer;
let client: TTPayClient;

beforeAll(async () => {
  mock = await startMockServer(); // 127.0.0.1, a free port
  // rateLimitPerSecond: null — the default 5/s would space this file's calls 210 ms apart.
  client = new TTPayClient({ ...DEMO_APP, baseUrl: mock.url, rateLimitPerSecond: null });
});

afterAll(async () => {
  client?.free();
  await mock?.close();
});

beforeEach(() => {
  mock.reset(); // seeded orders back, faults and counters cleared
  mock.setOrder({ transactionId: 'order-vitest', state: 'NOTPAY' }); // this file's own order
});

test('closes an order', async () => {
  const result = await client.closeOrder({ transactionId: 'order-vitest' });
  expect(result).toMatchObject({ code: 0, msg: 'success', httpStatus: 200, attempts: 1, verified: true });
  expect(result.requestId).toMatch(/^[0-9a-f-]{36}$/);
  expect(mock.order('order-vitest')?.state).toBe('CLOSED');
});

test('the order is NOTPAY again in the next test (reset + setOrder)', () => {
  expect(mock.order('order-vitest')?.state).toBe('NOTPAY');
});

test('an unknown order is a typed api error (12002)', async () => {
  const err = await client.closeOrder({ transactionId: 'no-such-order' }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TTPayError);
  expect(err).toMatchObject({ kind: 'api', code: TTPayCode.DATA_ABSENT, retryable: false, attempts: 1 });
});

test('an already paid order is refused with 20005', async () => {
  mock.setOrder({ transactionId: 'order-vitest', state: 'SUCCESS' });
  await expect(client.closeOrder({ transactionId: 'order-vitest' })).rejects.toMatchObject({
    kind: 'api',
    code: TTPayCode.INVALID_PARAMETER,
  });
});

test('a 503 with Retry-After is retried, and the close succeeds', async () => {
  mock.injectFault({ mode: '503-retry-after', transactionId: 'order-vitest' });
  const result = await client.closeOrder({ transactionId: 'order-vitest' });
  expect(result).toMatchObject({ code: 0, attempts: 2 });
  expect(mock.order('order-vitest')?.state).toBe('CLOSED');
});

test('a server that never answers ends as a timeout at deadlineMs', async () => {
  mock.injectFault({ mode: 'stall-headers', times: -1 });
  const started = Date.now();
  const err = await client.closeOrder({ transactionId: 'order-vitest' }, { deadlineMs: 500 }).catch((e: unknown) => e);
  expect(err).toBeInstanceOf(TTPayError);
  expect((err as TTPayError).kind).toBe('timeout');
  expect(Date.now() - started).toBeLessThan(1500);
});
