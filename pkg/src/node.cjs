// Node.js (and Bun) entry, CommonJS so that `require()` works on every Node >= 18 and `import`
// (node.mjs) shares this one instance. Bundled by esbuild into dist/node.cjs together with the
// base64 copy of the .wasm: no file is read at run time, so the entry survives any bundler.
'use strict';
// node:crypto's randomFillSync is the same CSPRNG as webcrypto's getRandomValues, without
// loading WebCrypto at start-up (Node 18 has no global `crypto` either).
const { randomFillSync } = require('node:crypto');
const { bind, compileBase64 } = require('./api.js');
const wasmBase64 = require('../dist/ttpay_wasm_base64.js').default;

module.exports = bind(compileBase64(wasmBase64, (text) => Buffer.from(text, 'base64')), {
  getRandomValues: (array) => randomFillSync(array),
});
