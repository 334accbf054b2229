export interface MockApp {
  appId: string;
  appSecret: string;
  mchId: string;
}

export type OrderState = 'NOTPAY' | 'CLOSED' | 'SUCCESS';

export interface MockOrder {
  transactionId: string;
  state: OrderState;
  amount?: string;
  currency?: string;
  description?: string;
}

export interface MockOrderState extends MockOrder {
  /** How many times a close moved it from NOTPAY to CLOSED (0 or 1). */
  closedCount: number;
}

export interface MockRequest {
  method: string;
  url: string;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** The parts of node:http's IncomingMessage a `handle` callback gets to rely on. */
export interface MockIncoming {
  method?: string | undefined;
  url?: string | undefined;
  headers: Record<string, string | string[] | undefined>;
}

/** The parts of the request's parsed `URL` a `handle` callback gets to rely on. */
export interface MockUrl {
  readonly pathname: string;
  readonly search: string;
  readonly searchParams: { get(name: string): string | null };
}

/** The parts of node:http's ServerResponse a `handle` callback gets to rely on. */
export interface MockOutgoing {
  writeHead(status: number, headers?: Record<string, string | number>): unknown;
  end(body?: string | Uint8Array): unknown;
}

export type FaultMode =
  | 'reset-before'
  | 'reset-after'
  | 'stall-headers'
  | 'stall-body'
  | 'html-502'
  | '503-retry-after'
  | '429'
  | 'code-11001'
  | 'code-104'
  | 'truncated-json'
  | 'non-json'
  | 'huge-body'
  | 'gzip-bomb'
  | 'invalid-utf8'
  | 'forged-signature'
  | 'unsigned';

export interface Fault {
  mode: FaultMode;
  /**
   * How many requests it affects: an integer ≥ 1 (default 1), or -1 (or `Infinity`) until the
   * mock stops. Anything else throws a RangeError or TypeError naming `times` (400 over HTTP).
   */
  times?: number;
  /** Only requests for this order; default: the next requests, whatever their order. */
  transactionId?: string;
}

export interface MockServerOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  apps?: MockApp[];
  orders?: MockOrder[];
  /** Added to the mock's clock, to simulate skew. */
  clockOffsetMs?: number;
  /** How far (±) a request's timestamp may be from the mock's clock. Default 300000. */
  timestampWindowMs?: number;
  /** Stop by itself after this many milliseconds; 0 (default) never. */
  lifetimeMs?: number;
  /**
   * Answer 421 to any request whose Host is not localhost, 127.0.0.0/8 or [::1] (any port):
   * DNS-rebinding protection for a mock left running on a fixed port. Default false.
   */
  loopbackOnly?: boolean;
  onRequest?: (request: MockRequest) => void;
  /** Serves anything outside the API and `/_mock/` (a demo page, say); return true when handled. */
  handle?: (req: MockIncoming, res: MockOutgoing, url: MockUrl) => boolean;
  /** Faults per transaction id, from the start: a mode (always) or `{ mode, times }`. */
  faults?: Record<string, FaultMode | Omit<Fault, 'transactionId'>>;
}

export interface MockServer {
  /** e.g. `http://127.0.0.1:8787`: pass it as the client's `baseUrl`. */
  url: string;
  port: number;
  order(transactionId: string): MockOrderState | undefined;
  orders(): MockOrderState[];
  stats(): { requests: number; apiRequests: number; faults: number };
  /** The last 100 requests, as received. */
  requests(): MockRequest[];
  /**
   * Makes the mock misbehave; also `POST /_mock/faults` with the same JSON (refused with 403 when
   * a browser sends it from another origin). Throws a TypeError or RangeError naming the field.
   */
  injectFault(fault: Fault): void;
  /** Adds or replaces an order; also `POST /_mock/orders` with the same JSON. Throws for a bad one. */
  setOrder(order: Omit<MockOrder, 'state'> & { state?: OrderState }): void;
  /** Back to the seeded orders, no pending faults, counters and request log at zero (between tests); also `POST /_mock/reset`. */
  reset(): void;
  /** How many responses a `stall-*` fault holds open now (each is let go when its client goes away). */
  stalledCount(): number;
  close(): Promise<void>;
}

export const DEMO_APP: Readonly<MockApp>;
export const DEMO_ORDERS: readonly Readonly<MockOrder>[];
export const CLOSE_PATH: '/v1/transaction/close';
export const FAULT_MODES: readonly FaultMode[];
export function startMockServer(options?: MockServerOptions): Promise<MockServer>;
