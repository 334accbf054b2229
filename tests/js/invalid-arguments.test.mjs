// Bad input: a TTPayError of kind 'invalid_argument' whose message starts with the field's name,
// raised before any request leaves (the mock counts every request it receives).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TTPayClient, closeOrder } from 'ttpay-wasm';
import { DEMO_APP, assertTTPayError, clientFor, mockFor, rejection, thrown } from './helpers.mjs';

const constructorCases = [
  ['appSecret', { appSecret: 'too-short' }, /exactly 32 bytes/],
  ['appSecret', { appSecret: 'é'.repeat(31) }, /exactly 32 bytes/], // 31 characters, 62 bytes
  ['appSecret', { appSecret: undefined }, /is required/],
  ['appSecret', { appSecret: 12345 }, /must be a string/],
  ['appId', { appId: undefined }, /is required/],
  ['appId', { appId: '' }, /must not be empty/],
  ['appId', { appId: 42 }, /must be a string \(got number\)/],
  ['appId', { appId: 'a\r\nX-Injected: 1' }, /control characters/],
  ['appId', { appId: 'a'.repeat(129) }, /at most 128/],
  ['mchId', { mchId: undefined }, /is required/],
  ['mchId', { mchId: '' }, /must not be empty/],
  ['mchId', { mchId: null }, /got null/],
  ['mchId', { mchId: '1,timestamp=1' }, /without spaces, commas or `=`/],
  ['mchId', { mchId: -1 }, /a whole number from 0 to 2\^53 - 1/],
  ['mchId', { mchId: 1.5 }, /a whole number from 0 to 2\^53 - 1/],
  ['appId', { appId: 'a=b' }, /without spaces, commas or `=`/],
  ['mchId', { mchId: 'm\u0000' }, /control characters/],
  ['baseUrl', { baseUrl: 'http://api.ttpay.io' }, /https/],
  ['baseUrl', { baseUrl: 'not a url' }, /absolute https/],
  ['baseUrl', { baseUrl: 'https://user:pw@api.ttpay.io' }, /user information/],
  ['timeoutMs', { timeoutMs: 0 }, /positive finite/],
  ['timeoutMs', { timeoutMs: -5 }, /positive finite/],
  ['timeoutMs', { timeoutMs: Infinity }, /positive finite/],
  ['timeoutMs', { timeoutMs: NaN }, /positive finite/],
  ['timeoutMs', { timeoutMs: '1000' }, /must be a number/],
  ['timestampUnit', { timestampUnit: 'ns' }, /'ms' or 's'/],
  ['userAgent', { userAgent: 'bad\nagent' }, /printable ASCII/],
  ['fetch', { fetch: 'not-a-function' }, /must be a function/],
  ['appSecert', { appSecert: 'typo' }, /unknown option \(did you mean `appSecret`\?\)/],
  ['timeout', { timeout: 5 }, /unknown option/],
];

for (const [field, patch, rule] of constructorCases) {
  test(`new TTPayClient refuses ${field}: ${JSON.stringify(patch).slice(0, 60)}`, async (t) => {
    const mock = await mockFor(t);
    const options = { ...DEMO_APP, baseUrl: mock.url, ...patch };
    const err = thrown(() => new TTPayClient(options));
    assertTTPayError(err, 'invalid_argument', { retryable: false });
    assert.ok(err.message.startsWith(`${field}: `), err.message);
    assert.match(err.message, rule);
    // The one-shot function refuses the same options, asynchronously.
    const once = await rejection(closeOrder({ ...options, transactionId: 'order-1001' }));
    assertTTPayError(once, 'invalid_argument');
    // Same field and rule; the list of known names is longer for the one-shot function.
    assert.equal(once.message.split(';')[0], err.message.split(';')[0]);
    assert.equal(mock.stats().requests, 0, 'no request reached the mock');
  });
}

test('options that are not an object are refused', () => {
  for (const bad of [undefined, null, 'appId', 42, [DEMO_APP]]) {
    const err = thrown(() => new TTPayClient(bad));
    assertTTPayError(err, 'invalid_argument');
    assert.match(err.message, /^options: must be an object/);
  }
});

const callCases = [
  ['transactionId', [{ transactionId: '' }], /must not be empty/],
  ['transactionId', [{ transactionId: 'x'.repeat(129) }], /at most 128/],
  ['transactionId', [{ transactionId: 'a\nb' }], /control characters/],
  ['transactionId', [{ transactionId: 7 }], /must be a string/],
  ['mchId', [{ transactionId: 'order-1001', mchId: '' }], /must not be empty/],
  ['transactionID', [{ transactionID: 'order-1001' }], /did you mean `transactionId`/],
  ['params', ['order-1001'], /must be an object/],
  ['signal', [{ transactionId: 'order-1001' }, { signal: 'stop' }], /AbortSignal/],
  ['sginal', [{ transactionId: 'order-1001' }, { sginal: AbortSignal.abort() }], /did you mean `signal`/],
];

for (const [field, args, rule] of callCases) {
  test(`client.closeOrder refuses ${field}: ${JSON.stringify(args).slice(0, 60)}`, async (t) => {
    const mock = await mockFor(t);
    const err = await rejection(clientFor(mock).closeOrder(...args));
    assertTTPayError(err, 'invalid_argument');
    assert.ok(err.message.startsWith(`${field}: `), err.message);
    assert.match(err.message, rule);
    assert.equal(mock.stats().requests, 0, 'no request reached the mock');
  });
}

test('the one-shot function refuses an empty transactionId and unknown names before sending', async (t) => {
  const mock = await mockFor(t);
  const base = { ...DEMO_APP, baseUrl: mock.url };
  assertTTPayError(await rejection(closeOrder({ ...base, transactionId: '' })), 'invalid_argument');
  const err = await rejection(closeOrder({ ...base, transactionId: 'order-1001', singal: null }));
  assert.match(err.message, /^singal: unknown option \(did you mean `signal`\?\)/);
  assert.equal(mock.stats().requests, 0);
});

test('a bad argument leaves the instance usable for the next call', async (t) => {
  const mock = await mockFor(t);
  const client = clientFor(mock);
  await rejection(client.closeOrder({ transactionId: '' }));
  assert.equal((await client.closeOrder({ transactionId: 'order-1001' })).code, 0);
});

test('transactionId is required: absent, undefined or empty is refused before anything is sent', async (t) => {
  const mock = await mockFor(t);
  const client = clientFor(mock);
  for (const params of [{}, { transactionId: undefined }, { transactionId: '' }, undefined]) {
    const err = await rejection(client.closeOrder(params));
    assertTTPayError(err, 'invalid_argument', { attempts: 0 });
    assert.match(err.message, /^transactionId: (is required \(close has no other order identifier|must not be empty)/);
  }
  assertTTPayError(await rejection(closeOrder({ ...DEMO_APP, baseUrl: mock.url })), 'invalid_argument');
  assert.equal(mock.stats().requests, 0);
});

test('mchId from env-driven config as a number is sent as its digits', async (t) => {
  const mock = await mockFor(t);
  const client = new TTPayClient({ ...DEMO_APP, baseUrl: mock.url, mchId: Number(DEMO_APP.mchId), rateLimitPerSecond: null });
  assert.equal(client.toJSON().mchId, DEMO_APP.mchId);
  assert.equal((await client.closeOrder({ transactionId: 'order-1001' })).code, 0);
  assert.equal(JSON.parse(mock.requests().at(-1).body).mch_id, DEMO_APP.mchId);
  // Per call too.
  assert.equal((await client.closeOrder({ transactionId: 'order-1002', mchId: Number(DEMO_APP.mchId) })).code, 0);
});
