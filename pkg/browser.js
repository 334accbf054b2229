// Browsers (and the default for other ESM hosts): fetch the .wasm beside this file by URL.
import { setup } from './src/api.js';

const response = await fetch(new URL('./dist/ttpay_wasm_bg.wasm', import.meta.url));
setup(await WebAssembly.compile(await response.arrayBuffer()));

export { TTPayClient, TTPayError, closeOrder, diagnostics } from './src/api.js';
