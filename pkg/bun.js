// Bun: read the .wasm beside this file synchronously (so `require()` of this entry works too).
import { readFileSync } from 'node:fs';
import { setup } from './src/api.js';

setup(new WebAssembly.Module(readFileSync(new URL('./dist/ttpay_wasm_bg.wasm', import.meta.url))));

export { TTPayClient, TTPayError, closeOrder, diagnostics } from './src/api.js';
