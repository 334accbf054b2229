// A minimal loopback TTPay for benchmarks: answers every request with the same success body,
// signed afresh for each reply (a new nonce: the SDK refuses a replayed one), which costs the
// server a few microseconds per request, the same for every client measured.
import { createServer } from 'node:http';
import { createCipheriv, randomBytes } from 'node:crypto';
import { DEMO_APP } from 'ttpay-wasm/mock';

export const APP = DEMO_APP;

/** The reply every request gets, signed as TTPay signs (timestamp \n nonce \n body). */
export function signedReply(secret = APP.appSecret) {
  const body = Buffer.from('{"code":0,"msg":"success","request_id":"f23ade4a-e5ca-48f4-a4bb-59114ac360ba"}');
  const ts = String(Date.now());
  const nonce = randomBytes(16).toString('hex');
  const c = createCipheriv('aes-256-ecb', Buffer.from(secret), null);
  const sig = Buffer.concat([c.update(Buffer.concat([Buffer.from(`${ts}\n${nonce}\n`), body])), c.final()]).toString('base64');
  return {
    body,
    headers: {
      'content-type': 'application/json',
      'content-length': String(body.length),
      'ttpay-timestamp': ts,
      'ttpay-nonce': nonce,
      'ttpay-signature': sig,
    },
  };
}

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
