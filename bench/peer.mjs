// The like-for-like peer: a close-order client in plain JavaScript, written the way a merchant
// would, doing what the SDK does per call — the request signed with AES-256-ECB, a timeout per
// call (an AbortController and a timer, armed until the body is read), and the reply's signature
// verified: TTPay-Signature base64-decoded and AES-256-ECB-decrypted with the secret, its lines
// compared with `<TTPay-Timestamp>\n<TTPay-Nonce>\n<body>`, the timestamp within 5 minutes.
// (No replay cache of reply nonces, which the SDK keeps.) node:crypto, which Node, Deno and Bun
// all provide, so every runtime driver loads this one module.
import { Buffer } from 'node:buffer';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const PATH = '/v1/transaction/close';
const WINDOW_MS = 5 * 60 * 1000;

// `sign(body)`, when given, makes the Authorization header instead of `authorization` below: how
// bench/shell.mjs measures this same JavaScript shell with the request signed by the SDK's wasm.
export function createPeerClient({ appId, appSecret, mchId, baseUrl = 'https://api.ttpay.io', timeoutMs = 10_000, fetch = globalThis.fetch, sign }) {
  const key = Buffer.from(appSecret, 'utf8');
  if (key.length !== 32) throw new Error('appSecret must be 32 bytes');
  const url = baseUrl + PATH;

  function authorization(body) {
    const timestamp = String(Date.now());
    const nonce = randomBytes(16).toString('hex').toUpperCase();
    const cipher = createCipheriv('aes-256-ecb', key, null);
    const signature = Buffer.concat([cipher.update(`${PATH}\n${timestamp}\n${nonce}\n${body}`, 'utf8'), cipher.final()]).toString('base64');
    return `TTPAY-AES-256-ECB app_id=${appId},mch_id=${mchId},nonce_str=${nonce},timestamp=${timestamp},signature=${signature}`;
  }

  /** true: verified; false: unsigned; throws on any mismatch. */
  function verify(headers, text) {
    const sig = headers.get('ttpay-signature');
    const ts = headers.get('ttpay-timestamp');
    const nonce = headers.get('ttpay-nonce');
    if (sig === null && ts === null && nonce === null) return false;
    if (sig === null || ts === null || nonce === null) throw new Error('reply signature headers incomplete');
    let plain;
    try {
      const d = createDecipheriv('aes-256-ecb', key, null);
      plain = Buffer.concat([d.update(Buffer.from(sig, 'base64')), d.final()]).toString('utf8');
    } catch {
      throw new Error('reply signature undecryptable');
    }
    if (plain !== `${ts}\n${nonce}\n${text}`) throw new Error('reply signature mismatch');
    const tsMs = ts.length <= 10 ? Number(ts) * 1000 : Number(ts);
    if (!(Math.abs(Date.now() - tsMs) <= WINDOW_MS)) throw new Error('reply timestamp outside the window');
    return true;
  }

  return {
    async closeOrder(transactionId) {
      const body = JSON.stringify({ app_id: appId, mch_id: mchId, transaction_id: transactionId });
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), timeoutMs);
      try {
        const res = await fetch(url, {
          method: 'POST',
          headers: { authorization: (sign ?? authorization)(body), 'content-type': 'application/json', app_id: appId, 'user-agent': 'peer/1.0' },
          body,
          signal: controller.signal,
          redirect: 'manual',
        });
        const text = await res.text();
        const verified = verify(res.headers, text);
        if (res.status < 200 || res.status > 299) throw new Error(`HTTP ${res.status}`);
        // TTPay's documented example ends with a trailing comma: tolerate it as the SDK does.
        const reply = JSON.parse(text.replace(/,\s*([}\]])/g, '$1'));
        if (reply.code !== 0) throw new Error(`TTPay code ${reply.code}`);
        return { code: 0, msg: reply.msg, requestId: reply.request_id, httpStatus: res.status, verified };
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
