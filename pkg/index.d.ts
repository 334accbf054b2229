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

/** A `fetch` the client can use instead of the global one (for proxies, tests, tracing). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

export interface TTPayClientOptions {
  /** APP_ID from the TTPay merchant back office. */
  appId: string;
  /** APP_SECRET: exactly 32 bytes of UTF-8. Keep it on a server. */
  appSecret: string;
  /** Merchant id. */
  mchId: string;
  /** Default `https://api.ttpay.io`. Plain http only for exactly localhost, 127.0.0.0/8 and [::1]; no `.`/`..` path segments. */
  baseUrl?: string;
  /** Per-attempt limit covering the whole reply including its body. Default 10000. */
  timeoutMs?: number;
  /** Default `ttpay-wasm/<version>`. */
  userAgent?: string;
  /** Unit of the signed timestamp: `'ms'` (default, 13 digits) or `'s'` (10 digits). */
  timestampUnit?: 'ms' | 's';
  fetch?: FetchLike;
  /** Retries of transient failures (network, timeout, 5xx, 429, codes 11000/11001/20004, 104 once). Default 2, at most 10. */
  maxRetries?: number;
  /** Bounds the whole call: attempts, backoff and rate-limit waits. Default: none. */
  deadlineMs?: number;
  /** Client-side limit per appId, shared by every client in the process. Default 5 (TTPay's); `null` turns it off. */
  rateLimitPerSecond?: number | null;
  /**
   * `'auto'` (default): verify replies that carry the TTPay-* signature headers (one or two of the
   * three is a `'signature'` error); `'require'`: also refuse unsigned 2xx replies; `'off'`.
   */
  verifyResponses?: VerifyResponses;
  /** Replies larger than this are refused without being buffered. Default 1048576. */
  maxResponseBytes?: number;
  hooks?: TTPayHooks;
}

export type VerifyResponses = 'auto' | 'require' | 'off';

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
  onRequest?: (event: RequestEvent) => void | Promise<unknown>;
  onResponse?: (event: ResponseEvent) => void | Promise<unknown>;
  onRetry?: (event: RetryEvent) => void | Promise<unknown>;
}

export interface CloseOrderParams {
  /** The order to close. Optional in TTPay's docs, though it is the only order identifier. */
  transactionId?: string;
  /** Overrides the client's `mchId` for this call. */
  mchId?: string;
}

export interface CallOptions {
  /**
   * Aborting it rejects the call with kind `'aborted'`, also during a backoff or rate-limit wait.
   * One signal may serve any number of concurrent calls: the client adds one listener to it.
   */
  signal?: AbortSignal;
  timeoutMs?: number;
  deadlineMs?: number;
  maxRetries?: number;
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
  closeOrder(params?: CloseOrderParams, options?: CallOptions): Promise<CloseOrderResult>;
  /** Identifiers only; never the secret. */
  toJSON(): { appId: string; mchId: string; baseUrl: string };
  /**
   * Releases the client's wasm memory now rather than at garbage collection. Afterwards
   * `closeOrder` rejects with kind `'invalid_argument'` and `toJSON` still shows the identifiers.
   */
  free(): void;
}

export type OneShotCloseOrderOptions = TTPayClientOptions & {
  transactionId?: string;
  signal?: AbortSignal;
};

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

export class TTPayError extends Error {
  constructor(init: TTPayErrorInit);
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

/** Figures about the wasm instance, for leak checks in your own tests. */
export function diagnostics(): { wasmMemoryBytes: number };
