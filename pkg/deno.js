// Deno: read the .wasm beside this file.
import { setup } from './src/api.js';

setup(new WebAssembly.Module(await Deno.readFile(new URL('./dist/ttpay_wasm_bg.wasm', import.meta.url))));

export { TTPayClient, TTPayError, closeOrder, diagnostics } from './src/api.js';
