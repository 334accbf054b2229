// An offline TTPay server for integration tests: the server side of the wire protocol, written
// with node:http and node:crypto only. It shares no code with the client (it never loads the
// wasm), so a client that signs wrongly fails against it just as it would against TTPay.
import { createServer, STATUS_CODES } from 'node:http';
import { gzipSync } from 'node:zlib';
import { createCipheriv, createDecipheriv, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';

/** The documented demo app: use it with `baseUrl` pointing at the mock. Never a real credential. */
export const DEMO_APP = Object.freeze({
  appId: 'ttpay-demo-app',
  appSecret: 'demo-secret-0123456789abcdefghij',
  mchId: '100001',
});

/** Orders every new mock starts with, unless `orders` is given. */
export const DEMO_ORDERS = Object.freeze([
  { transactionId: 'order-1001', state: 'NOTPAY', amount: '12.50', currency: 'USDT', description: 'Coffee beans, 1 kg' },
  { transactionId: 'order-1002', state: 'NOTPAY', amount: '99.00', currency: 'USDT', description: 'Annual plan' },
  { transactionId: 'order-1003', state: 'NOTPAY', amount: '5.00', currency: 'TRX', description: 'Sticker pack' },
  { transactionId: 'order-2001', state: 'SUCCESS', amount: '42.00', currency: 'USDT', description: 'Already paid' },
]);

export const CLOSE_PATH = '/v1/transaction/close';

/**
 * Ways the mock can misbehave, to reproduce a bad day. Each is injected for one transaction id or
 * for the next requests, `times` times (Infinity: until cleared). Unless noted, a fault answers
 * instead of processing, so the order is left as it was.
 */
export const FAULT_MODES = Object.freeze([
  'reset-before', // destroy the connection before processing
  'reset-after', // process the close, then destroy the connection instead of replying
  'stall-headers', // never answer
  'stall-body', // send headers and half a body, then stall
  'html-502', // 502 with an HTML body, as a gateway in front would
  '503-retry-after', // 503 with Retry-After: 1
  '429', // 429 Too Many Requests
  'code-11001', // business code 11001 (too frequent)
  'code-104', // business code 104 (signature expired)
  'truncated-json', // 200 with JSON cut short
  'non-json', // 200 with an HTML body
  'huge-body', // 200 with a 10 MB body
  'gzip-bomb', // 200 with 10 KB of gzip that decodes to 10 MB
  'invalid-utf8', // 200 with bytes that are not UTF-8
  'forged-signature', // a success reply signed with another key
  'unsigned', // process normally, reply without the TTPay-* signature headers
]);
const AUTH_RE =
  /^TTPAY-AES-256-ECB app_id=([^,\s=]+),mch_id=([^,\s=]+),nonce_str=([0-9A-Za-z]{32}),timestamp=(\d{10}|\d{13}),signature=([A-Za-z0-9+/]+={0,2})$/;
const MAX_BODY = 64 * 1024;
let gzipBomb;
// A Host header naming this machine's loopback: localhost, 127.0.0.0/8 or [::1], any port. A page
// that rebinds its own name to 127.0.0.1 still sends its own name here, so it fails this test.
const LOOPBACK_HOST_RE = /^(?:localhost|127(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}|\[::1\])(?::\d{1,5})?$/i;

const kind = (v) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

/** Why a fault description is refused, or undefined; the message starts with the field's name. */
function faultError(fault) {
  if (kind(fault) !== 'object') return new TypeError(`fault: must be an object { mode, times?, transactionId? } (got ${kind(fault)})`);
  const { mode, times = 1, transactionId } = fault;
  if (typeof mode !== 'string' || !FAULT_MODES.includes(mode)) {
    const got = typeof mode === 'string' ? JSON.stringify(mode) : kind(mode);
    return new TypeError(`mode: unknown fault mode ${got}; one of ${FAULT_MODES.join(', ')}`);
  }
  // Counted down per request, 0 or 1.5 or "2" would fire once, twice or forever: refused instead.
  if (typeof times !== 'number') return new TypeError(`times: must be a number (got ${kind(times)})`);
  if (!(Number.isInteger(times) && times >= 1) && times !== -1 && times !== Infinity) {
    return new RangeError(`times: must be an integer ≥ 1, or -1 for always (got ${times})`);
  }
  if (transactionId !== undefined && typeof transactionId !== 'string') {
    return new TypeError(`transactionId: must be a string (got ${kind(transactionId)})`);
  }
  return undefined;
}

/**
 * A write from a page of another origin (cross-site request forgery): a plain POST needs no CORS
 * preflight, so without this any web page could inject faults. Clients outside a browser send
 * neither header and pass.
 */
function crossOriginWrite(req) {
  if (req.headers['sec-fetch-site'] === 'cross-site') return true;
  const origin = req.headers.origin;
  return origin !== undefined && origin.toLowerCase() !== `http://${req.headers.host ?? ''}`.toLowerCase();
}

function aes(mode, secret, data) {
  const key = Buffer.from(secret, 'utf8');
  const c = mode === 'enc' ? createCipheriv('aes-256-ecb', key, null) : createDecipheriv('aes-256-ecb', key, null);
  return Buffer.concat([c.update(data), c.final()]);
}

/**
 * Starts the mock on `host:port` (default 127.0.0.1, a free port).
 * @param {object} [options]
 * @param {Array<{appId:string, appSecret:string, mchId:string}>} [options.apps]
 * @param {Array<{transactionId:string, state:string}>} [options.orders]
 * @param {number} [options.clockOffsetMs] added to the mock's clock (simulates skew)
 * @param {number} [options.timestampWindowMs] how far a request timestamp may be from now (±)
 * @param {number} [options.lifetimeMs] stop by itself after this long (tests); 0 = never
 * @param {boolean} [options.loopbackOnly] answer 421 to a Host that is not localhost, 127.0.0.0/8
 *   or [::1] (DNS-rebinding protection, for a mock left running on a fixed port: the demo)
 */
export async function startMockServer(options = {}) {
  const {
    host = '127.0.0.1',
    port = 0,
    apps = [DEMO_APP],
    orders = DEMO_ORDERS,
    clockOffsetMs = 0,
    timestampWindowMs = 5 * 60 * 1000,
    lifetimeMs = 0,
    onRequest,
    faults = {},
    loopbackOnly = false,
  } = options;
  const appsById = new Map(apps.map((a) => [a.appId, { ...a }]));
  const state = new Map(orders.map((o) => [o.transactionId, { ...o, closedCount: 0 }]));
  const seenNonces = new Map(); // `${appId}:${nonce}` -> expiry (ms)
  const stats = { requests: 0, apiRequests: 0, faults: 0 };
  const log = []; // the last requests, for tests that inspect the wire
  const now = () => Date.now() + clockOffsetMs;
  const stalled = new Set();
  const pendingFaults = []; // { mode, times, transactionId? }, first match wins

  /** Holds `res` unanswered until the mock closes, or its client goes away (then it is let go). */
  function stall(res) {
    stalled.add(res);
    res.once('close', () => stalled.delete(res));
  }

  const ORDER_STATES = ['NOTPAY', 'SUCCESS', 'CLOSED'];
  /** Adds an order, or replaces the one with its transactionId (tests seeding their own). */
  function setOrder(order) {
    if (order === null || typeof order !== 'object') throw new TypeError('setOrder: pass { transactionId, state }');
    const { transactionId, state: orderState = 'NOTPAY' } = order;
    if (typeof transactionId !== 'string' || transactionId.length === 0) throw new TypeError('setOrder: transactionId must be a non-empty string');
    if (!ORDER_STATES.includes(orderState)) throw new RangeError(`setOrder: state must be one of ${ORDER_STATES.join(', ')}`);
    state.set(transactionId, { ...order, state: orderState, closedCount: 0 });
  }
  /** Back to the orders it started with, no pending faults, counters and request log at zero. */
  function reset() {
    state.clear();
    for (const o of orders) state.set(o.transactionId, { ...o, closedCount: 0 });
    pendingFaults.length = 0;
    Object.assign(stats, { requests: 0, apiRequests: 0, faults: 0 });
    log.length = 0;
  }

  function injectFault(fault = {}) {
    const err = faultError(fault);
    if (err) throw err;
    const { mode, times = 1, transactionId } = fault;
    pendingFaults.push({ mode, times: times === -1 ? Infinity : times, transactionId });
  }
  for (const [transactionId, f] of Object.entries(faults)) {
    injectFault(typeof f === 'string' ? { mode: f, transactionId, times: Infinity } : { ...f, transactionId });
  }
  function takeFault(transactionId) {
    const i = pendingFaults.findIndex((f) => f.transactionId === undefined || f.transactionId === transactionId);
    if (i < 0) return undefined;
    const f = pendingFaults[i];
    f.times -= 1;
    if (f.times <= 0) pendingFaults.splice(i, 1);
    return f.mode;
  }

  /** Acts out a fault that answers instead of processing; false for faults applied later. */
  function answerWithFault(mode, req, res) {
    const raw = (status, body, headers = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers });
      res.end(body);
    };
    switch (mode) {
      case 'reset-before':
        req.socket.destroy();
        return true;
      case 'stall-headers':
        stall(res);
        return true;
      case 'stall-body':
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
        res.write('{"code":0,"msg":"succ');
        stall(res);
        return true;
      case 'html-502':
        raw(502, '<html><body><h1>502 Bad Gateway</h1></body></html>', { 'content-type': 'text/html' });
        return true;
      case '503-retry-after':
        raw(503, '{"code":11000,"msg":"service unavailable"}', { 'retry-after': '1' });
        return true;
      case '429':
        raw(429, 'Too Many Requests', { 'content-type': 'text/plain' });
        return true;
      case 'code-11001':
        fail(res, 11001, 'too frequent: limit 5 requests/second per app_id');
        return true;
      case 'code-104':
        fail(res, 104, 'signature expired');
        return true;
      case 'truncated-json':
        raw(200, '{"code":0,"msg":"succ');
        return true;
      case 'non-json':
        raw(200, '<html>OK</html>', { 'content-type': 'text/html' });
        return true;
      case 'invalid-utf8': {
        const body = Buffer.concat([Buffer.from('{"code":0,"msg":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}')]);
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': body.length });
        res.end(body);
        return true;
      }
      case 'huge-body': {
        const size = 10 * 1024 * 1024;
        res.writeHead(200, { 'content-type': 'application/json' }); // chunked: no length to go by
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        let sent = 0;
        const pump = () => {
          while (sent < size && !res.destroyed) {
            sent += chunk.length;
            if (!res.write(chunk)) return res.once('drain', pump);
          }
          if (!res.destroyed) res.end('{"code":0}');
        };
        pump();
        return true;
      }
      case 'gzip-bomb': {
        // Made once: compressing 10 MB takes longer than a short test timeout.
        gzipBomb ??= gzipSync(Buffer.alloc(10 * 1024 * 1024, 0x20));
        const body = gzipBomb;
        res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': body.length });
        res.end(body);
        return true;
      }
      case 'forged-signature': {
        const forger = { appSecret: 'f'.repeat(32) };
        reply(res, 200, { code: 0, msg: 'success', request_id: randomUUID() }, forger);
        return true;
      }
      default:
        return false; // reset-after, unsigned: applied to the real reply
    }
  }

  function reply(res, status, payload, app) {
    if (res.ttpayFault === 'reset-after') {
      res.socket?.destroy();
      return;
    }
    if (res.ttpayFault === 'unsigned') app = undefined;
    const body = Buffer.from(JSON.stringify(payload));
    const headers = { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length };
    if (app) {
      // Sign the reply as the docs describe: timestamp \n nonce \n body.
      const ts = String(now());
      const nonce = randomBytes(16).toString('hex');
      const text = Buffer.concat([Buffer.from(`${ts}\n${nonce}\n`), body]);
      headers['ttpay-timestamp'] = ts;
      headers['ttpay-nonce'] = nonce;
      headers['ttpay-signature'] = aes('enc', app.appSecret, text).toString('base64');
    }
    res.writeHead(status, headers);
    res.end(body);
  }
  const fail = (res, code, msg, app) => reply(res, 200, { code, msg, request_id: randomUUID() }, app);

  function rememberNonce(appId, nonce) {
    const t = now();
    for (const [k, exp] of seenNonces) if (exp < t) seenNonces.delete(k);
    const key = `${appId}:${nonce}`;
    if (seenNonces.has(key)) return false;
    seenNonces.set(key, t + 2 * timestampWindowMs);
    return true;
  }

  function handleClose(req, res, raw) {
    stats.apiRequests += 1;
    let txId;
    try {
      txId = JSON.parse(raw.toString('utf8'))?.transaction_id;
    } catch {}
    const fault = takeFault(txId);
    if (fault) {
      stats.faults += 1;
      if (answerWithFault(fault, req, res)) return;
      res.ttpayFault = fault;
    }
    const auth = req.headers.authorization ?? '';
    const m = AUTH_RE.exec(auth);
    if (!m) return fail(res, 103, 'invalid Authorization header');
    const [, appId, mchId, nonce, timestamp, signature] = m;
    const app = appsById.get(appId);
    if (!app) return fail(res, 20000, 'application does not exist');
    if (req.headers.app_id !== undefined && req.headers.app_id !== appId) {
      return fail(res, 103, 'app_id header does not match Authorization');
    }
    const tsMs = timestamp.length === 10 ? Number(timestamp) * 1000 : Number(timestamp);
    if (Math.abs(now() - tsMs) > timestampWindowMs) return fail(res, 104, 'signature expired: timestamp outside the window');
    let plain;
    try {
      plain = aes('dec', app.appSecret, Buffer.from(signature, 'base64'));
    } catch {
      return fail(res, 103, 'invalid signature');
    }
    // Rebuilt from what was received: path and query, timestamp, nonce, the raw body bytes.
    const expected = Buffer.concat([Buffer.from(`${req.url}\n${timestamp}\n${nonce}\n`), raw]);
    if (plain.length !== expected.length || !timingSafeEqual(plain, expected)) {
      return fail(res, 103, 'invalid signature');
    }
    if (!rememberNonce(appId, nonce)) return fail(res, 103, 'nonce already used');
    if (mchId !== app.mchId) return fail(res, 103, 'mch_id does not belong to this app', app);
    let body;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      return fail(res, 100, 'request body is not JSON', app);
    }
    if (body === null || typeof body !== 'object') return fail(res, 100, 'request body is not an object', app);
    if (body.app_id !== appId) return fail(res, 103, 'app_id in body does not match Authorization', app);
    if (body.mch_id === undefined || body.mch_id === '') return fail(res, 11003, 'missing mch_id', app);
    if (body.mch_id !== mchId) return fail(res, 103, 'mch_id in body does not match Authorization', app);
    if (typeof body.transaction_id !== 'string' || body.transaction_id === '') {
      return fail(res, 11003, 'missing transaction_id', app);
    }
    const order = state.get(body.transaction_id);
    if (!order) return fail(res, 12002, 'order does not exist', app);
    if (order.state === 'SUCCESS') return fail(res, 20005, 'order is paid (SUCCESS) and cannot be closed', app);
    if (order.state === 'NOTPAY') {
      order.state = 'CLOSED';
      order.closedCount += 1;
    }
    // Closing is idempotent: an order already CLOSED answers success again.
    return reply(
      res,
      200,
      { code: 0, msg: 'success', request_id: randomUUID(), data: { transaction_id: order.transactionId, trade_state: order.state } },
      app,
    );
  }

  function handleControl(req, res, url) {
    const json = (status, v) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(v));
    };
    if (url.pathname === '/_mock/orders') return json(200, [...state.values()]);
    const m = /^\/_mock\/orders\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const order = state.get(decodeURIComponent(m[1]));
      return order ? json(200, order) : json(404, { error: 'no such order' });
    }
    if (url.pathname === '/_mock/stats') return json(200, { ...stats });
    return json(404, { error: 'not found' });
  }

  /**
   * POST /_mock/faults {"mode":"html-502","times":1,"transactionId":"order-1001"} (times -1: always),
   * POST /_mock/orders {"transactionId":"t-1","state":"NOTPAY"}, POST /_mock/reset: 204, or 400
   * with {"error": …}.
   */
  function handleWriteControl(res, pathname, raw) {
    try {
      if (pathname === '/_mock/reset') reset();
      else if (pathname === '/_mock/orders') setOrder(JSON.parse(raw.toString('utf8')));
      else injectFault(JSON.parse(raw.toString('utf8')));
      res.writeHead(204);
      res.end();
    } catch (err) {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: String(err.message) }));
    }
  }

  /** Answers before routing, with a short reason; the connection is closed, its body unread. */
  function refuse(res, status, error) {
    res.writeHead(status, { 'content-type': 'application/json', connection: 'close' });
    res.end(JSON.stringify({ error }));
  }

  /**
   * Runs one step of a request. A throw (a bug here, or a throwing `onRequest` or `handle`) is
   * reported and answers 500, instead of escaping as an uncaught exception that ends the process.
   */
  function guarded(req, res, step) {
    try {
      step();
    } catch (err) {
      console.error(`ttpay-wasm/mock: a ${req.method} request failed:`, err);
      try {
        if (res.headersSent) res.destroy();
        else refuse(res, 500, 'internal error in the mock');
      } catch {
        res.destroy();
      }
    }
  }

  /** The request's URL, or the status and reason it is refused with before its body is read. */
  function screen(req) {
    // node keeps the first of two Host headers; a proxy in front might keep the other (RFC 9112: 400).
    if (req.rawHeaders.filter((h, i) => i % 2 === 0 && h.toLowerCase() === 'host').length > 1) {
      return { status: 400, error: 'more than one Host header' };
    }
    if (loopbackOnly && !LOOPBACK_HOST_RE.test(req.headers.host ?? '')) {
      return { status: 421, error: 'Host must name this machine: localhost, 127.0.0.1 or [::1]' };
    }
    let url;
    try {
      url = new URL(req.url, 'http://mock'); // `//[` or `http://[` parse as a request target but not as a URL
    } catch {
      return { status: 400, error: 'the request target is not a URL' };
    }
    try {
      decodeURIComponent(url.pathname); // routes may decode it: a bad escape is refused once, here
    } catch {
      return { status: 400, error: 'malformed percent-escape in the path' };
    }
    return { url };
  }

  function route(req, res, url, raw) {
    const entry = { method: req.method, url: req.url, headers: { ...req.headers }, body: raw.toString('utf8') };
    log.push(entry);
    if (log.length > 100) log.shift();
    onRequest?.(entry);
    if (url.pathname.startsWith('/_mock/') && req.method === 'GET') return handleControl(req, res, url);
    if (['/_mock/faults', '/_mock/orders', '/_mock/reset'].includes(url.pathname) && req.method === 'POST') {
      if (crossOriginWrite(req)) return refuse(res, 403, 'cross-origin write refused');
      return handleWriteControl(res, url.pathname, raw);
    }
    if (url.pathname === CLOSE_PATH) {
      if (req.method !== 'POST') return reply(res, 405, { code: 100, msg: 'method not allowed' });
      return handleClose(req, res, raw);
    }
    if (options.handle?.(req, res, url)) return;
    return reply(res, 404, { code: 100, msg: 'not found' });
  }

  const server = createServer((req, res) => {
    stats.requests += 1;
    res.on('error', () => {}); // a client that hung up mid-reply is not the mock's failure
    guarded(req, res, () => {
      const { url, status, error } = screen(req);
      if (!url) return refuse(res, status, error);
      const chunks = [];
      let size = 0;
      req.on('data', (c) => {
        size += c.length;
        if (size > MAX_BODY) {
          req.destroy();
          return;
        }
        chunks.push(c);
      });
      req.on('end', () => guarded(req, res, () => route(req, res, url, Buffer.concat(chunks))));
    });
  });
  // What node:http cannot parse (a bad request line, oversized headers) never reaches the handler:
  // answered here as node would by default, the socket's error handled rather than rethrown, and
  // the socket destroyed once the answer is out (no parser is left to time an idle client out).
  server.on('clientError', (err, socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) return socket.destroy();
    const status = err.code === 'HPE_HEADER_OVERFLOW' ? 431 : err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? 408 : 400;
    socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`, () => socket.destroy());
  });

  const sockets = new Set();
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  // After listening, a server error is a failed accept() (too many open files, say): reported,
  // not fatal, and the server goes on accepting.
  server.on('error', (err) => console.error('ttpay-wasm/mock:', err));
  const address = server.address();
  let timer;
  const close = () =>
    new Promise((resolve) => {
      clearTimeout(timer);
      stalled.clear();
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
  if (lifetimeMs > 0) {
    timer = setTimeout(close, lifetimeMs);
    timer.unref();
  }
  return {
    url: `http://${host}:${address.port}`,
    port: address.port,
    /** A copy of one order's state, or undefined. */
    order: (id) => (state.has(id) ? { ...state.get(id) } : undefined),
    orders: () => [...state.values()].map((o) => ({ ...o })),
    stats: () => ({ ...stats }),
    requests: () => log.slice(),
    /** Makes the mock misbehave: see FAULT_MODES. */
    injectFault,
    /** Adds or replaces an order: `{ transactionId, state: 'NOTPAY' | 'SUCCESS' | 'CLOSED' }`. */
    setOrder,
    /** Back to the seeded orders, no pending faults, counters and request log at zero. */
    reset,
    /** How many responses a stall fault holds open now. */
    stalledCount: () => stalled.size,
    close,
  };
}
