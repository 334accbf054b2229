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
  /** Default `https://api.ttpay.io`. Plain http only for localhost / 127.0.0.0/8 / [::1]. */
  baseUrl?: string;
  /** Per-attempt limit covering the whole reply including its body. Default 10000. */
  timeoutMs?: number;
  /** Default `ttpay-wasm/<version>`. */
  userAgent?: string;
  /** Unit of the signed timestamp: `'ms'` (default, 13 digits) or `'s'` (10 digits). */
  timestampUnit?: 'ms' | 's';
  fetch?: FetchLike;
}

export interface CloseOrderParams {
  /** The order to close. Optional in TTPay's docs, though it is the only order identifier. */
  transactionId?: string;
  /** Overrides the client's `mchId` for this call. */
  mchId?: string;
}

export interface CallOptions {
  /** Aborting it rejects the call with kind `'aborted'`. */
  signal?: AbortSignal;
}

export interface CloseOrderResult {
  code: 0;
  msg: string;
  requestId: string;
  httpStatus: number;
}

export class TTPayClient {
  /** Throws a `TTPayError` of kind `'invalid_argument'` naming the field for bad options. */
  constructor(options: TTPayClientOptions);
  closeOrder(params?: CloseOrderParams, options?: CallOptions): Promise<CloseOrderResult>;
  /** Identifiers only; never the secret. */
  toJSON(): { appId: string; mchId: string; baseUrl: string };
  /** Releases the client's wasm memory now rather than at garbage collection. */
  free(): void;
  [Symbol.dispose](): void;
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
  cause?: unknown;
}

export class TTPayError extends Error {
  constructor(init: TTPayErrorInit);
  readonly name: 'TTPayError';
  readonly kind: TTPayErrorKind;
  /** TTPay's business code, when the reply carried one (always for kind `'api'`). */
  readonly code: number | null;
  /** TTPay's `msg`, when the reply carried one. */
  readonly msg: string | null;
  readonly httpStatus: number | null;
  readonly requestId: string | null;
  /** Whether a freshly signed retry of the same call may succeed. */
  readonly retryable: boolean;
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
  };
}
