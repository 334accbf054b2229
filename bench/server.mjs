// A minimal loopback TTPay for benchmarks: answers every request with one precomputed, validly
// signed success reply, so the figures measure the clients, not the server's crypto.
import { createServer } from 'node:http';
import { createCipheriv } from 'node:crypto';
import { DEMO_APP } from 'ttpay-wasm/mock';

export const APP = DEMO_APP;

/** The reply every request gets, signed as TTPay signs (timestamp \n nonce \n body). */
export function signedReply(secret = APP.appSecret) {
  const body = Buffer.from('{"code":0,"msg":"success","request_id":"f23ade4a-e5ca-48f4-a4bb-59114ac360ba"}');
  const ts = String(Date.now());
  const nonce = 'c5ac7061fccab6bf3e254dcf98995b8c';
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
  let reply = signedReply();
  // Re-signed every minute: a reply older than 5 minutes is refused by the verifying clients,
  // and a whole `make bench` can take longer than that.
  const refresh = setInterval(() => {
    reply = signedReply();
  }, 60_000);
  refresh.unref();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(200, reply.headers);
      res.end(reply.body);
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const close = () => {
    clearInterval(refresh);
    return new Promise((r) => server.close(r));
  };
  return { url: `http://127.0.0.1:${server.address().port}`, close };
}
