// Uses the whole public API under `--strict`; each @ts-expect-error proves a misuse fails to
// compile (tsc fails if the line below it compiles after all).
import {
  TTPayClient,
  TTPayCode,
  TTPayError,
  closeOrder,
  diagnostics,
  type CloseOrderResult,
  type TTPayErrorKind,
  type TTPayClientOptions,
  type ResponseEvent,
} from 'ttpay-wasm';
import { startMockServer, DEMO_APP, FAULT_MODES, type MockServer } from 'ttpay-wasm/mock';
import { redisRateLimiter, RATE_LIMIT_SCRIPT } from 'ttpay-wasm/redis';
import { durableObjectRateLimiter, type RateLimiterNamespace } from 'ttpay-wasm/durable-object';
import type { RateLimiter } from 'ttpay-wasm';

// Shared limiters: the shipped adapters, and one written by hand against the contract.
declare const namespace: RateLimiterNamespace;
const limiters: RateLimiter[] = [
  redisRateLimiter(async (script: string, keys: string[], args: string[]) => (script + keys[0] + args[0]).length),
  durableObjectRateLimiter(namespace),
  { acquire: (_key, { intervalMs, signal }) => (signal?.aborted || intervalMs > 100 ? 0 : intervalMs) },
];
for (const rateLimiter of limiters) new TTPayClient({ ...DEMO_APP, rateLimiter, rateLimiterTimeoutMs: 500, onRateLimiterError: 'fail' });
// @ts-expect-error acquire must answer a number of ms
new TTPayClient({ ...DEMO_APP, rateLimiter: { acquire: () => 'soon' } });
// @ts-expect-error the earlier contract's take() is not a RateLimiter
new TTPayClient({ ...DEMO_APP, rateLimiter: { take: () => 0 } });
// @ts-expect-error onRateLimiterError is 'local' | 'send' | 'fail'
new TTPayClient({ ...DEMO_APP, onRateLimiterError: 'retry' });
void [limiters, RATE_LIMIT_SCRIPT.length];

const options: TTPayClientOptions = {
  appId: 'a',
  appSecret: '12345678901234567890123456789012',
  mchId: 'm',
  baseUrl: 'https://api.ttpay.io',
  timeoutMs: 5000,
  deadlineMs: 20000,
  maxRetries: 2,
  rateLimitPerSecond: null,
  verifyResponses: 'require',
  maxResponseBytes: 65536,
  timestampUnit: 's',
  userAgent: 'shop/1.0',
  fetch: (input, init) => fetch(input, init),
  hooks: {
    onRequest: (e) => void e.headers.Authorization,
    onResponse: (e: ResponseEvent) => void (e.status ?? 0),
    onRetry: (e) => void e.delayMs,
  },
};

export async function use(): Promise<number> {
  const client = new TTPayClient(options);
  const controller = new AbortController();
  const result: CloseOrderResult = await client.closeOrder({ transactionId: 'tx' }, { signal: controller.signal, timeoutMs: 100 });
  const zero: 0 = result.code;
  const id: string = result.requestId;
  const attempts: number = result.attempts;
  const verified: boolean = result.verified;
  await closeOrder({ ...options, transactionId: 'tx', signal: controller.signal });
  // @ts-expect-error transactionId is required: close has no other order identifier
  await client.closeOrder({}).catch(() => undefined);
  // @ts-expect-error and so are the params
  await client.closeOrder().catch(() => undefined);
  // Env-driven config: undefined for an unset optional (exactOptionalPropertyTypes), a numeric mchId.
  const env: Record<string, string | undefined> = {};
  new TTPayClient({ ...options, baseUrl: env['TTPAY_BASE_URL'], userAgent: env['UA'], mchId: 100001, deadlineMs: undefined });
  await client.closeOrder({ transactionId: 'tx', mchId: undefined }, { signal: undefined, deadlineMs: undefined });
  try {
    await client.closeOrder({ transactionId: 'missing' });
  } catch (err) {
    if (err instanceof TTPayError) {
      const kind: TTPayErrorKind = err.kind;
      const code: number | null = err.code;
      const name: 'TTPayError' = err.name;
      if (err.kind === 'api') {
        // Narrowed by kind: an api error always has a number code, a msg and a status.
        const apiCode: number = err.code;
        const apiMsg: string = err.msg;
        const status: number = err.httpStatus;
        if (apiCode === TTPayCode.INVALID_PARAMETER) return 1;
        void [apiMsg, status];
      }
      void [kind, code, name, err.msg, err.httpStatus, err.requestId, err.retryable, err.attempts, err.toJSON().kind];
    }
  }
  const mem: number = diagnostics().wasmMemoryBytes;
  const mock: MockServer = await startMockServer({ orders: [{ transactionId: 'x', state: 'NOTPAY' }] });
  mock.injectFault({ mode: FAULT_MODES[0] ?? 'html-502', times: 1 });
  await mock.close();
  void [zero, id, attempts, verified, mem, DEMO_APP.appId, JSON.stringify(client)];
  return 0;
}

// @ts-expect-error appSecret is required
new TTPayClient({ appId: 'a', mchId: 'm' });

// @ts-expect-error an unknown option name is refused (typo)
new TTPayClient({ ...options, appSecert: 'x' });

// @ts-expect-error timestampUnit is 'ms' | 's'
new TTPayClient({ ...options, timestampUnit: 'ns' });

export function kinds(err: TTPayError): void {
  // @ts-expect-error 'timed_out' is not a kind
  if (err.kind === 'timed_out') return;
  if (err.kind === 'network') {
    // @ts-expect-error outside kind 'api', code may be null
    const code: number = err.code;
    void code;
  }
  // @ts-expect-error TTPayCode is read-only
  TTPayCode.DATA_ABSENT = 1;
  const absent: 12002 = TTPayCode.DATA_ABSENT;
  void absent;
}

export async function wrongTypes(client: TTPayClient): Promise<void> {
  const r = await client.closeOrder({ transactionId: 'tx' });
  // @ts-expect-error requestId is a string, not a number
  const n: number = r.requestId;
  // @ts-expect-error code is the literal 0
  const c: 1 = r.code;
  // @ts-expect-error transactionId must be a string
  await client.closeOrder({ transactionId: 42 });
  void [n, c];
}
