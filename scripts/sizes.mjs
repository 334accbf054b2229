// One measure of what ships, for `make size`, `make bench` and the size test alike.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** The .wasm, then the JS that every ESM entry loads with it (glue, initialiser, error class). */
export const SHIPPED = ['pkg/dist/ttpay_wasm_bg.wasm', 'pkg/dist/api.js'];

/** Bytes of a repository file: raw, gzip -9, brotli -11. */
export function measure(file) {
  const b = readFileSync(new URL(`../${file}`, import.meta.url));
  const gzip = gzipSync(b, { level: 9 }).length;
  const brotli = brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { file, raw: b.length, gzip, brotli };
}
