// Cloudflare Workers (workerd): wasm cannot be compiled from bytes at run time there, so the
// module comes from a static import the Worker's bundler turns into a WebAssembly.Module.
import wasm from './dist/ttpay_wasm_bg.wasm';
import { setup } from './src/api.js';

setup(wasm);

export { TTPayClient, TTPayError, closeOrder, diagnostics } from './src/api.js';
