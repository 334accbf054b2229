// Node entry, CommonJS so that `require()` works on every Node >= 18 and `import` (node.mjs)
// shares this one instance. Bundled by esbuild into dist/node.cjs, beside the .wasm, which is
// why it reads the wasm from __dirname.
'use strict';
const { readFileSync } = require('node:fs');
const { join } = require('node:path');
// node:crypto's randomFillSync is the same CSPRNG as webcrypto's getRandomValues, without
// loading WebCrypto at start-up (Node 18 has no global `crypto` either).
const { randomFillSync } = require('node:crypto');
const api = require('./api.js');

api.setup(new WebAssembly.Module(readFileSync(join(__dirname, 'ttpay_wasm_bg.wasm'))), {
  getRandomValues: (array) => randomFillSync(array),
});

module.exports = {
  TTPayClient: api.TTPayClient,
  TTPayError: api.TTPayError,
  closeOrder: api.closeOrder,
  diagnostics: api.diagnostics,
};
