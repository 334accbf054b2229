// The no-timeout reference (kept from the first benchmark; the like-for-like peer is peer.mjs):
// a close-order client in plain JavaScript with node:crypto, written the way a
// merchant would — same wire bytes as the SDK, same reply parsing and reply verification.
import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PATH = '/v1/transaction/close';

export function signAuthorization({ appId, appSecret, mchId }, body, key = Buffer.from(appSecret)) {
  const timestamp = String(Date.now());
  const nonce = randomBytes(16).toString('hex').toUpperCase();
  const cipher = createCipheriv('aes-256-ecb', key, null);
  const text = `${PATH}\n${timestamp}\n${nonce}\n${body}`;
  const signature = Buffer.concat([cipher.update(text, 'utf8'), cipher.final()]).toString('base64');
  return `TTPAY-AES-256-ECB app_id=${appId},mch_id=${mchId},nonce_str=${nonce},timestamp=${timestamp},signature=${signature}`;
}

export function createReferenceClient(options) {
  const key = Buffer.from(options.appSecret);
  return {
    async closeOrder(transactionId) {
      const body = JSON.stringify({ app_id: options.appId, mch_id: options.mchId, transaction_id: transactionId });
      const res = await fetch(options.baseUrl + PATH, {
        method: 'POST',
        headers: {
          authorization: signAuthorization(options, body, key),
          'content-type': 'application/json',
          app_id: options.appId,
          'user-agent': 'reference/1.0',
        },
        body,
      });
      const text = await res.text();
      if (!res.ok) throw new Error(`HTTP ${res.status}`);
      // TTPay's documented example ends with a trailing comma: tolerate it as the SDK does.
      const reply = JSON.parse(text.replace(/,\s*([}\]])/g, '$1'));
      const sig = res.headers.get('ttpay-signature');
      if (sig) {
        const d = createDecipheriv('aes-256-ecb', key, null);
        const plain = Buffer.concat([d.update(Buffer.from(sig, 'base64')), d.final()]).toString();
        const expected = `${res.headers.get('ttpay-timestamp')}\n${res.headers.get('ttpay-nonce')}\n${text}`;
        if (plain !== expected) throw new Error('reply signature mismatch');
      }
      if (reply.code !== 0) throw new Error(`TTPay code ${reply.code}`);
      return { code: 0, msg: reply.msg, requestId: reply.request_id, httpStatus: res.status };
    },
  };
}
