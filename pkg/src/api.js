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

let ready = false;

/**
 * @param {WebAssembly.Module} module the compiled ttpay_wasm_bg.wasm
 * @param {{ getRandomValues(a: Uint8Array): Uint8Array } | undefined} crypto Web Crypto, when the
 *   runtime has no global `crypto` (Node 18)
 */
export function setup(module, crypto) {
  if (ready) return;
  initSync({ module });
  __setErrorClass(TTPayError);
  if (crypto !== undefined) __setCrypto(crypto);
  ready = true;
}

export { TTPayClient, TTPayError, closeOrder };
