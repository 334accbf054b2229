// The Workers bench, peer side: a hand-written TTPay close-order client with WebCrypto alone, as a
// merchant would write it. WebCrypto has no AES-ECB, so each block is AES-CBC-encrypted alone
// with a zero IV (E(P ⊕ 0) = E(P)); to decrypt, one AES-CBC decryption with a zero IV of the
// ciphertext plus one block E(16 × 0x10 ⊕ Cn) (encrypting nothing with Cn as IV), which makes the
// padding check pass, gives D(Ci) ⊕ C(i-1), undone block by block. Same work per call as the SDK:
// signed request, per-call timeout, reply signature decrypted and compared, timestamp window.
const PATH = '/v1/transaction/close';
const WINDOW_MS = 300_000;
const ZERO = new Uint8Array(16);
const CBC = (iv) => ({ name: 'AES-CBC', iv });
const utf8 = new TextEncoder();
const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const unb64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
let keyPromise;

async function ecbEncrypt(key, plain) {
  const pad = 16 - (plain.length % 16);
  const data = new Uint8Array(plain.length + pad).fill(pad, plain.length);
  data.set(plain);
  const blocks = [];
  for (let i = 0; i < data.length; i += 16) blocks.push(crypto.subtle.encrypt(CBC(ZERO), key, data.subarray(i, i + 16)));
  (await Promise.all(blocks)).forEach((c, i) => data.set(new Uint8Array(c, 0, 16), i * 16));
  return data;
}

async function ecbDecrypt(key, data) {
  if (data.length === 0 || data.length % 16) throw new Error('bad signature length');
  const last = data.subarray(data.length - 16);
  const tail = new Uint8Array(await crypto.subtle.encrypt(CBC(last), key, new Uint8Array(0)));
  const all = new Uint8Array(data.length + 16);
  all.set(data);
  all.set(tail, data.length);
  const out = new Uint8Array(await crypto.subtle.decrypt(CBC(ZERO), key, all));
  for (let i = out.length - 1; i >= 16; i--) out[i] ^= data[i - 16];
  const pad = out[out.length - 1];
  if (pad < 1 || pad > 16 || out.subarray(out.length - pad).some((b) => b !== pad)) throw new Error('bad padding');
  return out.subarray(0, out.length - pad);
}

export default {
  async fetch(request, env) {
    keyPromise ??= crypto.subtle.importKey('raw', utf8.encode(env.TTPAY_APP_SECRET), 'AES-CBC', false, ['encrypt', 'decrypt']);
    const key = await keyPromise;
    const transactionId = new URL(request.url).searchParams.get('transactionId') ?? undefined;
    const body = JSON.stringify({ app_id: env.TTPAY_APP_ID, mch_id: env.TTPAY_MCH_ID, transaction_id: transactionId });
    const ts = String(Date.now());
    const nonce = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
    const sig = b64(await ecbEncrypt(key, utf8.encode(`${PATH}\n${ts}\n${nonce}\n${body}`)));
    const authorization = `TTPAY-AES-256-ECB app_id=${env.TTPAY_APP_ID},mch_id=${env.TTPAY_MCH_ID},nonce_str=${nonce},timestamp=${ts},signature=${sig}`;
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 10_000);
    try {
      const headers = { authorization, 'content-type': 'application/json', app_id: env.TTPAY_APP_ID, 'user-agent': 'peer/1.0' };
      const res = await fetch(env.TTPAY_BASE_URL + PATH, { method: 'POST', headers, body, signal: controller.signal, redirect: 'manual' });
      const text = await res.text();
      const [rSig, rTs, rNonce] = ['ttpay-signature', 'ttpay-timestamp', 'ttpay-nonce'].map((h) => res.headers.get(h));
      if (!rSig || !rTs || !rNonce) throw new Error('reply not signed');
      const plain = new TextDecoder().decode(await ecbDecrypt(key, unb64(rSig)));
      if (plain !== `${rTs}\n${rNonce}\n${text}`) throw new Error('reply signature mismatch');
      if (!(Math.abs(Date.now() - Number(rTs)) <= WINDOW_MS)) throw new Error('reply timestamp outside the window');
      const reply = JSON.parse(text.replace(/,\s*([}\]])/g, '$1'));
      if (res.status !== 200 || reply.code !== 0) throw new Error(`TTPay ${res.status} code ${reply.code}`);
      return Response.json({ code: 0, msg: reply.msg, requestId: reply.request_id, httpStatus: res.status, verified: true });
    } finally {
      clearTimeout(timer);
    }
  },
};
