// The mock server's own strictness, driven by a signer written here with node:crypto, so the
// mock is checked independently of the wasm client.
import assert from 'node:assert/strict';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { DEMO_APP, mockFor } from './helpers.mjs';

const PATH = '/v1/transaction/close';

function sign(secret, text) {
  const c = createCipheriv('aes-256-ecb', Buffer.from(secret), null);
  return Buffer.concat([c.update(text), c.final()]).toString('base64');
}

/** Sends a close request; each part can be overridden to break exactly one rule. */
async function send(mock, over = {}) {
  const app = over.app ?? DEMO_APP;
  const body = over.body ?? JSON.stringify({ app_id: app.appId, mch_id: app.mchId, transaction_id: over.tx ?? 'order-1001' });
  const ts = over.timestamp ?? String(Date.now());
  const nonce = over.nonce ?? randomBytes(16).toString('hex').toUpperCase();
  const signature = sign(app.appSecret, `${PATH}\n${ts}\n${nonce}\n${over.signedBody ?? body}`);
  const auth =
    over.authorization ??
    `TTPAY-AES-256-ECB app_id=${app.appId},mch_id=${over.authMch ?? app.mchId},nonce_str=${nonce},timestamp=${ts},signature=${signature}`;
  const res = await fetch(mock.url + PATH, {
    method: 'POST',
    headers: { authorization: auth, 'content-type': 'application/json', app_id: over.appIdHeader ?? app.appId },
    body,
  });
  return { status: res.status, headers: res.headers, text: await res.text(), nonce, auth };
}
const code = (r) => JSON.parse(r.text).code;

test('a correct request closes the order and the reply is signed over timestamp, nonce and body', async (t) => {
  const mock = await mockFor(t);
  const r = await send(mock);
  assert.equal(r.status, 200);
  assert.equal(code(r), 0);
  assert.equal(mock.order('order-1001').state, 'CLOSED');
  const d = createDecipheriv('aes-256-ecb', Buffer.from(DEMO_APP.appSecret), null);
  const plain = Buffer.concat([d.update(Buffer.from(r.headers.get('ttpay-signature'), 'base64')), d.final()]).toString();
  assert.equal(plain, `${r.headers.get('ttpay-timestamp')}\n${r.headers.get('ttpay-nonce')}\n${r.text}`);
});

test('Authorization is parsed strictly: scheme, spacing, field order, quoting', async (t) => {
  const mock = await mockFor(t);
  const good = (await send(mock, { tx: 'order-1002' })).auth;
  const variants = [
    good.replace('TTPAY-AES-256-ECB ', 'ttpay-aes-256-ecb '),
    good.replace('TTPAY-AES-256-ECB ', 'TTPAY-AES-256-ECB  '),
    good.replace(',mch_id', ', mch_id'),
    good.replace(/app_id=([^,]+),mch_id=([^,]+),/, 'mch_id=$2,app_id=$1,'),
    good.replace(/nonce_str=(\w+)/, 'nonce_str="$1"'),
    good + ',extra=1',
  ];
  for (const authorization of variants) {
    const r = await send(mock, { authorization, tx: 'order-1003' });
    assert.equal(code(r), 103, authorization);
    assert.equal(r.headers.get('ttpay-signature'), null, 'refusals of unauthenticated requests are unsigned');
  }
  assert.equal(mock.order('order-1003').state, 'NOTPAY');
});

test('a reused nonce is refused with 103', async (t) => {
  const mock = await mockFor(t);
  const nonce = 'A'.repeat(32);
  assert.equal(code(await send(mock, { nonce })), 0);
  assert.equal(code(await send(mock, { nonce, tx: 'order-1002' })), 103);
  assert.equal(mock.order('order-1002').state, 'NOTPAY');
});

test('timestamps outside ±5 minutes are refused with 104; seconds are understood', async (t) => {
  const mock = await mockFor(t);
  assert.equal(code(await send(mock, { timestamp: String(Date.now() - 6 * 60_000) })), 104);
  assert.equal(code(await send(mock, { timestamp: String(Date.now() + 6 * 60_000) })), 104);
  assert.equal(code(await send(mock, { timestamp: String(Date.now() - 4 * 60_000) })), 0);
  assert.equal(code(await send(mock, { tx: 'order-1002', timestamp: String(Math.floor(Date.now() / 1000)) })), 0);
});

test('an unknown app is 20000; a bad signature or a body that is not the signed one is 103', async (t) => {
  const mock = await mockFor(t);
  const stranger = { appId: 'stranger', appSecret: 'z'.repeat(32), mchId: '1' };
  assert.equal(code(await send(mock, { app: stranger })), 20000);
  assert.equal(code(await send(mock, { app: { ...DEMO_APP, appSecret: 'y'.repeat(32) } })), 103);
  const signedBody = JSON.stringify({ app_id: DEMO_APP.appId, mch_id: DEMO_APP.mchId, transaction_id: 'order-1002' });
  assert.equal(code(await send(mock, { signedBody })), 103);
  assert.equal(mock.order('order-1001').state, 'NOTPAY');
});

test('app_id and mch_id must agree between header, Authorization and body; mch_id is required', async (t) => {
  const mock = await mockFor(t);
  const body = (o) => JSON.stringify(o);
  assert.equal(code(await send(mock, { appIdHeader: 'other' })), 103);
  assert.equal(code(await send(mock, { body: body({ app_id: 'other', mch_id: DEMO_APP.mchId, transaction_id: 'order-1001' }) })), 103);
  assert.equal(code(await send(mock, { body: body({ app_id: DEMO_APP.appId, mch_id: '999', transaction_id: 'order-1001' }) })), 103);
  assert.equal(code(await send(mock, { body: body({ app_id: DEMO_APP.appId, transaction_id: 'order-1001' }) })), 11003);
  assert.equal(code(await send(mock, { body: body({ app_id: DEMO_APP.appId, mch_id: DEMO_APP.mchId }) })), 11003);
  assert.equal(code(await send(mock, { authMch: '999' })), 103);
  assert.equal(mock.order('order-1001').state, 'NOTPAY');
});

test('orders: paid cannot close (20005), unknown is 12002, closing twice is 0', async (t) => {
  const mock = await mockFor(t);
  assert.equal(code(await send(mock, { tx: 'order-2001' })), 20005);
  assert.equal(code(await send(mock, { tx: 'missing' })), 12002);
  assert.equal(code(await send(mock, { tx: 'order-1003' })), 0);
  assert.equal(code(await send(mock, { tx: 'order-1003' })), 0);
  assert.equal(mock.order('order-1003').closedCount, 1);
  const state = await (await fetch(`${mock.url}/_mock/orders/order-1003`)).json();
  assert.equal(state.state, 'CLOSED');
});

test('reset() and POST /_mock/reset bring back the seeded orders; setOrder() and POST /_mock/orders seed one', async (t) => {
  const mock = await mockFor(t);
  const { TTPayClient } = await import('ttpay-wasm');
  const client = new TTPayClient({ ...DEMO_APP, baseUrl: mock.url, rateLimitPerSecond: null });
  await client.closeOrder({ transactionId: 'order-1001' });
  assert.equal(mock.order('order-1001').state, 'CLOSED');
  mock.injectFault({ mode: 'html-502', times: -1 });
  mock.reset();
  assert.equal(mock.order('order-1001').state, 'NOTPAY');
  assert.deepEqual(mock.stats(), { requests: 0, apiRequests: 0, faults: 0 });
  assert.equal((await client.closeOrder({ transactionId: 'order-1001' })).code, 0, 'the fault went with the reset');
  mock.setOrder({ transactionId: 'mine-1', state: 'SUCCESS' });
  assert.equal(mock.order('mine-1').state, 'SUCCESS');
  assert.throws(() => mock.setOrder({ transactionId: 'x', state: 'PAID' }), RangeError);
  assert.throws(() => mock.setOrder({ transactionId: '' }), TypeError);
  const post = (path, body) => fetch(`${mock.url}${path}`, { method: 'POST', body: body === undefined ? undefined : JSON.stringify(body) });
  assert.equal((await post('/_mock/orders', { transactionId: 'mine-2' })).status, 204);
  assert.equal(mock.order('mine-2').state, 'NOTPAY');
  assert.equal((await post('/_mock/orders', { transactionId: 'mine-3', state: 'nope' })).status, 400);
  assert.equal((await post('/_mock/reset')).status, 204);
  assert.equal(mock.order('mine-2'), undefined);
  assert.equal(mock.order('order-1001').state, 'NOTPAY');
});

test('a stalled response is let go when its client goes away', async (t) => {
  const mock = await mockFor(t);
  mock.injectFault({ mode: 'stall-headers', times: -1 });
  const { TTPayClient } = await import('ttpay-wasm');
  const client = new TTPayClient({ ...DEMO_APP, baseUrl: mock.url, rateLimitPerSecond: null, maxRetries: 0, timeoutMs: 100 });
  for (let i = 0; i < 20; i++) await client.closeOrder({ transactionId: 'order-1001' }).catch(() => {});
  // The client's timeout aborted each request; the mock must not hold them until close().
  // (fetch may keep the socket of the last aborted request a little longer before closing it.)
  for (let waited = 0; mock.stalledCount() > 0 && waited < 10_000; waited += 50) await new Promise((r) => setTimeout(r, 50));
  assert.equal(mock.stalledCount(), 0);
});
