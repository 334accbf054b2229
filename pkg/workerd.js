// Cloudflare Workers (workerd): wasm cannot be compiled from bytes at run time there, so the
// module comes from a static import the Worker's bundler turns into a WebAssembly.Module.
import wasm from './dist/ttpay_wasm_bg.wasm';
import { bind, bundledModule } from './dist/api.js';

export const { TTPayClient, TTPayError, TTPayCode, closeOrder, signRequest, verifyReply, diagnostics } = bind(
  bundledModule(wasm, 'ttpay-wasm/dist/ttpay_wasm_bg.wasm'),
);
