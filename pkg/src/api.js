// The shared initialiser: every runtime entry obtains a WebAssembly.Module its own way and hands
// it here. Nothing else differs between entries.
import {
  initSync,
  TTPayClient,
  closeOrder,
  __setErrorClass,
  __setCrypto,
} from '../dist/ttpay_wasm.js';
import { TTPayError } from './error.js';

let exports;

/**
 * @param {WebAssembly.Module} module the compiled ttpay_wasm_bg.wasm
 * @param {{ getRandomValues(a: Uint8Array): Uint8Array } | undefined} crypto Web Crypto, when the
 *   runtime has no global `crypto` (Node 18)
 */
export function setup(module, crypto) {
  if (exports !== undefined) return;
  exports = initSync({ module });
  __setErrorClass(TTPayError);
  if (crypto !== undefined) __setCrypto(crypto);
}

/** Figures about this instance, for leak checks in your own tests. */
export function diagnostics() {
  return { wasmMemoryBytes: exports.memory.buffer.byteLength };
}

export { TTPayClient, TTPayError, closeOrder };
