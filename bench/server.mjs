// A minimal loopback TTPay for benchmarks: answers every request with the same success body,
// signed afresh for each reply (a new nonce: the SDK refuses a replayed one), which costs the
// server a few microseconds per request, the same for every client measured.
import { createServer } from 'node:http';
import { DEMO_APP } from 'ttpay-wasm/mock';
import { signedReply as sign } from './reply.mjs';

export const APP = DEMO_APP;

/** The reply every request gets, signed as TTPay signs (timestamp \n nonce \n body). */
export const signedReply = (secret = APP.appSecret) => sign(secret);

export async function startReplyServer() {
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const reply = signedReply();
      res.writeHead(200, reply.headers);
      res.end(reply.body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const close = () => new Promise((r) => server.close(r));
  return { url: `http://127.0.0.1:${server.address().port}`, close };
}
