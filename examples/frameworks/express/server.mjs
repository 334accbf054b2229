// Express 5: POST /orders/:id/close closes the order and answers the typed result, or the typed
// error with a status for its kind. `node server.mjs`, with TTPAY_APP_ID, TTPAY_APP_SECRET,
// TTPAY_MCH_ID and (optional) TTPAY_BASE_URL in the environment; PORT (default 3000).
import express from 'express';
import { TTPayClient, TTPayError } from 'ttpay-wasm';

// One client for the process, made on first use: importing this file needs no secrets.
let client;
const ttpay = () =>
  (client ??= new TTPayClient({
    appId: process.env.TTPAY_APP_ID,
    appSecret: process.env.TTPAY_APP_SECRET,
    mchId: process.env.TTPAY_MCH_ID,
    baseUrl: process.env.TTPAY_BASE_URL, // unset: https://api.ttpay.io
  }));

// The status to answer per error kind (any other: 502).
const STATUS = { invalid_argument: 400, api: 422, timeout: 504 };

export const app = express();

// Put your own authentication in front: whoever reaches this route can close any order.
app.post('/orders/:id/close', async (req, res) => {
  const client = ttpay(); // missing configuration throws here: a 500 and your log, not the caller's 400
  try {
    res.json(await client.closeOrder({ transactionId: req.params.id }));
  } catch (err) {
    if (!(err instanceof TTPayError)) throw err;
    res.status(STATUS[err.kind] ?? 502).json(err); // toJSON(): name, kind, code, msg, message, requestId…; never the secret
  }
});

const server = app.listen(Number(process.env.PORT ?? 3000), process.env.HOST ?? '127.0.0.1', () =>
  console.log(JSON.stringify({ listening: server.address().port })),
);
