// The demo page in headless Chromium (Debian's, driven by playwright-core): it loads the wasm
// through the package's browser entry, closes an order, and shows a typed error for a paid one;
// on a phone-sized viewport it fits without a sideways scroll.
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { DEMO_APP } from 'ttpay-wasm/mock';
import { startDemoServer } from '../../scripts/demo-server.mjs';

const artefacts = fileURLToPath(new URL('../../test-results/', import.meta.url));
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Headless Chromium, closed when the test ends; Playwright gives each launch a fresh, empty profile. */
async function launch(t) {
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  t.after(() => browser.close());
  return browser;
}

test('the demo page closes an order and shows the typed error for a paid one', async (t) => {
  const server = await startDemoServer({ port: 0, lifetimeMs: 120_000 });
  t.after(() => server.close());
  const browser = await launch(t);
  const page = await browser.newPage({ viewport: { width: 1100, height: 1200 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  await page.goto(`${server.url}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  await page.waitForSelector('tr[data-id="order-1002"]');
  assert.match(await page.textContent('.note'), /APP_SECRET belongs on a server/);

  // A successful close: the order's state turns CLOSED, the result and the request are shown.
  await page.click('tr[data-id="order-1002"] button');
  await page.waitForSelector('tr[data-id="order-1002"] .state.CLOSED');
  assert.equal(server.order('order-1002').state, 'CLOSED');
  assert.match(await page.textContent('#outcome h3'), /Closed order-1002/);
  assert.equal(await page.textContent('#outcome dd[data-field="code"]'), '0');
  assert.equal(await page.textContent('#outcome dd[data-field="verified"]'), 'true');
  const request = await page.textContent('#request');
  assert.match(request, /^POST http:\/\/127\.0\.0\.1:\d+\/v1\/transaction\/close/);
  assert.match(request, /authorization: TTPAY-AES-256-ECB app_id=ttpay-demo-app,mch_id=100001,nonce_str=[0-9A-F]{32},timestamp=\d{13},signature=[A-Za-z0-9+/]+=*/);
  assert.match(request, /\{"app_id":"ttpay-demo-app","mch_id":"100001","transaction_id":"order-1002"\}/);
  assert.match(await page.textContent('#latency'), /\d+ ms/);

  // A failure: the paid order shows kind api, code 20005, and stays SUCCESS.
  await page.click('tr[data-id="order-2001"] button');
  await page.waitForSelector('#outcome.err');
  assert.equal(await page.textContent('#outcome dd[data-field="kind"]'), 'api');
  assert.equal(await page.textContent('#outcome dd[data-field="code"]'), '20005');
  assert.match(await page.textContent('#outcome dd[data-field="requestId"]'), /^[0-9a-f-]{36}$/);
  assert.equal(server.order('order-2001').state, 'SUCCESS');

  // The secret is in no visible text of the page.
  const text = await page.evaluate(() => document.body.innerText);
  assert.ok(!text.includes(DEMO_APP.appSecret), 'the secret is shown on the page');
  assert.deepEqual(pageErrors, []);

  mkdirSync(artefacts, { recursive: true });
  await page.screenshot({ path: join(artefacts, 'demo-page.png'), fullPage: true });
});

test('at 390 px the page has no sideways scroll; a call refused before sending clears "request as sent"', async (t) => {
  const server = await startDemoServer({ port: 0, lifetimeMs: 120_000 });
  t.after(() => server.close());
  const browser = await launch(t);
  const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e));
  await page.goto(`${server.url}/`);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  await page.waitForSelector('tr[data-id="order-2001"]');
  const scrollWidth = () => page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok((await scrollWidth()) <= 390, `page is ${await scrollWidth()} px wide at 390`);
  // Every order's Close button is within the viewport, not pushed off to the right.
  for (const box of await page.$$eval('#orders button', (bs) => bs.map((b) => b.getBoundingClientRect().toJSON()))) {
    assert.ok(box.right <= 390, `a Close button ends at ${box.right} px`);
  }

  // A request that was sent is shown...
  await page.click('tr[data-id="order-1003"] button');
  await page.waitForSelector('tr[data-id="order-1003"] .state.CLOSED');
  assert.match(await page.textContent('#request'), /"transaction_id":"order-1003"/);
  assert.ok((await scrollWidth()) <= 390, 'the outcome and the request fit too');

  // ...and a call refused before sending (an empty id: invalid_argument, 0 attempts) clears it.
  const before = server.stats().apiRequests;
  await page.fill('#custom input[name="transactionId"]', '');
  await page.click('#custom button');
  await page.waitForSelector('#outcome.err');
  assert.equal(await page.textContent('#outcome dd[data-field="kind"]'), 'invalid_argument');
  assert.equal(await page.textContent('#outcome dd[data-field="attempts"]'), '0');
  const request = await page.textContent('#request');
  assert.doesNotMatch(request, /order-1003|authorization|POST/);
  assert.match(request, /nothing was sent/);
  assert.equal(server.stats().apiRequests, before, 'no close request reached the server');
  assert.ok((await scrollWidth()) <= 390);
  assert.deepEqual(pageErrors, []);

  mkdirSync(artefacts, { recursive: true });
  await page.screenshot({ path: join(artefacts, 'demo-page-390.png'), fullPage: true });
});
