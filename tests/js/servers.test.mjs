// The mock and the demo server under hostile input, as an attacker would send it: raw request
// lines, malformed escapes, absurd headers, bad fault descriptions, foreign Host and Origin
// headers. Each case asserts the status, and that the server still answers and its state is as
// it was: a throw that escaped would end this test process.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect } from 'node:net';
import { test } from 'node:test';
import { DEMO_ORDERS } from 'ttpay-wasm/mock';
import { startDemoServer } from '../../scripts/demo-server.mjs';
import { assertTTPayError, clientFor, mockFor, rejection } from './helpers.mjs';

/** Sends `text` as is on a new connection; resolves with what came back when the server closes it. */
function raw(port, text) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text)); // no half-close: node would abort
    let got = '';
    socket.setEncoding('latin1');
    socket.on('data', (d) => (got += d));
    socket.on('error', () => {}); // a reset is an answer too; `got` then says what came first
    socket.on('close', () => resolve(got));
    socket.setTimeout(5_000, () => socket.destroy());
  });
}
const statusOf = (text) => Number(/^HTTP\/1\.1 (\d{3}) /.exec(text)?.[1]);

/** One request through node:http, which (unlike fetch) lets a test set Host. */
function send(url, { method = 'GET', headers = {}, body } = {}) {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, agent: false }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function demoFor(t) {
  const demo = await startDemoServer({ port: 0, lifetimeMs: 60_000 });
  t.after(() => demo.close());
  return demo;
}

/** The server still answers a normal request, and its orders are the seeded ones, untouched. */
async function assertAlive(server) {
  const res = await fetch(`${server.url}/_mock/orders`);
  assert.equal(res.status, 200);
  const orders = await res.json();
  assert.deepEqual(
    orders.map((o) => [o.transactionId, o.state, o.closedCount]),
    DEMO_ORDERS.map((o) => [o.transactionId, o.state, 0]),
  );
}

const get = (path, headers = '') => `GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n${headers}\r\n`;

// Request lines and headers node:http accepts or refuses itself; none may end the process.
// [what, the bytes, the mock's status (NaN: the connection is dropped), the demo's if other]
const HOSTILE = [
  ['a path that is not a URL', get('//['), 400],
  ['an absolute target that is not a URL', get('http://[::1/_mock/orders'), 400],
  ['an absolute target with a bad port', get('http://a:99999/'), 400],
  ['a malformed escape', get('/%E0%A4%A'), 400],
  ['a bad escape in an order id', get('/_mock/orders/%ZZ'), 400],
  ['a truncated UTF-8 escape in an order id', get('/_mock/orders/%E0%A4'), 400],
  ['a bad escape in the API path', 'POST /v1/transaction/%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}', 400],
  ['a bad escape on a POST to /_mock/faults', 'POST /_mock/%ZZ HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 2\r\n\r\n{}', 400],
  ['a request line node cannot parse', 'GET x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n', 400],
  ['garbage', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n', 400],
  ['a header larger than 16 KB', get('/_mock/stats', `X-Big: ${'a'.repeat(20_000)}\r\n`), 431],
  ['3000 small headers (node keeps 2000)', get('/_mock/stats', 'X-A: b\r\n'.repeat(3000)), 200],
  ['10000 small headers', get('/_mock/stats', 'X-A: b\r\n'.repeat(10_000)), 431],
  ['a header with a control character', get('/_mock/stats', 'X-Bad: a\x01b\r\n'), 400],
  ['a negative Content-Length', 'POST /_mock/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: -1\r\n\r\n', 400],
  ['Content-Length and chunked at once', 'POST /_mock/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n{}', 400],
  ['a bad chunk size', 'POST /_mock/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n', 400],
  ['a body over 64 KB', `POST /_mock/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 70000\r\n\r\n${'{'.repeat(70_000)}`, NaN],
  ['HTTP/1.0 without Host', 'GET /_mock/stats HTTP/1.0\r\n\r\n', 200, 421],
  ['two Host headers', get('/_mock/stats', 'Host: evil.example\r\n'), 400],
  ['two Host headers, the foreign one first', 'GET /_mock/stats HTTP/1.1\r\nHost: evil.example\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n', 400],
  ['a 15 KB Authorization', `POST /v1/transaction/close HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nAuthorization: ${'A'.repeat(15_000)}\r\nContent-Length: 2\r\n\r\n{}`, 200],
  ['an object in place of the fault', 'POST /_mock/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 4\r\n\r\nnull', 400],
  ['a fault nested 10000 deep', `POST /_mock/faults HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\nContent-Length: 20000\r\n\r\n${'['.repeat(10_000)}${']'.repeat(10_000)}`, 400],
];

test('mock: malformed paths answer 400, hostile requests never crash it, a throwing hook answers 500', async (t) => {
  const errors = t.mock.method(console, 'error', () => {});
  const mock = await mockFor(t, {
    onRequest: (r) => {
      if (r.url === '/boom') throw new Error('a hook that throws');
    },
  });
  for (const [name, text, status] of HOSTILE) {
    const answer = await raw(mock.port, text);
    if (Number.isNaN(status)) assert.doesNotMatch(answer, /^HTTP\/1\.1 [25]/, name); // dropped, never served
    else assert.equal(statusOf(answer), status, `${name}: ${answer.slice(0, 80)}`);
    if (status === 400 && /\r\n\r\n\{/.test(answer)) assert.match(answer, /\{"error":"[^"]+"\}$/, `${name}: a short JSON reason`);
  }
  // A throw in the mock's hooks answers 500, is reported, and the mock goes on.
  const res = await fetch(`${mock.url}/boom`);
  assert.equal(res.status, 500);
  assert.deepEqual(await res.json(), { error: 'internal error in the mock' });
  assert.equal(errors.mock.callCount(), 1);
  assert.equal(mock.stats().faults, 0);
  await assertAlive(mock);
  assert.equal((await clientFor(mock).closeOrder({ transactionId: 'order-1001' })).attempts, 1);
});

test('demo server: malformed paths answer 400, traversal is not served, hostile requests never crash it', async (t) => {
  const demo = await demoFor(t);
  for (const [name, text, mockStatus, status = mockStatus] of HOSTILE) {
    const answer = await raw(demo.port, text);
    if (Number.isNaN(status)) assert.doesNotMatch(answer, /^HTTP\/1\.1 [25]/, name);
    else assert.equal(statusOf(answer), status, `${name}: ${answer.slice(0, 80)}`);
  }
  for (const path of ['/pkg/%ZZ', '/%ZZ', '/pkg/%E0%A4%A', '/style.css%C0', '/pkg/mock/%ED%A0%80']) {
    const res = await fetch(demo.url + path);
    assert.equal(res.status, 400, path);
    assert.match(await res.text(), /percent-escape/, path);
  }
  for (const path of ['/pkg/..%2F..%2Fpackage.json', '/%2e%2e/package.json', '/pkg/%2e%2e/%2e%2e/Cargo.toml', '/pkg/%00', '/pkg/mock', '/..%5Cpackage.json']) {
    const res = await fetch(demo.url + path);
    assert.equal(res.status, 404, path);
    assert.doesNotMatch(await res.text(), /ttpay-wasm-dev|\[package\]/, path);
  }
  await assertAlive(demo);
  assert.equal((await fetch(`${demo.url}/`)).status, 200);
  assert.equal((await fetch(`${demo.url}/pkg/mock/index.js`)).status, 200);
});

test('faults: times must be an integer ≥ 1 or -1, the mode a known one; refusals change nothing', async (t) => {
  const mock = await mockFor(t);
  const badTimes = [0, -2, 1.5, NaN, -Infinity, '2', null, true, [1], { n: 1 }];
  for (const times of badTimes) {
    let err;
    assert.throws(() => mock.injectFault({ mode: '429', times }), (e) => (err = e) instanceof Error);
    assert.ok(err instanceof (typeof times === 'number' ? RangeError : TypeError), `${times}: ${err}`);
    assert.match(err.message, /^times: /);
  }
  for (const mode of ['nope', 'HTML-502', 'toString', '__proto__', undefined, 429, null]) {
    assert.throws(() => mock.injectFault({ mode }), (e) => e instanceof TypeError && /^mode: unknown fault mode/.test(e.message));
  }
  assert.throws(() => mock.injectFault({ mode: '429', transactionId: 1001 }), /^TypeError: transactionId: must be a string/);
  assert.throws(() => mock.injectFault(null), /^TypeError: fault: must be an object/);

  const post = (body) => fetch(`${mock.url}/_mock/faults`, { method: 'POST', body });
  const refused = [
    ...[0, -2, 1.5, '"2"', 'null', 'true', '[1]'].map((times) => [`{"mode":"429","times":${times}}`, /^times: /]),
    ['{"mode":"nope"}', /^mode: unknown fault mode "nope"/],
    ['{"times":1}', /^mode: unknown fault mode undefined/],
    ['{"mode":"429","transactionId":7}', /^transactionId: /],
    ['[]', /^fault: must be an object/],
    ['not json', /not valid JSON|Unexpected token/],
  ];
  for (const [body, message] of refused) {
    const res = await post(body);
    assert.equal(res.status, 400, body);
    assert.match((await res.json()).error, message, body);
  }
  // Nothing was injected: the next close goes through at the first attempt, no fault counted.
  assert.equal((await clientFor(mock).closeOrder({ transactionId: 'order-1001' })).attempts, 1);
  assert.equal(mock.stats().faults, 0);

  // The accepted forms: an integer ≥ 1 over HTTP, -1 (always) over HTTP, Infinity from JS.
  assert.equal((await post('{"mode":"429","times":2,"transactionId":"order-1002"}')).status, 204);
  assert.equal((await post('{"mode":"429","times":-1,"transactionId":"order-1003"}')).status, 204);
  mock.injectFault({ mode: 'html-502', times: Infinity, transactionId: 'no-such-order' });
  const once = clientFor(mock, { maxRetries: 0 });
  for (let i = 0; i < 3; i++) assertTTPayError(await rejection(once.closeOrder({ transactionId: 'order-1003' })), 'http', { httpStatus: 429 });
  assert.equal(mock.order('order-1003').state, 'NOTPAY');
  assert.equal(mock.stats().faults, 3);
});

test('demo server: a Host that is not loopback is refused (421); so is a cross-origin write to /_mock/faults (403)', async (t) => {
  const demo = await demoFor(t);
  const own = `127.0.0.1:${demo.port}`;
  for (const host of ['evil.example', `evil.example:${demo.port}`, `127.0.0.1.evil.example:${demo.port}`, 'localhost.evil.example', `localhost.:${demo.port}`, '128.0.0.1', '127.0.0.256', '0.0.0.0', '[::2]', `[::ffff:127.0.0.1]:${demo.port}`, `127.0.0.1:${demo.port}@evil.example`]) {
    for (const path of ['/', '/demo-app.json', '/_mock/orders', '/pkg/browser.js']) {
      const res = await send(`${demo.url}${path}`, { headers: { host } });
      assert.equal(res.status, 421, `${host} ${path}`);
      assert.doesNotMatch(res.text, /demo-secret|order-1001/, 'nothing of the demo is shown to a foreign Host');
    }
  }
  // HTTP/1.0 may leave Host out, and a Host may be empty: refused too.
  assert.equal(statusOf(await raw(demo.port, 'GET /demo-app.json HTTP/1.0\r\n\r\n')), 421);
  assert.equal(statusOf(await raw(demo.port, 'GET /demo-app.json HTTP/1.1\r\nHost:\r\nConnection: close\r\n\r\n')), 421);
  const refused = await send(`${demo.url}/_mock/faults`, { method: 'POST', headers: { host: 'evil.example' }, body: '{"mode":"reset-before","times":-1}' });
  assert.equal(refused.status, 421);
  for (const host of [own, `localhost:${demo.port}`, 'LOCALHOST', `127.1.2.3:${demo.port}`, '127.0.0.1', `[::1]:${demo.port}`, '[::1]']) {
    assert.equal((await send(`${demo.url}/demo-app.json`, { headers: { host } })).status, 200, host);
  }

  // Writes to /_mock/faults: refused from another origin, taken from the page's own or from a tool.
  const fault = (headers, transactionId) =>
    send(`${demo.url}/_mock/faults`, { method: 'POST', headers: { host: own, ...headers }, body: JSON.stringify({ mode: '429', times: -1, transactionId }) });
  for (const headers of [
    { origin: 'http://evil.example' },
    { origin: 'null' },
    { origin: `http://127.0.0.1:${demo.port + 1}` },
    { origin: `http://localhost:${demo.port}` },
    { origin: `https://127.0.0.1:${demo.port}` },
    { 'sec-fetch-site': 'cross-site' },
    { origin: `http://${own}`, 'sec-fetch-site': 'cross-site' },
  ]) {
    const res = await fault(headers, 'order-1001');
    assert.equal(res.status, 403, JSON.stringify(headers));
    assert.match(res.text, /cross-origin/);
  }
  assert.equal((await fault({ origin: `http://${own}`, 'sec-fetch-site': 'same-origin' }, 'order-1002')).status, 204);
  assert.equal((await fault({}, 'order-1003')).status, 204);
  // None of the refused ones took effect: order-1001 closes at once; the accepted ones did.
  assert.equal((await clientFor(demo, { maxRetries: 0 }).closeOrder({ transactionId: 'order-1001' })).code, 0);
  assertTTPayError(await rejection(clientFor(demo, { maxRetries: 0 }).closeOrder({ transactionId: 'order-1002' })), 'http', { httpStatus: 429 });
  assert.equal(demo.stats().faults, 1);
});

test('mock: any Host is served unless loopbackOnly (users reach it under other names); cross-origin writes are refused', async (t) => {
  const mock = await mockFor(t);
  for (const host of ['mock', `ttpay-mock.internal:${mock.port}`, `localhost:${mock.port}`]) {
    assert.equal((await send(`${mock.url}/_mock/stats`, { headers: { host } })).status, 200, host);
  }
  const write = (headers) => send(`${mock.url}/_mock/faults`, { method: 'POST', headers, body: '{"mode":"429","times":-1}' });
  assert.equal((await write({ origin: 'http://evil.example' })).status, 403);
  assert.equal((await write({ 'sec-fetch-site': 'cross-site' })).status, 403);
  assert.equal(mock.stats().faults, 0);
  assert.equal((await clientFor(mock, { maxRetries: 0 }).closeOrder({ transactionId: 'order-1001' })).attempts, 1);
  assert.equal((await write({ host: `ttpay-mock.internal:${mock.port}`, origin: `http://ttpay-mock.internal:${mock.port}` })).status, 204);

  const strict = await mockFor(t, { loopbackOnly: true });
  assert.equal((await send(`${strict.url}/_mock/stats`, { headers: { host: 'mock' } })).status, 421);
  assert.equal((await send(`${strict.url}/v1/transaction/close`, { method: 'POST', headers: { host: 'evil.example' }, body: '{}' })).status, 421);
  assert.equal((await clientFor(strict).closeOrder({ transactionId: 'order-1001' })).code, 0);
  assert.equal(strict.stats().apiRequests, 1);
});
