// The one error class every failure of the client rejects with. `name` is a literal so it
// survives minification; `kind` is the stable string to branch on.

/** @type {readonly string[]} */
export const ERROR_KINDS = Object.freeze([
  'invalid_argument',
  'network',
  'timeout',
  'aborted',
  'http',
  'api',
  'invalid_response',
  'signature',
]);

/**
 * TTPay's business codes by name (https://ttpay.io/doc/en/api/errcode/errcode.html), so a caller
 * writes `err.code === TTPayCode.DATA_ABSENT` rather than a bare 12002. The same table as
 * src/core/codes.rs, which a Rust test holds this one to.
 */
export const TTPayCode = Object.freeze({
  SUCCESS: 0,
  PARAMETER_ERROR: 100,
  INVALID_SIGNATURE: 103,
  SIGNATURE_EXPIRED: 104,
  OPERATION_FAILED: 11000,
  TOO_FREQUENT: 11001,
  MISSING_PARAMETER: 11003,
  DATA_EXISTS: 12001,
  DATA_ABSENT: 12002,
  DATA_EMPTY: 12003,
  APP_ABSENT: 20000,
  APP_DISABLED: 20001,
  BALANCE_TOO_LOW: 20002,
  QUOTA_TOO_LOW: 20003,
  FREQUENCY_LIMITED: 20004,
  INVALID_PARAMETER: 20005,
});

// Read once, before any caller code runs: a later `Object.prototype` change cannot reach it.
const hasOwn = Object.prototype.hasOwnProperty;
const own = (init, key) => (hasOwn.call(init, key) ? init[key] : undefined);

export class TTPayError extends Error {
  // A literal, not the class's binding name, which minifiers rename.
  static name = 'TTPayError';

  // Fields: own data properties, defined (not assigned) before the constructor body runs.
  kind;
  code;
  msg;
  httpStatus;
  requestId;
  retryable;
  attempts;

  constructor(init) {
    // Own members only: a polluted `Object.prototype.cause` (or `code`…) must not reach errors.
    const cause = own(init, 'cause');
    super(String(own(init, 'message')), cause === undefined ? undefined : { cause });
    this.kind = own(init, 'kind');
    this.code = own(init, 'code') ?? null;
    this.msg = own(init, 'msg') ?? null;
    this.httpStatus = own(init, 'httpStatus') ?? null;
    this.requestId = own(init, 'requestId') ?? null;
    this.retryable = own(init, 'retryable') === true;
    this.attempts = own(init, 'attempts') ?? 0;
  }

  toJSON() {
    const { name, kind, message, code, msg, httpStatus, requestId, retryable, attempts } = this;
    return { name, kind, message, code, msg, httpStatus, requestId, retryable, attempts };
  }
}

// On the prototype, before any instance exists, so every stack starts with "TTPayError:". A
// null-prototype descriptor: a polluted `Object.prototype.get` must not turn it into an accessor.
Object.defineProperty(TTPayError.prototype, 'name', {
  __proto__: null,
  value: 'TTPayError',
  writable: true,
  configurable: true,
});
