// When the wasm cannot be had, importing the package says so: an Error that names ttpay-wasm,
// where it tried to load the wasm from, why, and the fix. Tried through the package's own
// initialiser, and in a real browser whose page forbids compiling wasm.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { bundledModule, compileBase64 } from '../../pkg/src/api.js';
import { startDemoServer } from '../../scripts/demo-server.mjs';

function captured(fn) {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return assert.fail('expected a throw');
}

test('a Worker bundler that made the .wasm a URL string, or bytes, is named with the fix', () => {
  for (const [made, what] of [
    ['/assets/ttpay_wasm_bg.3f2a.wasm', /a URL string \(\/assets\/ttpay_wasm_bg\.3f2a\.wasm\)/],
    [new Uint8Array([0, 97, 115, 109]), /a object, not a WebAssembly\.Module/],
    [undefined, /a undefined, not a WebAssembly\.Module/],
  ]) {
    const err = captured(() => bundledModule(made, 'ttpay-wasm/dist/ttpay_wasm_bg.wasm'));
    assert.match(err.message, /^ttpay-wasm: could not load its WebAssembly from ttpay-wasm\/dist\/ttpay_wasm_bg\.wasm: /);
    assert.match(err.message, what);
    assert.match(err.message, /wrangler or @cloudflare\/vite-plugin/);
    assert.match(err.message, /see "Bundling" in the ttpay-wasm README/);
  }
});

test('bytes that are not the wasm are named, with the engine’s reason and the cause kept', () => {
  const err = captured(() => compileBase64(btoa('<html>404 Not Found</html>')));
  assert.ok(err instanceof Error);
  assert.match(err.message, /^ttpay-wasm: could not load its WebAssembly from the copy inlined in its JavaScript: /);
  assert.ok(err.cause instanceof Error, 'the engine’s own error is the cause');
  assert.ok(err.message.includes(err.cause.message));
});

test('a page whose Content-Security-Policy forbids compiling wasm gets the message and the fix', async (t) => {
  const server = await startDemoServer({ port: 0, lifetimeMs: 60_000 });
  t.after(() => server.close());
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  t.after(() => browser.close());
  const page = await browser.newPage();
  // A real policy, as a strict site sets it: scripts from its own origin only, no 'wasm-unsafe-eval'.
  await page.route('**/csp.html', (route) =>
    route.fulfill({
      contentType: 'text/html',
      headers: { 'content-security-policy': "script-src 'self'" },
      body: '<p id="out">loading</p><script type="module" src="/csp.js"></script>',
    }),
  );
  await page.route('**/csp.js', (route) =>
    route.fulfill({
      contentType: 'text/javascript',
      body: `import('/pkg/browser.js').then(
        () => { document.getElementById('out').textContent = 'loaded'; },
        (e) => { document.getElementById('out').textContent = e.message; });`,
    }),
  );
  await page.goto(`${server.url}/csp.html`);
  await page.waitForFunction(() => document.getElementById('out').textContent !== 'loading', null, { timeout: 20_000 });
  const text = await page.textContent('#out');
  assert.match(text, /^ttpay-wasm: could not load its WebAssembly from the copy inlined in its JavaScript: /);
  assert.match(text, /'wasm-unsafe-eval'/);
});
