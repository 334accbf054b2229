/** The eight stable strings a `TTPayError` is classified by. Never renamed. */
export type TTPayErrorKind =
  | 'invalid_argument'
  | 'network'
  | 'timeout'
  | 'aborted'
  | 'http'
  | 'api'
  | 'invalid_response'
  | 'signature';

// The platform's own types where the project has them (the DOM lib, @types/node, workers-types),
// structural stand-ins where it has neither: these declarations compile in either project.
type Global = typeof globalThis;

/** What the client passes as `fetch`'s second argument. */
export interface TTPayFetchInit {
  method: 'POST';
  headers: Record<string, string>;
  body: string;
  signal: AbortSignalLike;
  redirect: 'manual';
}

/** The part of a `Response` the client reads. */
export interface ResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  readonly body: unknown;
  arrayBuffer(): Promise<ArrayBuffer>;
}

/** The part of an `AbortSignal` the client uses. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  readonly reason?: unknown;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

/** The platform's `AbortSignal` when the project has one; {@link AbortSignalLike} otherwise. */
export type TTPayAbortSignal = Global extends { AbortSignal: { prototype: infer S } } ? S : AbortSignalLike;

type PlatformFetchInit = Global extends { fetch: (input: never, init?: infer I) => unknown } ? NonNullable<I> : TTPayFetchInit;
type PlatformResponse = Global extends { Response: { prototype: infer R } } ? R : ResponseLike;

/** A `fetch` the client can use instead of the global one (for proxies, tests, tracing). */
export type FetchLike = (input: string, init: PlatformFetchInit) => Promise<PlatformResponse | ResponseLike>;

export interface TTPayClientOptions {
  /** APP_ID from the TTPay merchant back office. */
  appId: string;
  /** APP_SECRET: exactly 32 bytes of UTF-8. Keep it on a server. */
  appSecret: string;
  /** Merchant id: a string, or the whole number env-driven config makes of its digits (sent as its digits). */
  mchId: string | number;
  /** Default `https://api.ttpay.io`. Plain http only for exactly localhost, 127.0.0.0/8 and [::1]; no `.`/`..` path segments. */
  baseUrl?: string | undefined;
  /** Per-attempt limit covering the whole reply including its body. Default 10000. */
  timeoutMs?: number | undefined;
  /** Default `ttpay-wasm/<version>`. */
  userAgent?: string | undefined;
  /** Unit of the signed timestamp: `'ms'` (default, 13 digits) or `'s'` (10 digits). */
  timestampUnit?: 'ms' | 's' | undefined;
  fetch?: FetchLike | undefined;
  /** Retries of transient failures (network, timeout, 5xx, 429, codes 11000/11001/20004, 104 once). Default 2, at most 10. */
  maxRetries?: number | undefined;
  /** Bounds the whole call: attempts, backoff and rate-limit waits. Default: none. */
  deadlineMs?: number | undefined;
  /**
   * Sends per second per appId, from 0.1 to 1000. Default 5 (TTPay's); `null` turns limiting off.
   * Enforced as two sends at least `(1000 + rateLimitMarginMs) / rate` ms apart (210 ms by
   * default). Without `rateLimiter`, for every client of this process (or isolate).
   */
  rateLimitPerSecond?: number | null | undefined;
  /** Added to each second of the rate, for the jitter between a grant and its arrival at TTPay, 0 to 1000. Default 50. */
  rateLimitMarginMs?: number | undefined;
  /** A shared limiter (`ttpay-wasm/redis`, `ttpay-wasm/durable-object`, or your own), so every process keeps to one rate together. */
  rateLimiter?: RateLimiter | undefined;
  /** How long `rateLimiter.acquire` may take before `onRateLimiterError` applies. Default 1000. */
  rateLimiterTimeoutMs?: number | undefined;
  /**
   * When `rateLimiter` throws, rejects, times out or answers nonsense: `'local'` (default) paces
   * with the embedded limiter instead, `'send'` sends at once, `'fail'` ends the call with a
   * retryable `'network'` error (nothing sent).
   */
  onRateLimiterError?: 'local' | 'send' | 'fail' | undefined;
  /**
   * `'auto'` (default): verify replies that carry the TTPay-* signature headers (one or two of the
   * three is a `'signature'` error); `'require'`: also refuse unsigned 2xx replies; `'off'`.
   */
  verifyResponses?: VerifyResponses | undefined;
  /** Replies larger than this are refused without being buffered. Default 1048576. */
  maxResponseBytes?: number | undefined;
  hooks?: TTPayHooks | undefined;
}

export type VerifyResponses = 'auto' | 'require' | 'off';

/** What the client passes to {@link RateLimiter.acquire}. */
export interface RateLimiterAcquireOptions {
  /** Two sends of the key at least this many ms apart. */
  intervalMs: number;
  /** The call's signal, to abort the store request with; the client does the waiting itself. */
  signal: TTPayAbortSignal | undefined;
  /**
   * Who asks: 16 hex digits, random per wasm instance (process or Worker isolate), so the store can
   * serve the processes asking it in turn (the Redis script and the Durable Object do).
   */
  asker: string;
  /**
   * 0, or ms up to `intervalMs`: count a grant as made this much later. The client asks half an
   * interval for a send that likely opens a connection (its first, or the first after 4 s idle),
   * whose request leaves late.
   */
  holdMs: number;
}

/**
 * A shared rate limiter. `acquire` grants a send for `key` (the appId) only now: it resolves to 0
 * when the key's last grant is at least `intervalMs` ago (and records this one), or to the ms, at
 * most `intervalMs`, until it will be (recording nothing). The client asks again, honours the
 * signal and the deadline, and bounds `acquire` by `rateLimiterTimeoutMs`. A store may also make
 * the askers take turns: answer a wait to one that is not first while another is.
 */
export interface RateLimiter {
  acquire(key: string, options: RateLimiterAcquireOptions): number | Promise<number>;
}

export interface RequestEvent {
  attempt: number;
  method: 'POST';
  url: string;
  /** The headers as sent, with `Authorization` redacted. */
  headers: {
    Authorization: 'TTPAY-AES-256-ECB [redacted]';
    'Content-Type': 'application/json';
    app_id: string;
    'User-Agent': string;
  };
}

export interface ResponseEvent {
  attempt: number;
  method: 'POST';
  url: string;
  /** `null` when no reply arrived (network, timeout, abort). */
  status: number | null;
  durationMs: number;
  requestId: string | null;
  /** `null` when the attempt succeeded. */
  errorKind: TTPayErrorKind | null;
  verified: boolean;
}

export interface RetryEvent {
  /** The attempt that failed; the next is `attempt + 1`. */
  attempt: number;
  delayMs: number;
  errorKind: TTPayErrorKind;
  code: number | null;
  status: number | null;
  url: string;
}

/**
 * Observability callbacks. They never see the secret; a hook that throws, or returns a promise
 * that rejects, is ignored. The call does not wait for a returned promise.
 */
export interface TTPayHooks {
  onRequest?: ((event: RequestEvent) => void | Promise<unknown>) | undefined;
  onResponse?: ((event: ResponseEvent) => void | Promise<unknown>) | undefined;
  onRetry?: ((event: RetryEvent) => void | Promise<unknown>) | undefined;
}

export interface CloseOrderParams {
  /** The order to close: required (TTPay's docs mark it optional, but close has no other order identifier). */
  transactionId: string;
  /** Overrides the client's `mchId` for this call. */
  mchId?: string | number | undefined;
}

export interface CallOptions {
  /**
   * Aborting it rejects the call with kind `'aborted'`, also during a backoff or rate-limit wait.
   * One signal may serve any number of concurrent calls: the client adds one listener to it.
   */
  signal?: TTPayAbortSignal | undefined;
  timeoutMs?: number | undefined;
  deadlineMs?: number | undefined;
  maxRetries?: number | undefined;
}

export interface CloseOrderResult {
  code: 0;
  msg: string;
  requestId: string;
  httpStatus: number;
  /** Attempts made, retries included (1 when the first succeeded). */
  attempts: number;
  /** Whether the reply's TTPay-Signature was checked and held. */
  verified: boolean;
}

export class TTPayClient {
  /** Throws one `TTPayError` of kind `'invalid_argument'` naming every bad option, each as `field: rule`. */
  constructor(options: TTPayClientOptions);
  closeOrder(params: CloseOrderParams, options?: CallOptions): Promise<CloseOrderResult>;
  /** Identifiers only; never the secret. */
  toJSON(): { appId: string; mchId: string; baseUrl: string };
  /**
   * Releases the client's wasm memory now rather than at garbage collection. Afterwards
   * `closeOrder` rejects with kind `'invalid_argument'` and `toJSON` still shows the identifiers.
   */
  free(): void;
}

export type OneShotCloseOrderOptions = TTPayClientOptions & {
  transactionId: string;
  signal?: TTPayAbortSignal | undefined;
};

export interface SignRequestInput {
  appId: string;
  /** Exactly 32 bytes of UTF-8. */
  appSecret: string;
  mchId: string | number;
  /** Path and query, as signed: `/v1/transaction/close`. */
  path: string;
  /** The exact body that will be sent. */
  body: string;
  /** Default: now, in ms (13 digits). */
  timestamp?: string | undefined;
  /** Default: 32 random upper-case hex digits. */
  nonce?: string | undefined;
}

export interface SignedRequest {
  /** `<path>\n<timestamp>\n<nonce>\n<body>` */
  signingString: string;
  signature: string;
  /** The whole header value: `TTPAY-AES-256-ECB app_id=…,mch_id=…,nonce_str=…,timestamp=…,signature=…` */
  authorization: string;
  timestamp: string;
  nonce: string;
}

/**
 * Signs any request as the client signs its own: to check your signing code for other TTPay
 * endpoints against the package's. Throws a `TTPayError` (`invalid_argument`) naming a bad field.
 */
export function signRequest(input: SignRequestInput): SignedRequest;

export interface VerifyReplyInput {
  appSecret: string;
  /** The reply's TTPay-Timestamp, TTPay-Nonce and TTPay-Signature headers. */
  timestamp: string;
  nonce: string;
  signature: string;
  /** The reply body, exactly as received. */
  body: string;
  /** The clock to check the timestamp's 5-minute window against. Default: now. */
  nowMs?: number | undefined;
}

/** Whether a reply's signature holds; `reason` says what is wrong when it does not. */
export function verifyReply(input: VerifyReplyInput): { valid: boolean; reason: string | null };

/** Builds a client, closes one order, and lets the client go: for scripts. */
export function closeOrder(options: OneShotCloseOrderOptions): Promise<CloseOrderResult>;

export interface TTPayErrorInit {
  kind: TTPayErrorKind;
  message: string;
  code?: number | null;
  msg?: string | null;
  httpStatus?: number | null;
  requestId?: string | null;
  retryable?: boolean;
  attempts?: number;
  cause?: unknown;
}

/** TTPay's business codes by name (TTPay's error-code page); see the README, "Errors". */
export declare const TTPayCode: {
  readonly SUCCESS: 0;
  readonly PARAMETER_ERROR: 100;
  readonly INVALID_SIGNATURE: 103;
  readonly SIGNATURE_EXPIRED: 104;
  readonly OPERATION_FAILED: 11000;
  readonly TOO_FREQUENT: 11001;
  readonly MISSING_PARAMETER: 11003;
  readonly DATA_EXISTS: 12001;
  readonly DATA_ABSENT: 12002;
  readonly DATA_EMPTY: 12003;
  readonly APP_ABSENT: 20000;
  readonly APP_DISABLED: 20001;
  readonly BALANCE_TOO_LOW: 20002;
  readonly QUOTA_TOO_LOW: 20003;
  readonly FREQUENCY_LIMITED: 20004;
  readonly INVALID_PARAMETER: 20005;
};

/** A documented business code; TTPay may send others, which are kept as they came. */
export type TTPayCode = (typeof TTPayCode)[keyof typeof TTPayCode];

interface TTPayErrorFields extends Error {
  readonly name: 'TTPayError';
  readonly kind: TTPayErrorKind;
  /**
   * TTPay's business code, when the reply carried one (always for kind `'api'`). For kind
   * `'signature'` it is what the reply claimed, unverified.
   */
  readonly code: number | null;
  /** TTPay's `msg` as sent (control characters and all; `message` has them escaped). */
  readonly msg: string | null;
  readonly httpStatus: number | null;
  readonly requestId: string | null;
  /** Whether a freshly signed retry of the same call may succeed. */
  readonly retryable: boolean;
  /** Attempts made before giving up (0 when refused before sending). */
  readonly attempts: number;
  readonly cause?: unknown;
  toJSON(): {
    name: 'TTPayError';
    kind: TTPayErrorKind;
    message: string;
    code: number | null;
    msg: string | null;
    httpStatus: number | null;
    requestId: string | null;
    retryable: boolean;
    attempts: number;
  };
}

/** TTPay answered `code != 0`: `code`, `msg` and `httpStatus` are always there. */
export interface TTPayApiError extends TTPayErrorFields {
  readonly kind: 'api';
  readonly code: TTPayCode | (number & {});
  readonly msg: string;
  readonly httpStatus: number;
}

/** Every other kind. */
export interface TTPayOtherError extends TTPayErrorFields {
  readonly kind: Exclude<TTPayErrorKind, 'api'>;
}

/**
 * The one error class every failure is an instance of. A union by `kind`, so that
 * `if (err instanceof TTPayError && err.kind === 'api')` narrows `err.code` to a number.
 */
export type TTPayError = TTPayApiError | TTPayOtherError;
export declare const TTPayError: {
  new (init: TTPayErrorInit): TTPayError;
  readonly prototype: TTPayError;
};

/** Figures about the wasm instance, for leak checks in your own tests. */
export function diagnostics(): { wasmMemoryBytes: number };
