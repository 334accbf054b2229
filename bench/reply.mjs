// A TTPay reply, signed as TTPay signs (base64(AES-256-ECB(timestamp \n nonce \n body))), afresh
// each time: a new nonce, since the SDK refuses a replayed one. node:crypto only, so the bench
// server (Node) and the runtime drivers (Node, Deno, Bun: all have node:crypto) share it.
import { Buffer } from 'node:buffer';
import { createCipheriv, randomBytes } from 'node:crypto';

export const REPLY_BODY = Buffer.from('{"code":0,"msg":"success","request_id":"f23ade4a-e5ca-48f4-a4bb-59114ac360ba"}');

/** `{ body, headers }` of one freshly signed success reply. */
export function signedReply(secret, body = REPLY_BODY) {
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
