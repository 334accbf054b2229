// `make size`: the shipped .wasm and JS glue, raw / gzip -9 / brotli -11, in bytes.
import { SHIPPED, measure } from './sizes.mjs';

const rows = SHIPPED.map(measure);
const total = rows.reduce((t, r) => ({ file: 'total', raw: t.raw + r.raw, gzip: t.gzip + r.gzip, brotli: t.brotli + r.brotli }), { raw: 0, gzip: 0, brotli: 0 });
console.table([...rows, total]);
if (process.argv.includes('--json')) console.log(JSON.stringify(total));
