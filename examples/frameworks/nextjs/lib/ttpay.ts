import { TTPayClient, TTPayError, type TTPayErrorKind } from 'ttpay-wasm';

// Made on first use, not at module scope: `next build` loads the routes without the secrets.
let client: TTPayClient | undefined;
export const ttpay = () =>
  (client ??= new TTPayClient({
    appId: process.env.TTPAY_APP_ID ?? '',
    appSecret: process.env.TTPAY_APP_SECRET ?? '',
    mchId: process.env.TTPAY_MCH_ID ?? '',
    baseUrl: process.env.TTPAY_BASE_URL, // unset: https://api.ttpay.io
  }));

// The status answered for each kind of failure (any other kind: 502), as the other recipes do.
const STATUS: Partial<Record<TTPayErrorKind, number>> = { invalid_argument: 400, api: 422, timeout: 504 };

/** A TTPayError as `{ kind, code, message }` with its status; anything else is thrown again. */
export function errorResponse(err: unknown): Response {
  if (!(err instanceof TTPayError)) throw err;
  const { kind, code, message } = err;
  return Response.json({ kind, code, message }, { status: STATUS[kind] ?? 502 });
}
