// AWS Lambda (Node.js 20+, ES module handler): close the order named by `event.transactionId`.
// Bundle: esbuild handler.mjs --bundle --platform=node --target=node20 --format=esm --outfile=dist/handler.mjs
// The package's Node entry carries its WebAssembly inline (base64), so dist/handler.mjs is the
// whole deployment: no .wasm file to copy, no node_modules. Handler setting: handler.handler.
import { TTPayClient, TTPayError } from 'ttpay-wasm';

// The status answered for each kind of failure (any other kind: 502), as examples/worker does.
const STATUS = { invalid_argument: 400, api: 422, aborted: 499, timeout: 504 };
// Time kept back from the platform's limit to build and return the answer.
const MARGIN_MS = 500;

// Made on first use, not at module scope: an import without the secrets (a build step, a test
// that only loads the module) does not throw, and warm invocations reuse the client.
let client;
const ttpay = () =>
  (client ??= new TTPayClient({
    appId: process.env.TTPAY_APP_ID,
    appSecret: process.env.TTPAY_APP_SECRET,
    mchId: process.env.TTPAY_MCH_ID,
    baseUrl: process.env.TTPAY_BASE_URL, // unset: https://api.ttpay.io
  }));

const respond = (statusCode, payload) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify(payload),
});

export const handler = async (event, context) => {
  // End the call, retries and backoff included, before Lambda ends the invocation (3 s by
  // default): a `timeout` error answered in time instead of a killed function.
  const deadlineMs = context.getRemainingTimeInMillis() - MARGIN_MS;
  if (deadlineMs < 1) return respond(504, { ok: false, error: { kind: 'timeout', message: 'no time left to call TTPay' } });
  const client = ttpay(); // missing configuration throws here: an invocation error in your logs, not a 400
  try {
    const result = await client.closeOrder({ transactionId: event?.transactionId }, { deadlineMs });
    return respond(200, { ok: true, result });
  } catch (err) {
    if (!(err instanceof TTPayError)) throw err;
    // err.toJSON() carries kind, code, msg, requestId, attempts…: never the secret.
    return respond(STATUS[err.kind] ?? 502, { ok: false, error: err });
  }
};
