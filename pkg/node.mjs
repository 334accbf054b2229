// Node ESM entry: a wrapper over the CommonJS entry, so `import` and `require` in one process
// get the same classes (`instanceof TTPayError` holds across both) and no top-level await.
import api from './dist/node.cjs';

export const { TTPayClient, TTPayError, closeOrder, diagnostics } = api;
