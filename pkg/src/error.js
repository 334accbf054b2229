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

export class TTPayError extends Error {
  constructor(init) {
    super(String(init.message), init.cause === undefined ? undefined : { cause: init.cause });
    this.kind = init.kind;
    this.code = init.code ?? null;
    this.msg = init.msg ?? null;
    this.httpStatus = init.httpStatus ?? null;
    this.requestId = init.requestId ?? null;
    this.retryable = init.retryable === true;
    this.attempts = init.attempts ?? 0;
  }

  toJSON() {
    const { name, kind, message, code, msg, httpStatus, requestId, retryable, attempts } = this;
    return { name, kind, message, code, msg, httpStatus, requestId, retryable, attempts };
  }
}

// On the prototype, before any instance exists, so every stack starts with "TTPayError:".
Object.defineProperty(TTPayError.prototype, 'name', { value: 'TTPayError', writable: true, configurable: true });
