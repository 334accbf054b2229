// closeOrder through the built package (imported by name) against the mock TTPay server.
import assert from 'node:assert/strict';
import { createDecipheriv } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { TTPayClient, closeOrder } from 'ttpay-wasm';
import { DEMO_APP, assertTTPayError, assertNoSecret, clientFor, mockFor, rejection } from './helpers.mjs';

const version = JSON.parse(readFileSync(new URL('../../pkg/package.json', import.meta.url))).version;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

test('closing a NOTPAY order resolves to the typed result and the order is CLOSED', async (t) => {
  const mock = await mockFor(t);
  assert.equal(mock.order('order-1001').state, 'NOTPAY');
  const result = await clientFor(mock).closeOrder({ transactionId: 'order-1001' });
  assert.deepEqual(Object.keys(result).sort(), ['attempts', 'code', 'httpStatus', 'msg', 'requestId', 'verified']);
  assert.equal(result.attempts, 1);
  assert.equal(result.verified, true, "the mock signs its replies and the client checked the signature");
  assert.equal(result.code, 0);
  assert.equal(result.msg, 'success');
  assert.match(result.requestId, UUID);
  assert.equal(result.httpStatus, 200);
  assert.equal(mock.order('order-1001').state, 'CLOSED');
  assert.equal(mock.order('order-1002').state, 'NOTPAY', 'other orders untouched');
});

test('closing the same order again answers code 0 and closes nothing twice', async (t) => {
  const mock = await mockFor(t);
  const client = clientFor(mock);
  const first = await client.closeOrder({ transactionId: 'order-1002' });
  const second = await client.closeOrder({ transactionId: 'order-1002' });
  assert.equal(second.code, 0);
  assert.notEqual(first.requestId, second.requestId);
  assert.equal(mock.order('order-1002').state, 'CLOSED');
  assert.equal(mock.order('order-1002').closedCount, 1);
});

test('a paid order cannot be closed: api error 20005, order stays SUCCESS', async (t) => {
  const mock = await mockFor(t);
  const err = await rejection(clientFor(mock).closeOrder({ transactionId: 'order-2001' }));
  assertTTPayError(err, 'api', { code: 20005, httpStatus: 200, retryable: false });
  assert.match(err.msg, /paid/);
  assert.match(err.requestId, UUID);
  assert.match(err.message, /20005/);
  assert.equal(mock.order('order-2001').state, 'SUCCESS');
});

test('an unknown order is an api error 12002', async (t) => {
  const mock = await mockFor(t);
  const err = await rejection(clientFor(mock).closeOrder({ transactionId: 'no-such-order' }));
  assertTTPayError(err, 'api', { code: 12002, retryable: false });
});

test('the request on the wire: headers, exact body bytes, a signature that decrypts', async (t) => {
  const mock = await mockFor(t);
  const client = clientFor(mock);
  await client.closeOrder({ transactionId: 'order-1001' });
  await client.closeOrder({ transactionId: 'order-1001' });
  const [a, b] = mock.requests();
  assert.equal(a.method, 'POST');
  assert.equal(a.url, '/v1/transaction/close');
  assert.equal(a.body, '{"app_id":"ttpay-demo-app","mch_id":"100001","transaction_id":"order-1001"}');
  assert.equal(a.headers['content-type'], 'application/json');
  assert.equal(a.headers.app_id, DEMO_APP.appId);
  assert.equal(a.headers['user-agent'], `ttpay-wasm/${version}`);
  const re =
    /^TTPAY-AES-256-ECB app_id=ttpay-demo-app,mch_id=100001,nonce_str=([0-9A-F]{32}),timestamp=(\d{13}),signature=([A-Za-z0-9+/]+=*)$/;
  const [, nonce, timestamp, signature] = re.exec(a.headers.authorization) ?? assert.fail(a.headers.authorization);
  assert.ok(Math.abs(Number(timestamp) - Date.now()) < 60_000, 'a current millisecond timestamp');
  const d = createDecipheriv('aes-256-ecb', Buffer.from(DEMO_APP.appSecret), null);
  const plain = Buffer.concat([d.update(Buffer.from(signature, 'base64')), d.final()]).toString();
  assert.equal(plain, `/v1/transaction/close\n${timestamp}\n${nonce}\n${a.body}`);
  const [, nonce2] = re.exec(b.headers.authorization);
  assert.notEqual(nonce, nonce2, 'a fresh nonce on every request');
  assert.equal(b.body, a.body);
});

test("timestampUnit 's' signs a 10-digit timestamp the mock accepts", async (t) => {
  const mock = await mockFor(t);
  const result = await clientFor(mock, { timestampUnit: 's' }).closeOrder({ transactionId: 'order-1003' });
  assert.equal(result.code, 0);
  assert.match(mock.requests()[0].headers.authorization, /,timestamp=\d{10},/);
});

test('a per-call mchId travels in body and header; the mock refuses one not of this app', async (t) => {
  const mock = await mockFor(t);
  const err = await rejection(clientFor(mock).closeOrder({ transactionId: 'order-1001', mchId: '999' }));
  assertTTPayError(err, 'api', { code: 103 });
  assert.match(mock.requests()[0].body, /"mch_id":"999"/);
  assert.match(mock.requests()[0].headers.authorization, /,mch_id=999,/);
  assert.equal(mock.order('order-1001').state, 'NOTPAY');
});

test('the one-shot closeOrder function closes an order', async (t) => {
  const mock = await mockFor(t);
  const result = await closeOrder({ ...DEMO_APP, baseUrl: mock.url, transactionId: 'order-1003' });
  assert.equal(result.code, 0);
  assert.equal(mock.order('order-1003').state, 'CLOSED');
});

test('a wrong secret is refused by the server: api 103, order untouched', async (t) => {
  const mock = await mockFor(t);
  const wrong = 'x'.repeat(32);
  const err = await rejection(clientFor(mock, { appSecret: wrong }).closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(err, 'api', { code: 103 });
  assertNoSecret(err, wrong);
  assert.equal(mock.order('order-1001').state, 'NOTPAY');
});

test('a server clock 10 minutes off refuses the timestamp: api 104', async (t) => {
  const mock = await mockFor(t, { clockOffsetMs: 10 * 60 * 1000 });
  const err = await rejection(clientFor(mock).closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(err, 'api', { code: 104, retryable: true });
  assert.equal(mock.order('order-1001').state, 'NOTPAY');
});

test('the mock catches a client that signs one body and sends another: api 103', async (t) => {
  const mock = await mockFor(t);
  const tampering = (url, init) =>
    fetch(url, { ...init, body: init.body.replace('order-1001', 'order-1002') });
  const err = await rejection(clientFor(mock, { fetch: tampering }).closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(err, 'api', { code: 103 });
  assert.equal(mock.requests()[0].body.includes('order-1002'), true, 'the altered body reached the mock');
  assert.equal(mock.order('order-1001').state, 'NOTPAY');
  assert.equal(mock.order('order-1002').state, 'NOTPAY');
});

test('neither the client nor its JSON shows the secret', async (t) => {
  const mock = await mockFor(t);
  const client = clientFor(mock);
  assert.deepEqual(JSON.parse(JSON.stringify(client)), { appId: DEMO_APP.appId, mchId: DEMO_APP.mchId, baseUrl: mock.url });
  assertNoSecret(client);
  assert.ok(client instanceof TTPayClient);
});
