// The shared initialiser: every runtime entry obtains a WebAssembly.Module its own way and hands
// it here. Nothing else differs between entries.
import {
  initSync,
  TTPayClient as WasmClient,
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

/**
 * The client: the wasm object behind a private field. A method of a freed wasm object throws from
 * inside the wasm, and every exception that unwinds through wasm leaks some of its stack; here a
 * call after `free()` is a rejected `TTPayError` instead, and the wasm object is out of reach.
 */
export class TTPayClient {
  #client;
  #freed;

  constructor(options) {
    this.#client = new WasmClient(options);
  }

  closeOrder(params, options) {
    if (this.#client === undefined) {
      return Promise.reject(
        new TTPayError({ kind: 'invalid_argument', message: 'client: was freed by free(); create a new TTPayClient' }),
      );
    }
    return this.#client.closeOrder(params, options);
  }

  toJSON() {
    return this.#client === undefined ? this.#freed : this.#client.toJSON();
  }

  /** Releases the wasm memory now rather than at garbage collection; later calls reject. */
  free() {
    if (this.#client === undefined) return;
    this.#freed = this.#client.toJSON();
    this.#client.free();
    this.#client = undefined;
  }
}

export { TTPayError, closeOrder };
