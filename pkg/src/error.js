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
