// `make size`: the shipped .wasm and JS glue, raw / gzip -9 / brotli -11, in bytes.
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

const files = ['pkg/dist/ttpay_wasm_bg.wasm', 'pkg/dist/ttpay_wasm.js', 'pkg/src/api.js', 'pkg/src/error.js'];
const rows = files.map((f) => {
  const b = readFileSync(f);
  const gzip = gzipSync(b, { level: 9 }).length;
  const brotli = brotliCompressSync(b, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  return { file: f, raw: b.length, gzip, brotli };
});
const total = rows.reduce((t, r) => ({ file: 'total', raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
console.table([...rows, total]);
if (process.argv.includes('--json')) console.log(JSON.stringify(total));
