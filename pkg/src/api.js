// The shared initialiser: every runtime entry obtains a WebAssembly.Module its own way and hands
// it to `bind`, which returns the API. Entries export what `bind` returns, so a bundler that drops
// unused code cannot drop the initialisation (it is what the exports are made of).
import {
  initSync,
  TTPayClient as WasmClient,
  closeOrder,
  signRequest,
  verifyReply,
  __setErrorClass,
  __setCrypto,
  __setDefaultFetch,
} from '../dist/ttpay_wasm.js';
import { TTPayCode, TTPayError } from './error.js';

let exports;

/**
 * The client: the wasm object behind a private field. A method of a freed wasm object throws from
 * inside the wasm, and every exception that unwinds through wasm leaks some of its stack; here a
 * call after `free()` is a rejected `TTPayError` instead, and the wasm object is out of reach.
 */
class TTPayClient {
  // A literal: the bundle is minified without esbuild's --keep-names, whose helper calls
  // Object.defineProperty with a descriptor a polluted Object.prototype.get breaks.
  static name = 'TTPayClient';
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

/** Figures about this instance, for leak checks in your own tests. */
function diagnostics() {
  return { wasmMemoryBytes: wasmMemory(exports).buffer.byteLength };
}

/** The instance's memory (found by its type, not by the name the glue gives it). */
export function wasmMemory(instanceExports) {
  return Object.values(instanceExports).find((v) => v instanceof WebAssembly.Memory);
}

const API = Object.freeze({ TTPayClient, TTPayError, TTPayCode, closeOrder, signRequest, verifyReply, diagnostics });

/**
 * Initialises the one wasm instance (once) and returns the API.
 * @param {WebAssembly.Module} module the compiled ttpay_wasm_bg.wasm
 * @param {{ getRandomValues(a: Uint8Array): Uint8Array }} [crypto] Web Crypto, when the runtime
 *   has no global `crypto` (Node 18)
 */
export function bind(module, crypto) {
  if (exports === undefined) {
    exports = initSync({ module });
    __setErrorClass(TTPayError);
    if (crypto !== undefined) __setCrypto(crypto);
    // Next.js's edge sandbox (15.5.21 and later 15.x) rebuilds a Request handed to fetch as a GET
    // without headers or body: there the global fetch is called as (url, init), looked up at each
    // call as always.
    if (typeof EdgeRuntime === 'string') __setDefaultFetch((url, init) => fetch(url, init));
  }
  return API;
}

// The package version (set when scripts/build.sh bundles this file), so two versions of
// ttpay-wasm in one process never share an instance.
const INSTANCE = Symbol.for(`ttpay-wasm@${typeof TTPAY_VERSION === 'string' ? TTPAY_VERSION : 'source'}`);

/**
 * `bind` for entries that a process may load twice, once per module system (Node's `import` and
 * `require` builds): the first to load initialises, the second reuses its API, and its module is
 * never compiled.
 */
export function bindShared(compile, crypto) {
  const existing = globalThis[INSTANCE];
  if (existing !== undefined) return existing;
  const api = bind(compile(), crypto);
  Object.defineProperty(globalThis, INSTANCE, { __proto__: null, value: api });
  return api;
}

const GUIDE = 'see "Bundling" in the ttpay-wasm README';

/** The error for a wasm that could not be had: what was tried, why, and the fix. */
function loadError(where, cause, fix) {
  const why = cause instanceof Error ? cause.message : String(cause);
  return new Error(`ttpay-wasm: could not load its WebAssembly from ${where}: ${why}. ${fix} (${GUIDE})`, { cause });
}

/** base64 → bytes, in every runtime (Node's entry passes Buffer's faster decoder). */
function decodeBase64(text) {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/**
 * The module from the base64 copy of the .wasm that travels inside the package's JavaScript: no
 * file to read, no URL to fetch, nothing for a bundler to find or copy. Compiled synchronously
 * (about 115 KB, far below any engine's main-thread limit), so no top-level await either.
 */
export function compileBase64(text, decode = decodeBase64) {
  try {
    return new WebAssembly.Module(decode(text));
  } catch (cause) {
    throw loadError(
      'the copy inlined in its JavaScript',
      cause,
      'This runtime refuses to compile WebAssembly from bytes: in Cloudflare Workers import ttpay-wasm ' +
        'with the `workerd` condition (wrangler and @cloudflare/vite-plugin do); in Vercel\'s Edge runtime, ' +
        "use the Node.js runtime; in a browser, allow 'wasm-unsafe-eval' in the Content-Security-Policy",
    );
  }
}

/** The module a Worker's bundler made of `import wasm from './dist/ttpay_wasm_bg.wasm'`. */
export function bundledModule(value, path) {
  if (value instanceof WebAssembly.Module) return value;
  const what = typeof value === 'string' ? `a URL string (${value.slice(0, 80)})` : `a ${typeof value}`;
  throw loadError(
    path,
    new TypeError(`the bundler turned it into ${what}, not a WebAssembly.Module`),
    'Build the Worker with wrangler or @cloudflare/vite-plugin, which bundle .wasm imports as modules ' +
      '(or a bundler rule that does the same: wrangler type "CompiledWasm")',
  );
}
