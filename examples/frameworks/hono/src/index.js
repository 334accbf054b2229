// Hono on Cloudflare Workers: POST /orders/:id/close closes the order and answers the typed result,
// or the typed error with a status for its kind. Secrets come per request in `c.env`
// (`wrangler secret put TTPAY_APP_SECRET`, and WORKER_TOKEN), so the client is made there: a
// client per request is cheap, and the rate limit is per isolate whichever client sends.
import { Hono } from 'hono';
import { bearerAuth } from 'hono/bearer-auth';
import { TTPayClient, TTPayError } from 'ttpay-wasm';

// The status to answer per error kind (any other: 502).
const STATUS = { invalid_argument: 400, api: 422, timeout: 504 };

const app = new Hono();

// Whoever reaches this Worker could close any order: callers must hold WORKER_TOKEN.
app.use('/orders/*', (c, next) => bearerAuth({ token: c.env.WORKER_TOKEN })(c, next));

app.post('/orders/:id/close', async (c) => {
  const client = new TTPayClient({
    appId: c.env.TTPAY_APP_ID,
    appSecret: c.env.TTPAY_APP_SECRET,
    mchId: c.env.TTPAY_MCH_ID,
    baseUrl: c.env.TTPAY_BASE_URL, // unset: https://api.ttpay.io
  });
  try {
    return c.json(await client.closeOrder({ transactionId: c.req.param('id') }));
  } catch (err) {
    if (!(err instanceof TTPayError)) throw err;
    return c.json(err, STATUS[err.kind] ?? 502); // toJSON(): never the secret
  }
});

export default app;
