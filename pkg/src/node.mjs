// Node.js and Bun. Built twice by scripts/build.sh from this one source: dist/node.mjs for
// `import` and dist/node.cjs for `require` (Node 18 cannot require ESM), each complete on its own
// so bundlers follow it and no file is read at run time. A process that loads both gets one wasm
// instance and one TTPayError class (bindShared), so `instanceof` holds across them.
import { randomFillSync } from 'node:crypto';
import wasmBase64 from '../dist/ttpay_wasm_base64.js';
import { bindShared, compileBase64 } from './api.js';

export const { TTPayClient, TTPayError, TTPayCode, closeOrder, signRequest, verifyReply, diagnostics } = bindShared(
  () => compileBase64(wasmBase64, (text) => Buffer.from(text, 'base64')),
  // node:crypto's randomFillSync is the CSPRNG behind webcrypto's getRandomValues, without loading
  // WebCrypto at start-up (and Node 18 has no global `crypto`).
  { getRandomValues: (array) => randomFillSync(array) },
);
