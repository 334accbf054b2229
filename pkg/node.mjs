// Node ESM entry: a wrapper over the CommonJS entry, so `import` and `require` in one process get
// the same classes (`instanceof TTPayError` holds across both), with no top-level await. A static
// import, so bundlers follow it.
import api from './dist/node.cjs';

export const { TTPayClient, TTPayError, TTPayCode, closeOrder, diagnostics } = api;
