// Browsers, Deno, and any other ESM host: the .wasm travels inside the JavaScript as base64, so a
// bundler has nothing to copy or serve, and the module compiles without top-level await.
import wasmBase64 from './dist/ttpay_wasm_base64.js';
import { bind, compileBase64 } from './dist/api.js';

export const { TTPayClient, TTPayError, TTPayCode, closeOrder, signRequest, verifyReply, diagnostics } = bind(compileBase64(wasmBase64));
