// The demo page's logic: one TTPayClient from the package's browser entry, an injected fetch
// that records the request as sent, and a rendering of the typed outcome.
import { TTPayClient, TTPayError } from '/pkg/browser.js';

const $ = (sel) => document.querySelector(sel);
const creds = $('#creds');
let secret = '';

/** Never shows the secret, whatever a bug elsewhere might pass in. */
const safe = (text) => (secret ? String(text).split(secret).join('[redacted]') : String(text));

/**
 * A client for one call, whose fetch records what it sends into `sent`: the Authorization (with
 * its signature) is visible, the secret never travels. One record per call, so a slow call cannot
 * show a later call's request.
 */
function client(sent) {
  const form = Object.fromEntries(new FormData(creds));
  secret = form.appSecret;
  const recordingFetch = (url, init) => {
    const headers = {};
    new Headers(init.headers).forEach((v, k) => (headers[k] = v));
    sent.request = { method: init.method, url, headers, body: init.body };
    return fetch(url, init);
  };
  return new TTPayClient({ ...form, rateLimitPerSecond: null, maxRetries: 0, fetch: recordingFetch });
}

/** Shows the request as sent, or says none was: a call refused before sending must not leave the previous one shown. */
function renderRequest(request) {
  if (!request) {
    $('#request').textContent = '— nothing was sent';
    return;
  }
  const { method, url, headers, body } = request;
  const lines = [`${method} ${url}`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`), '', body];
  $('#request').textContent = safe(lines.join('\n'));
}

function renderOutcome(kind, title, fields) {
  const box = $('#outcome');
  box.className = `outcome ${kind}`;
  box.replaceChildren();
  const h = document.createElement('h3');
  h.textContent = title;
  const dl = document.createElement('dl');
  for (const [k, v] of Object.entries(fields)) {
    const dt = document.createElement('dt');
    dt.textContent = k;
    const dd = document.createElement('dd');
    dd.textContent = safe(v === null || v === undefined ? '—' : v);
    dd.dataset.field = k;
    dl.append(dt, dd);
  }
  box.append(h, dl);
}

async function refreshOrders() {
  const orders = await (await fetch('/_mock/orders')).json();
  const rows = orders.map((o) => {
    const tr = document.createElement('tr');
    tr.dataset.id = o.transactionId;
    const cells = [o.transactionId, o.description ?? '', o.amount ? `${o.amount} ${o.currency ?? ''}` : ''];
    for (const text of cells) {
      const td = document.createElement('td');
      td.textContent = text;
      tr.append(td);
    }
    const state = document.createElement('td');
    const badge = document.createElement('span');
    badge.className = `state ${o.state}`;
    badge.textContent = o.state;
    state.append(badge);
    const action = document.createElement('td');
    const button = document.createElement('button');
    button.textContent = 'Close';
    button.addEventListener('click', () => closeOrder(o.transactionId));
    action.append(button);
    tr.append(state, action);
    return tr;
  });
  $('#orders tbody').replaceChildren(...rows);
}

async function closeOrder(transactionId) {
  const sent = { request: null };
  const started = performance.now();
  try {
    const r = await client(sent).closeOrder({ transactionId });
    $('#latency').textContent = `· ${Math.round(performance.now() - started)} ms`;
    renderOutcome('ok', `Closed ${transactionId}`, {
      code: r.code, msg: r.msg, requestId: r.requestId, httpStatus: r.httpStatus, attempts: r.attempts, verified: r.verified,
    });
  } catch (err) {
    $('#latency').textContent = `· ${Math.round(performance.now() - started)} ms`;
    if (!(err instanceof TTPayError)) throw err;
    renderOutcome('err', `TTPayError: ${err.kind}`, {
      kind: err.kind, code: err.code, msg: err.msg, requestId: err.requestId, httpStatus: err.httpStatus,
      retryable: err.retryable, attempts: err.attempts, message: err.message,
    });
  }
  renderRequest(sent.request);
  await refreshOrders();
}

$('#custom').addEventListener('submit', (e) => {
  e.preventDefault();
  closeOrder(new FormData(e.target).get('transactionId'));
});

const demo = await (await fetch('/demo-app.json')).json();
for (const [k, v] of Object.entries({ ...demo, baseUrl: location.origin })) creds.elements[k].value = v;
$('#wasm-status').textContent = 'ready';
document.body.dataset.ready = 'true';
await refreshOrders();
