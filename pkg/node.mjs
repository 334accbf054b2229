// Node ESM entry: a wrapper over the CommonJS entry, so `import` and `require` in one process
// get the same classes (`instanceof TTPayError` holds across both), with no top-level await.
// createRequire rather than `import … from './dist/node.cjs'`: it skips the CommonJS export
// scan, about 5 ms of every cold start.
import { createRequire } from 'node:module';

const api = createRequire(import.meta.url)('./dist/node.cjs');

export const { TTPayClient, TTPayError, closeOrder, diagnostics } = api;
