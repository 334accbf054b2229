// The client tried as an attacker would, through the built package: a man in the middle between
// the client and the mock, hostile and odd inputs, a polluted prototype. Each test is one promise
// of the README: a typed result or a typed error, never a forged success, a hang, an exception
// that breaks the wasm instance, or a leaked secret.
import assert from 'node:assert/strict';
import { createCipheriv, randomBytes, randomUUID } from 'node:crypto';
import { getEventListeners } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { TTPayClient, TTPayError, closeOrder, diagnostics } from 'ttpay-wasm';
import {
  DEMO_APP,
  assertTTPayError,
  cannedFetch,
  clientFor,
  mockFor,
  rejection,
  thrown,
} from './helpers.mjs';

const VECTORS = JSON.parse(readFileSync(new URL('../../../shared/ttpay/vectors.json', import.meta.url), 'utf8')).vectors;

function sign(secret, text) {
  const c = createCipheriv('aes-256-ecb', Buffer.from(secret, 'utf8'), null);
  return Buffer.concat([c.update(Buffer.from(text, 'utf8')), c.final()]).toString('base64');
}

/** Signed reply headers over `signedText`, as TTPay (who holds the secret) would send them. */
function signedHeaders(signedText, secret = DEMO_APP.appSecret) {
  const ts = String(Date.now());
  const nonce = randomBytes(16).toString('hex');
  return {
    'content-type': 'application/json',
    'ttpay-timestamp': ts,
    'ttpay-nonce': nonce,
    'ttpay-signature': sign(secret, `${ts}\n${nonce}\n${signedText}`),
  };
}

/**
 * A man in the middle on 127.0.0.1: forwards each request to `target` and lets `rewrite` change
 * the reply ({ status, headers, body } in, the same out; `forward` sends a request on).
 */
async function mitm(t, target, rewrite) {
  const server = createServer(async (req, res) => {
    const chunks = [];
    for await (const c of req) chunks.push(c);
    const forward = async () => {
      const r = await fetch(target + req.url, { method: req.method, headers: req.headers, body: Buffer.concat(chunks) });
      return { status: r.status, headers: Object.fromEntries(r.headers), body: await r.text(), request: Buffer.concat(chunks).toString() };
    };
    const out = await rewrite(forward, JSON.parse(Buffer.concat(chunks).toString() || '{}'));
    const headers = { ...out.headers };
    delete headers['content-length'];
    delete headers['transfer-encoding'];
    res.writeHead(out.status, headers);
    res.end(out.body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => new Promise((r) => server.close(r)));
  return `http://127.0.0.1:${server.address().port}`;
}

// ---- Reply verification cannot be rearranged into a success ----

test("a signed 20005 moved under data of an unsigned code 0 is refused, and the order stays paid", async (t) => {
  const mock = await mockFor(t);
  const proxy = await mitm(t, mock.url, async (forward) => {
    const real = await forward();
    assert.equal(JSON.parse(real.body).code, 20005, 'the mock answers a paid order with a signed 20005');
    assert.ok(real.headers['ttpay-signature'], 'signed');
    const body = `{"code":0,"msg":"success","request_id":"forged","data":${real.body}}`;
    return { ...real, body };
  });
  for (const verifyResponses of ['auto', 'require']) {
    const err = await rejection(
      clientFor(mock, { baseUrl: proxy, verifyResponses, maxRetries: 0 }).closeOrder({ transactionId: 'order-2001' }),
    );
    assertTTPayError(err, 'signature', { retryable: false, code: 0 });
    assert.match(err.message, /^the reply claims success \(code 0\).*unverified.*whole TTPay reply/);
  }
  assert.equal(mock.order('order-2001').state, 'SUCCESS');
});

test('a data-only signature for another order is refused; for this order it verifies', async (t) => {
  const mock = await mockFor(t);
  let about = 'order-9999';
  const proxy = await mitm(t, mock.url, async (forward) => {
    await forward();
    // What TTPay signs when it signs `data` alone, about the order `about`.
    const data = `{"transaction_id":"${about}","trade_state":"CLOSED"}`;
    const body = `{"code":0,"msg":"ok","request_id":"${randomUUID()}","data":${data}}`;
    return { status: 200, headers: signedHeaders(data), body };
  });
  const client = clientFor(mock, { baseUrl: proxy, verifyResponses: 'require', maxRetries: 0 });
  const err = await rejection(client.closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(err, 'signature', { code: 0 });
  assert.match(err.message, /another order/);
  about = 'order-1002';
  const ok = await client.closeOrder({ transactionId: 'order-1002' });
  assert.equal(ok.verified, true);
});

test('a genuine reply replayed inside the window is refused as a replay', async (t) => {
  const mock = await mockFor(t);
  let captured;
  const proxy = await mitm(t, mock.url, async (forward) => {
    if (captured) return captured; // later requests never reach TTPay
    captured = await forward();
    return captured;
  });
  const client = clientFor(mock, { baseUrl: proxy, maxRetries: 0 });
  assert.equal((await client.closeOrder({ transactionId: 'order-1001' })).verified, true);
  // The same order closed again (a retry by the application): the captured reply is a replay.
  const err = await rejection(client.closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(err, 'signature', { code: 0 });
  assert.match(err.message, /seen before/);
  // Another client of the same instance is not fooled either, nor is a close of another order.
  const other = await rejection(clientFor(mock, { baseUrl: proxy, maxRetries: 0 }).closeOrder({ transactionId: 'order-1002' }));
  assertTTPayError(other, 'signature');
  assert.equal(mock.order('order-1002').state, 'NOTPAY', 'the replay did not stand in for a close');
});

test('one or two of the three signature headers stripped: a signature error, not an unsigned success', async (t) => {
  const mock = await mockFor(t);
  const names = ['ttpay-timestamp', 'ttpay-nonce', 'ttpay-signature'];
  const strips = [[0], [1], [2], [0, 1], [0, 2], [1, 2]];
  let strip;
  const proxy = await mitm(t, mock.url, async (forward) => {
    const real = await forward();
    for (const i of strip) delete real.headers[names[i]];
    return real;
  });
  for (const [n, s] of strips.entries()) {
    strip = s;
    const id = ['order-1001', 'order-1002', 'order-1003'][n % 3];
    const err = await rejection(clientFor(mock, { baseUrl: proxy, maxRetries: 0 }).closeOrder({ transactionId: id }));
    assertTTPayError(err, 'signature');
    assert.match(err.message, /incomplete/);
  }
  // All three stripped is an unsigned reply, accepted under 'auto' as unverified.
  strip = [0, 1, 2];
  const ok = await clientFor(mock, { baseUrl: proxy }).closeOrder({ transactionId: 'order-1001' });
  assert.equal(ok.verified, false);
});

test("under 'require', a proxy's unsigned 502 is an http error retried as such", async (t) => {
  const mock = await mockFor(t);
  let n = 0;
  const proxy = await mitm(t, mock.url, async (forward) => {
    n += 1;
    if (n === 1) return { status: 502, headers: { 'content-type': 'text/html' }, body: '<h1>502 Bad Gateway</h1>' };
    return forward();
  });
  const once = await rejection(
    clientFor(mock, { baseUrl: proxy, verifyResponses: 'require', maxRetries: 0 }).closeOrder({ transactionId: 'order-1001' }),
  );
  assertTTPayError(once, 'http', { httpStatus: 502, retryable: true });
  const retried = await clientFor(mock, { baseUrl: proxy, verifyResponses: 'require', maxRetries: 1 }).closeOrder({
    transactionId: 'order-1001',
  });
  assert.deepEqual([retried.verified, retried.attempts], [true, 1]);
});

test('a mistyped appSecret reads as TTPay’s 103 with what to check, in the first line', async (t) => {
  const mock = await mockFor(t);
  const wrong = { appSecret: 'demo-secret-0123456789abcdefghiJ' };
  const auto = await rejection(clientFor(mock, { ...wrong, maxRetries: 0 }).closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(auto, 'api', { code: 103 });
  assert.match(auto.message.split('\n')[0], /^TTPay refused the request: code 103 \(invalid signature; check appSecret/);
  const required = await rejection(
    clientFor(mock, { ...wrong, verifyResponses: 'require', maxRetries: 0 }).closeOrder({ transactionId: 'order-1001' }),
  );
  assertTTPayError(required, 'signature', { code: 103 });
  assert.equal(typeof required.msg, 'string');
  assert.match(required.message.split('\n')[0], /^TTPay refused the request: code 103 \(invalid signature; check appSecret.*unverified/);
  assert.equal(mock.order('order-1001').state, 'NOTPAY');
});

test('every forged-response vector is refused and every response vector verifies, through the package', async (t) => {
  const realNow = Date.now;
  t.after(() => {
    Date.now = realNow;
  });
  const run = async (v, transactionId) => {
    Date.now = () => Number(v.ttpay_timestamp) + 1_000; // the wasm reads the JS clock
    const fetch = cannedFetch(
      () =>
        new Response(v.body, {
          headers: { 'ttpay-timestamp': v.ttpay_timestamp, 'ttpay-nonce': v.ttpay_nonce, 'ttpay-signature': v.signature },
        }),
    );
    const client = new TTPayClient({
      appId: 'app',
      mchId: 'm',
      appSecret: v.app_secret,
      fetch,
      rateLimitPerSecond: null,
      maxRetries: 0,
      verifyResponses: 'require',
    });
    return client.closeOrder({ transactionId });
  };
  const forged = VECTORS.filter((v) => v.kind === 'forged-response');
  assert.ok(forged.length >= 2);
  for (const v of forged) {
    assertTTPayError(await rejection(run(v, v.request_transaction_id)), 'signature', { retryable: false });
  }
  // Two response vectors share one TTPay-Nonce: in one process, the second is a replay.
  const seen = new Set(forged.map((v) => v.ttpay_nonce));
  for (const v of VECTORS.filter((v) => v.kind === 'response')) {
    const asked = JSON.parse(v.body).data?.transaction_id ?? 'any-order';
    if (seen.has(v.ttpay_nonce)) {
      assert.match((await rejection(run(v, asked))).message, /seen before/, v.name);
    } else {
      assert.equal((await run(v, asked)).verified, true, v.name);
    }
    seen.add(v.ttpay_nonce);
  }
});

// ---- No exception crosses a wasm frame ----

const revoked = () => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
};
const throwing = (trap) => new Proxy({}, { [trap]: () => { throw new Error(`${trap} trap`); } });
const getterThrows = (field) => Object.defineProperty({}, field, { enumerable: true, get: () => { throw new Error('getter'); } });

test('hostile options, params and call options are rejected TTPayErrors naming the field, never a throw', async (t) => {
  const mock = await mockFor(t);
  const client = clientFor(mock);
  const hostile = [
    [revoked(), /could not be read/],
    [throwing('ownKeys'), /could not be read/],
  ];
  for (const [value, rule] of hostile) {
    // The constructor reports by throwing (its documented way), a TTPayError all the same.
    assert.match(assertTTPayError(thrown(() => new TTPayClient(value)), 'invalid_argument').message, /^options: /);
    let p;
    assert.doesNotThrow(() => (p = closeOrder(value)));
    assert.match(assertTTPayError(await rejection(p), 'invalid_argument').message, /^options: /);
    assert.doesNotThrow(() => (p = client.closeOrder(value)));
    assert.match(assertTTPayError(await rejection(p), 'invalid_argument').message, rule);
    assert.match((await rejection(client.closeOrder({ transactionId: 'order-1001' }, value))).message, /^options: could not be read/);
  }
  // A Proxy whose `get` throws has no own keys to read: nothing is read through it.
  const getTrap = new Proxy({ transactionId: 'order-1001' }, { get: () => { throw new Error('get trap'); } });
  assertTTPayError(await rejection(client.closeOrder(getTrap)), 'invalid_argument');
  const tx = assertTTPayError(await rejection(client.closeOrder(getterThrows('transactionId'))), 'invalid_argument');
  assert.match(tx.message, /^transactionId: could not be read \(its getter threw\)/);
  const sig = assertTTPayError(
    await rejection(client.closeOrder({ transactionId: 'order-1001' }, getterThrows('signal'))),
    'invalid_argument',
  );
  assert.match(sig.message, /^signal: could not be read/);
  const opts = Object.defineProperty({ appId: 'a', mchId: 'm' }, 'appSecret', { enumerable: true, get: () => { throw new Error('x'); } });
  assert.match(thrown(() => new TTPayClient(opts)).message, /^appSecret: could not be read/);
  for (const fake of [Object.create(AbortSignal.prototype), { aborted: 'no' }, new EventTarget()]) {
    const err = assertTTPayError(await rejection(client.closeOrder({ transactionId: 'order-1001' }, { signal: fake })), 'invalid_argument');
    assert.match(err.message, /^signal: must be an AbortSignal/);
  }
  assert.equal(mock.stats().requests, 0, 'nothing reached the server');
});

test('a method of a freed client rejects with a TTPayError', async (t) => {
  const mock = await mockFor(t);
  const client = clientFor(mock);
  client.free();
  client.free(); // twice is harmless
  let p;
  assert.doesNotThrow(() => (p = client.closeOrder({ transactionId: 'order-1001' })));
  assert.match(assertTTPayError(await rejection(p), 'invalid_argument').message, /^client: was freed/);
  assert.deepEqual(JSON.parse(JSON.stringify(client)).appId, DEMO_APP.appId);
  assert.equal(mock.stats().requests, 0);
});

test('10,000 rounds of exceptions through every entry point leave the instance working', async (t) => {
  const mock = await mockFor(t);
  const client = clientFor(mock, { maxRetries: 0 });
  const boom = () => { throw new Error('boom'); };
  const thrower = new TTPayClient({
    ...DEMO_APP,
    rateLimitPerSecond: null,
    maxRetries: 0,
    fetch: boom,
    hooks: { onRequest: boom, onResponse: boom, onRetry: boom },
  });
  const before = diagnostics().wasmMemoryBytes;
  for (let i = 0; i < 10_000; i++) {
    thrown(() => new TTPayClient(revoked()));
    thrown(() => new TTPayClient(throwing('ownKeys')));
    await rejection(closeOrder(revoked()));
    await rejection(client.closeOrder(revoked()));
    await rejection(client.closeOrder(getterThrows('transactionId')));
    await rejection(client.closeOrder({ transactionId: 'x' }, throwing('ownKeys')));
    await rejection(client.closeOrder({ transactionId: 'x' }, { signal: Object.create(AbortSignal.prototype) }));
    // The injected fetch and all three hooks throw: a network error, the hooks ignored.
    assertTTPayError(await rejection(thrower.closeOrder({ transactionId: 'x' })), 'network');
  }
  const ok = await client.closeOrder({ transactionId: 'order-1001' });
  assert.equal(ok.verified, true);
  assert.equal(mock.order('order-1001').state, 'CLOSED');
  // wasm-bindgen (0.2.130) keeps one externref-table slot, 4 bytes of its free list in linear
  // memory, for each exception a `catch` import returns a value through: some 8 per round here, so
  // ~320 KB, doubled by the list's reallocation. A leak of this package's own (a call, a closure,
  // an error: hundreds of bytes each) would pass 2 MB within these rounds.
  const grown = diagnostics().wasmMemoryBytes - before;
  assert.ok(grown <= 2 * 1024 * 1024, `grew ${grown} bytes over 10,000 rounds`);
});

test('an async hook that rejects is ignored like one that throws', async (t) => {
  const mock = await mockFor(t);
  const unhandled = [];
  const onUnhandled = (reason) => unhandled.push(reason);
  process.on('unhandledRejection', onUnhandled);
  t.after(() => process.off('unhandledRejection', onUnhandled));
  const reject = async () => {
    throw new Error('async hook failed');
  };
  mock.injectFault({ mode: 'html-502', times: 1 });
  const client = clientFor(mock, { hooks: { onRequest: reject, onResponse: reject, onRetry: reject } });
  const ok = await client.closeOrder({ transactionId: 'order-1001' });
  assert.equal(ok.attempts, 2);
  await new Promise((r) => setTimeout(r, 50));
  assert.deepEqual(unhandled, []);
});

// ---- Inputs ----

test('a transactionId with a lone surrogate is refused, not sent as U+FFFD', async (t) => {
  const mock = await mockFor(t);
  for (const id of ['order-\uD800', '\uDC00order', 'a\uDBFF']) {
    const err = assertTTPayError(await rejection(clientFor(mock).closeOrder({ transactionId: id })), 'invalid_argument');
    assert.match(err.message, /^transactionId: must be well-formed Unicode/);
  }
  // A real U+FFFD, and a well-formed pair, are fine (and unknown to the mock: 12002).
  for (const id of ['order-\uFFFD', 'order-\uD83D\uDE00']) {
    assertTTPayError(await rejection(clientFor(mock).closeOrder({ transactionId: id })), 'api', { code: 12002 });
  }
});

test('a 128 MB transactionId is refused by its length without growing wasm memory', async (t) => {
  const mock = await mockFor(t);
  const client = clientFor(mock);
  const huge = 'x'.repeat(128 * 1024 * 1024);
  const before = diagnostics().wasmMemoryBytes;
  const err = assertTTPayError(await rejection(client.closeOrder({ transactionId: huge })), 'invalid_argument');
  assert.match(err.message, /^transactionId: must be at most 128 characters \(got 134217728\)/);
  assertTTPayError(thrown(() => new TTPayClient({ ...DEMO_APP, baseUrl: huge })), 'invalid_argument');
  assertTTPayError(await rejection(client.closeOrder({ [huge]: 1 })), 'invalid_argument');
  assert.ok(diagnostics().wasmMemoryBytes - before < 1024 * 1024, `grew by ${diagnostics().wasmMemoryBytes - before}`);
});

test('a polluted Object.prototype changes neither where the request goes nor what it says', async (t) => {
  const mock = await mockFor(t);
  const evil = cannedFetch(() => new Response('{"code":0,"msg":"evil"}'));
  // (Not `signal`: Node's own fetch reads it from objects of its own, and breaks.)
  const polluted = { baseUrl: 'http://127.0.0.1:9/evil', fetch: evil, mchId: 'evil-mch', transactionId: 'order-1002', hooks: { onRequest: evil } };
  for (const [k, v] of Object.entries(polluted)) Object.prototype[k] = v;
  try {
    const ok = await clientFor(mock).closeOrder({ transactionId: 'order-1001' });
    assert.equal(ok.verified, true);
    assert.equal(mock.order('order-1001').state, 'CLOSED');
    assert.equal(mock.order('order-1002').state, 'NOTPAY');
    const sent = JSON.parse(mock.requests().at(-1).body);
    assert.equal(sent.mch_id, DEMO_APP.mchId);
    // No own baseUrl: the default, not the prototype's.
    const seen = cannedFetch(() => new Response('{"code":0,"msg":"ok"}'));
    await new TTPayClient({ ...DEMO_APP, fetch: seen, rateLimitPerSecond: null }).closeOrder({ transactionId: 'own' });
    assert.equal(seen.calls[0].url, 'https://api.ttpay.io/v1/transaction/close');
    assert.equal(JSON.parse(seen.calls[0].init.body).transaction_id, 'own');
    // No own transactionId: refused, not the prototype's.
    assertTTPayError(await rejection(new TTPayClient({ ...DEMO_APP, fetch: seen, rateLimitPerSecond: null }).closeOrder({})), 'invalid_argument');
    assert.equal(seen.calls.length, 1);
    assert.equal(evil.calls.length, 0);
  } finally {
    for (const k of Object.keys(polluted)) delete Object.prototype[k];
  }
});

test('baseUrl dot segments are refused before signing; plain http only for exact loopback names', () => {
  for (const baseUrl of ['https://x.example/a/..', 'https://x.example/a/%2e%2E/v1', 'https://x.example/./p', 'https://x.example/%2E']) {
    const err = assertTTPayError(thrown(() => new TTPayClient({ ...DEMO_APP, baseUrl })), 'invalid_argument');
    assert.match(err.message, /^baseUrl: must not have `.` or `..` path segments/);
  }
  for (const baseUrl of ['http://foo.localhost:8787', 'http://localhost.example', 'http://127.0.0.1.nip.io']) {
    const err = assertTTPayError(thrown(() => new TTPayClient({ ...DEMO_APP, baseUrl })), 'invalid_argument');
    assert.match(err.message, /plain http is allowed only for localhost, 127\.0\.0\.0\/8 and \[::1\]/);
  }
  for (const baseUrl of ['http://localhost:1', 'http://127.8.9.10', 'http://[::1]:2', 'https://x.example/a..b/...']) {
    assert.ok(new TTPayClient({ ...DEMO_APP, baseUrl }));
  }
});

test("the secret's bytes are not left in wasm linear memory", async (t) => {
  // The package's ESM glue and initialiser (what the browser, Deno, Bun and Worker entries load),
  // whose instance exposes its memory to this test.
  const { bind, wasmMemory } = await import('../../pkg/src/api.js');
  const glue = await import('../../pkg/dist/ttpay_wasm.js');
  const api = bind(new WebAssembly.Module(readFileSync(new URL('../../pkg/dist/ttpay_wasm_bg.wasm', import.meta.url))), globalThis.crypto);
  const memory = wasmMemory(glue.initSync());
  const mock = await mockFor(t);
  // Random secrets (the demo one shares '0123456789' with the base64 alphabet in the wasm's data).
  const secrets = [randomBytes(24).toString('base64'), randomBytes(24).toString('base64'), 'é'.repeat(15) + randomBytes(1).toString('hex')];
  for (const appSecret of secrets) {
    const key = Buffer.from(appSecret, 'utf8');
    assert.equal(key.length, 32);
    const scan = (when) => {
      const bytes = Buffer.from(memory.buffer);
      for (let i = 0; i + 8 <= key.length; i++) {
        assert.equal(bytes.indexOf(key.subarray(i, i + 8)), -1, `${when}: 8 bytes of the secret (offset ${i}) in wasm memory`);
      }
    };
    const client = new api.TTPayClient({ ...DEMO_APP, appSecret, baseUrl: mock.url, rateLimitPerSecond: null, maxRetries: 0 });
    scan('right after the client was built');
    await client.closeOrder({ transactionId: 'order-1001' }).catch(() => {});
    scan('after a call');
  }
});

test('control characters in a server msg are kept in err.msg and escaped in err.message', async () => {
  const msg = 'order absent\nINFO payment 1001 settled\r\u001b[2K\u2028';
  const fetch = cannedFetch(() => new Response(JSON.stringify({ code: 12002, msg, request_id: 'r' })));
  const err = await rejection(
    new TTPayClient({ ...DEMO_APP, fetch, rateLimitPerSecond: null, maxRetries: 0 }).closeOrder({ transactionId: 'o' }),
  );
  assertTTPayError(err, 'api', { code: 12002, msg });
  assert.ok(!/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/.test(err.message), err.message);
  assert.match(err.message, /order absent\\u\{0a\}INFO payment/);
});

test('one AbortSignal shared by many concurrent calls holds one listener and raises no warning', async (t) => {
  const mock = await mockFor(t);
  const warnings = [];
  const onWarning = (w) => warnings.push(w);
  process.on('warning', onWarning);
  t.after(() => process.off('warning', onWarning));
  const controller = new AbortController();
  const client = clientFor(mock, { maxRetries: 0 });
  mock.injectFault({ mode: 'stall-headers', times: 40 });
  const calls = Array.from({ length: 40 }, (_, i) =>
    client.closeOrder({ transactionId: `order-${i}` }, { signal: controller.signal, timeoutMs: 30_000 }).catch((e) => e),
  );
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
  controller.abort(new Error('shutting down'));
  const errors = await Promise.all(calls);
  for (const err of errors) assertTTPayError(err, 'aborted');
  assert.equal(errors[0].cause.message, 'shutting down');
  assert.equal(getEventListeners(controller.signal, 'abort').length, 0, 'every subscription was removed');
  await new Promise((r) => setImmediate(r));
  assert.deepEqual(warnings.map((w) => w.name), []);
});

test('every bad option is named in one error', () => {
  const err = assertTTPayError(
    thrown(() => new TTPayClient({ appId: 42, appSecret: 'short', mchId: '', timeoutMs: -1, bogus: 1 })),
    'invalid_argument',
  );
  for (const field of ['bogus: unknown option', 'appId: must be a string', 'appSecret: must be exactly 32 bytes', 'mchId: must not be empty', 'timeoutMs: must be a positive']) {
    assert.ok(err.message.includes(field), `${field} in: ${err.message}`);
  }
  assert.ok(err.message.startsWith('bogus: '), err.message);
});

test('TTPayError is what every rejection is, even for inputs no test above thought of', async () => {
  const odd = [Symbol('s'), 10n, () => {}, new Date(), new Map(), Object.create(null), new String('order')];
  for (const v of odd) {
    const err = await rejection(new TTPayClient({ ...DEMO_APP, rateLimitPerSecond: null }).closeOrder({ transactionId: v }));
    assert.ok(err instanceof TTPayError, String(err));
  }
});

// ---- Found by attacking the packed package ----

test('a whole-body signature over a success for another order is refused', async (t) => {
  const mock = await mockFor(t);
  let about = 'order-1002';
  const proxy = await mitm(t, mock.url, async (forward) => {
    await forward();
    // A success TTPay signed whole for order `about` (captured elsewhere, by another process,
    // so this instance's nonce table has never seen it), answered to a close of another order.
    const body = `{"code":0,"msg":"ok","request_id":"${randomUUID()}","data":{"transaction_id":"${about}","trade_state":"CLOSED"}}`;
    return { status: 200, headers: signedHeaders(body), body };
  });
  const client = clientFor(mock, { baseUrl: proxy, verifyResponses: 'require', maxRetries: 0 });
  const err = assertTTPayError(await rejection(client.closeOrder({ transactionId: 'order-1001' })), 'signature', { code: 0 });
  assert.match(err.message, /another order/);
  about = 'order-1003';
  assert.equal((await client.closeOrder({ transactionId: 'order-1003' })).verified, true);
});

/** A Response-like object whose body reader answers `read()` with `chunk()` for ever. */
function streamingReply(chunk) {
  return cannedFetch(() => ({
    status: 200,
    headers: new Headers({ 'content-type': 'application/json' }),
    body: { getReader: () => ({ read: async () => ({ done: false, value: chunk() }), cancel: async () => {} }) },
  }));
}

test('a body stream of empty chunks without end fails the call instead of starving its timers', async () => {
  const fetch = streamingReply(() => new Uint8Array(0));
  const client = new TTPayClient({ ...DEMO_APP, fetch, rateLimitPerSecond: null, maxRetries: 0 });
  const err = assertTTPayError(await rejection(client.closeOrder({ transactionId: 'order-1001' }, { timeoutMs: 60_000 })), 'network');
  assert.match(err.message, /empty chunks/);
});

test('a body chunk whose length getter throws is read by its real length, without a throw through wasm', async () => {
  class Liar extends Uint8Array {
    get length() {
      throw new Error('length getter');
    }
  }
  let sent = false;
  const body = new TextEncoder().encode('{"code":0,"msg":"ok"}');
  const fetch = cannedFetch(() => ({
    status: 200,
    headers: new Headers(),
    body: {
      getReader: () => ({
        read: async () => {
          if (sent) return { done: true };
          sent = true;
          const liar = new Liar(body.length);
          Uint8Array.prototype.set.call(liar, body);
          return { done: false, value: liar };
        },
      }),
    },
  }));
  const client = new TTPayClient({ ...DEMO_APP, fetch, rateLimitPerSecond: null, maxRetries: 0 });
  const ok = await client.closeOrder({ transactionId: 'order-1001' });
  assert.equal(ok.msg, 'ok');
});

test('a signal that keeps its listener after removeEventListener never reaches a finished call or a later one', async (t) => {
  const mock = await mockFor(t);
  const client = clientFor(mock, { maxRetries: 0 });
  // Looks like an AbortSignal, but removing a listener does nothing: it calls every listener it
  // was ever given when it fires.
  const sticky = () => {
    const listeners = [];
    return {
      listeners,
      signal: {
        aborted: false,
        reason: undefined,
        addEventListener: (type, f) => listeners.push(f),
        removeEventListener: () => {},
      },
    };
  };
  const first = sticky();
  assert.equal((await client.closeOrder({ transactionId: 'order-1001' }, { signal: first.signal })).code, 0);
  assert.equal(first.listeners.length, 1);
  // A later call on another signal takes the same slot; the stale listener fires meanwhile.
  const slow = clientFor(mock, {
    maxRetries: 0,
    fetch: async (url, init) => {
      await new Promise((r) => setTimeout(r, 200));
      return fetch(url, init);
    },
  });
  const second = sticky();
  const pending = slow.closeOrder({ transactionId: 'order-1002' }, { signal: second.signal });
  await new Promise((r) => setTimeout(r, 50));
  assert.doesNotThrow(() => first.listeners[0]());
  const ok = await pending;
  assert.equal(ok.code, 0, 'the stale listener did not abort the call on the new signal');
  assert.doesNotThrow(() => second.listeners[0]());
});

test('a polluted Object.prototype.get/set/cause breaks neither calls nor errors (import and require)', async () => {
  const { execFileSync } = await import('node:child_process');
  // Polluted after loading, as a merged request payload would (`{"__proto__": {"get": …}}`):
  // before it, Node's own module loaders break on the same pollution.
  // (Node's own streams break on it, so the reply is a plain Response-like object.)
  const probe = `
    Object.prototype.get = 'polluted'; Object.prototype.set = 'polluted';
    Object.prototype.cause = 'polluted'; Object.prototype.value = 'polluted';
    const body = new TextEncoder().encode('{"code":12002,"msg":"no such order"}');
    const fetch = async () => ({ status: 200, headers: { get: () => null }, arrayBuffer: async () => body.buffer });
    const client = new m.TTPayClient({ appId: 'a', mchId: 'm', appSecret: '${DEMO_APP.appSecret}', fetch, maxRetries: 0 });
    client.closeOrder({ transactionId: 'order-1' }).then(() => process.exit(3), (err) => {
      console.log(JSON.stringify({
        instance: err instanceof m.TTPayError, name: err.name, kind: err.kind, code: err.code,
        ownCause: Object.prototype.hasOwnProperty.call(err, 'cause'),
        classes: [m.TTPayClient.name, m.TTPayError.name],
      }));
    });`;
  const runs = [
    ['--input-type=module', '-e', `const m = await import('ttpay-wasm');${probe}`],
    ['--input-type=commonjs', '-e', `const m = require('ttpay-wasm');${probe}`],
  ];
  for (const args of runs) {
    const out = JSON.parse(execFileSync(process.execPath, args, { cwd: new URL('../..', import.meta.url), encoding: 'utf8' }));
    assert.deepEqual(out, {
      instance: true,
      name: 'TTPayError',
      kind: 'api',
      code: 12002,
      ownCause: false,
      classes: ['TTPayClient', 'TTPayError'],
    });
  }
});

test('a reply replayed after more replies than the replay table holds is still refused', async () => {
  // Genuine signed replies made on the spot (as TTPay would), far more than the table's 4,096
  // slots inside one window: a nonce it had to forget must not let an old reply pass again.
  let first = null;
  let replaying = false;
  let n = 0;
  const fetch = async () => {
    if (replaying) return new Response(first.body, { status: 200, headers: first.headers });
    const body = `{"code":0,"msg":"success","request_id":"r-${n++}"}`;
    const reply = { body, headers: signedHeaders(body) };
    first ??= reply;
    return new Response(reply.body, { status: 200, headers: reply.headers });
  };
  const client = new TTPayClient({ ...DEMO_APP, fetch, verifyResponses: 'require', rateLimitPerSecond: null, maxRetries: 0 });
  for (let i = 0; i < 10_000; i++) assert.equal((await client.closeOrder({ transactionId: 'order-1001' })).verified, true);
  // The first reply played back, timestamp, nonce and signature as TTPay sent them.
  replaying = true;
  const err = await rejection(client.closeOrder({ transactionId: 'order-1001' }));
  assertTTPayError(err, 'signature');
  assert.match(err.message, /seen before|cannot be told from a replay/);
  // Replies that keep arriving in time order still verify.
  replaying = false;
  assert.equal((await client.closeOrder({ transactionId: 'order-1001' })).verified, true);
});

test('arrayBuffer() resolving to an array-like is refused by its size at once, not copied', async () => {
  // `{ length: 2 ** 27 }` copied element by element blocked the event loop (and the timers
  // bounding the call) for seconds; it is not an ArrayBuffer, so it is refused before any copy.
  // The bound is the fault suite's: the call's deadline plus 1 s.
  {
    const client = new TTPayClient({
      ...DEMO_APP,
      rateLimitPerSecond: null,
      maxRetries: 0,
      timeoutMs: 100,
      deadlineMs: 200,
      fetch: async () => ({ status: 200, headers: new Headers(), body: null, arrayBuffer: async () => ({ length: 2 ** 27 }) }),
    });
    const started = performance.now();
    const err = await rejection(client.closeOrder({ transactionId: 'order-1001' }));
    assert.ok(err instanceof TTPayError, String(err));
    assert.match(err.message, /arrayBuffer\(\) resolved to something that is not an ArrayBuffer/);
    assert.ok(performance.now() - started < 200 + 1000, 'the call outlived its deadline');
  }
  {
    // A real ArrayBuffer over maxResponseBytes is refused by its length, never copied either.
    const big = new TTPayClient({
      ...DEMO_APP,
      rateLimitPerSecond: null,
      maxRetries: 0,
      fetch: async () => ({ status: 200, headers: new Headers(), body: null, arrayBuffer: async () => new ArrayBuffer(2 ** 27) }),
    });
    const heap = diagnostics().wasmMemoryBytes;
    const tooLarge = await rejection(big.closeOrder({ transactionId: 'order-1001' }));
    assertTTPayError(tooLarge, 'invalid_response');
    assert.match(tooLarge.message, /larger than maxResponseBytes/);
    assert.equal(diagnostics().wasmMemoryBytes, heap, 'wasm memory grew');
  }
});

// ---- A later attacker's pass over the packed package ----

/** A native promise whose own `then` throws: awaiting it the usual way runs that `then`. */
function poisonedPromise() {
  const p = Promise.resolve(undefined);
  p.then = () => {
    throw new Error('BOOM from then');
  };
  return p;
}

test("a hook or a fetch whose promise has its own throwing then neither crashes the process nor hangs the call", async (t) => {
  const mock = await mockFor(t);
  mock.injectFault({ mode: 'html-502', times: 1, transactionId: 'order-1001' });
  const hooks = { onRequest: poisonedPromise, onResponse: poisonedPromise, onRetry: poisonedPromise };
  const client = clientFor(mock, { hooks, deadlineMs: 5_000 });
  // A failed first attempt runs every hook, onRetry included.
  const ok = await client.closeOrder({ transactionId: 'order-1001' });
  assert.equal(ok.attempts, 2);
  const fetch = () => poisonedPromise();
  const err = await rejection(new TTPayClient({ ...DEMO_APP, fetch, rateLimitPerSecond: null, maxRetries: 0 }).closeOrder({ transactionId: 'x' }));
  assertTTPayError(err, 'network');
  assert.equal((await client.closeOrder({ transactionId: 'order-1002' })).code, 0, 'the instance lives on');
});

test('reply headers that cannot be read are a network error, never an unsigned success', async () => {
  const body = new TextEncoder().encode('{"code":0,"msg":"ok"}');
  const reply = (headers) => async () => ({ status: 200, headers, body: null, arrayBuffer: async () => body.buffer });
  const revokedHeaders = Proxy.revocable({}, {});
  revokedHeaders.revoke();
  for (const headers of [{ get() { throw new Error('get'); } }, revokedHeaders.proxy, throwing('get')]) {
    const client = new TTPayClient({ ...DEMO_APP, fetch: reply(headers), rateLimitPerSecond: null, maxRetries: 0 });
    const err = await rejection(client.closeOrder({ transactionId: 'x' }));
    assertTTPayError(err, 'network');
    assert.match(err.message, /headers could not be read/);
  }
  class Throwing extends Response {
    get headers() {
      throw new Error('headers getter');
    }
  }
  const sub = new TTPayClient({ ...DEMO_APP, fetch: async () => new Throwing('{"code":0}'), rateLimitPerSecond: null, maxRetries: 0 });
  assertTTPayError(await rejection(sub.closeOrder({ transactionId: 'x' })), 'network');
});

test('an options object with more own properties than any options object has is refused before they are copied', async () => {
  const huge = Object.fromEntries(Array.from({ length: 100_000 }, (_, i) => [`k${i}`, i]));
  const before = diagnostics().wasmMemoryBytes;
  const err = thrown(() => new TTPayClient({ ...DEMO_APP, ...huge }));
  assertTTPayError(err, 'invalid_argument');
  assert.match(err.message, /^options: must have at most 256 own properties \(got 100003\)/);
  const client = new TTPayClient({ ...DEMO_APP, rateLimitPerSecond: null });
  assertTTPayError(await rejection(client.closeOrder({ transactionId: 'x', ...huge })), 'invalid_argument');
  assert.equal(diagnostics().wasmMemoryBytes, before);
});

test('a polluted Object.prototype.headers or mode changes nothing the global fetch sends; body, method, referrer or dispatcher never make a success of anything but the signed request', async () => {
  const { execFileSync } = await import('node:child_process');
  // In a process of its own, with its own mock and Node's fetch loaded before the pollution, as in
  // a running service.
  const probe = (member, value) => `
    const { startMockServer, DEMO_APP } = await import('ttpay-wasm/mock');
    const m = await import('ttpay-wasm');
    const mock = await startMockServer();
    const client = new m.TTPayClient({ ...DEMO_APP, baseUrl: mock.url, rateLimitPerSecond: null, maxRetries: 0, timeoutMs: 5000 });
    await fetch(mock.url + '/_mock/stats');
    Object.prototype[${JSON.stringify(member)}] = ${JSON.stringify(value)};
    const r = await client.closeOrder({ transactionId: 'order-1001' }).then((r) => ({ code: r.code, verified: r.verified }), (e) => ({ kind: e.kind }));
    delete Object.prototype[${JSON.stringify(member)}];
    const sent = mock.requests().filter((q) => q.url === '/v1/transaction/close');
    console.log(JSON.stringify({ r, sent: sent.map((q) => ({ method: q.method, body: q.body, evil: q.headers['x-evil'] ?? null, referer: q.headers.referer ?? null })) }));
    await mock.close();`;
  const run = (member, value) =>
    JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe(member, value)], { cwd: new URL('../..', import.meta.url), encoding: 'utf8', timeout: 30_000 }).trim());
  const genuine = JSON.stringify({ app_id: DEMO_APP.appId, mch_id: DEMO_APP.mchId, transaction_id: 'order-1001' });
  for (const [member, value] of [['headers', { 'x-evil': '1' }], ['mode', 'no-cors']]) {
    const out = run(member, value);
    assert.deepEqual(out.r, { code: 0, verified: true }, member);
    assert.deepEqual(out.sent, [{ method: 'POST', body: genuine, evil: null, referer: null }], member);
  }
  // Node's own fetch internals read these from objects of their own (out of this package's
  // reach; Node even sends a polluted body): the call then fails, since what TTPay gets is not
  // what was signed. Never a success for anything but the signed request.
  for (const [member, value] of [['body', 'evil'], ['method', 'GET'], ['referrer', 'https://evil.example/'], ['dispatcher', 'evil']]) {
    const out = run(member, value);
    if (out.r.code === 0) assert.deepEqual(out.sent.map((q) => q.body), [genuine], member);
    else assert.ok(['network', 'api'].includes(out.r.kind), `${member}: ${JSON.stringify(out.r)}`);
  }
});

test('forged-sequences.json through the package: every step verifies or is refused as it says', async () => {
  const { execFileSync } = await import('node:child_process');
  // A process of its own: its clock is set back to each step's, and its one wasm instance must hold
  // no replies of other tests (a reply table that had to forget newer entries refuses older ones).
  const probe = `
    import { readFileSync } from 'node:fs';
    const { TTPayClient } = await import('ttpay-wasm');
    const { sequences } = JSON.parse(readFileSync(${JSON.stringify(fileURLToPath(new URL('../../../shared/ttpay/forged-sequences.json', import.meta.url)))}, 'utf8'));
    const outcomes = [];
    for (const seq of sequences) {
      let step;
      const fetch = async () => {
        Date.now = () => step.request_sent_at_ms + 50; // the reply arrives 50 ms after the request
        return new Response(step.body, { headers: { 'ttpay-timestamp': step.ttpay_timestamp, 'ttpay-nonce': step.ttpay_nonce, 'ttpay-signature': step.signature } });
      };
      const client = new TTPayClient({ appId: 'seq', mchId: 'm', appSecret: seq.app_secret, fetch, rateLimitPerSecond: null, maxRetries: 0 });
      for (step of seq.steps) {
        Date.now = () => step.request_sent_at_ms;
        const got = await client.closeOrder({ transactionId: seq.request_transaction_id }).then(
          (r) => (r.verified ? 'verified' : 'unverified'),
          (e) => (e.kind === 'signature' ? 'refused' : 'error ' + e.kind + ': ' + e.message),
        );
        outcomes.push({ name: seq.name, step: seq.steps.indexOf(step) + 1, expect: step.expect, got });
      }
    }
    console.log(JSON.stringify(outcomes));`;
  const outcomes = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: new URL('../..', import.meta.url), encoding: 'utf8', timeout: 30_000 }).trim());
  assert.ok(outcomes.length >= 5, JSON.stringify(outcomes));
  for (const o of outcomes) assert.equal(o.got, o.expect, `${o.name}, step ${o.step}`);
});
