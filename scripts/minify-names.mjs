// `node scripts/minify-names.mjs <dir>`: shortens the names by which the .wasm and its glue
// (<dir>/ttpay_wasm_bg.wasm, <dir>/ttpay_wasm.js) know each other. wasm-bindgen names every import
// `__wbg_<name>_<16 hex digits>` and every closure shim after its full Rust type (some 250
// characters): random hex does not compress, and both files carry each name. binaryen renames them
// all (`--minify-imports-and-exports-and-modules`) and prints the mapping, which is then applied
// to the glue. Measured: 1.6 KB gzip off the .wasm, and the glue's share with it.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2];
const wasmFile = join(dir, 'ttpay_wasm_bg.wasm');
const glueFile = join(dir, 'ttpay_wasm.js');
const fail = (why) => {
  console.error(`minify-names: ${why}; review scripts/minify-names.mjs against this wasm-bindgen`);
  process.exit(1);
};

// wasm-opt comes from the npm binaryen package (scripts/build.sh puts its bin first on PATH).
const out = execFileSync('wasm-opt', [wasmFile, '--minify-imports-and-exports-and-modules', '-o', wasmFile], {
  encoding: 'utf8',
  maxBuffer: 16 << 20,
});
const mapping = JSON.parse(out.slice(out.indexOf('{')));
const modules = new Set(WebAssembly.Module.imports(new WebAssembly.Module(readFileSync(wasmFile))).map((i) => i.module));
if (modules.size !== 1) fail(`expected one import module after minifying, found ${modules.size}`);
const [module] = modules;

let glue = readFileSync(glueFile, 'utf8');
const replaceOnce = (pattern, replacement, what) => {
  const matches = glue.match(new RegExp(pattern.source, 'g'))?.length ?? 0;
  if (matches !== 1) fail(`${what}: ${matches} matches`);
  glue = glue.replace(pattern, replacement);
};
const escape = (s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

// Imports: the keys of the one import object, and its module's name.
for (const [from, name, short] of mapping.imports) {
  if (from !== './ttpay_wasm_bg.js') fail(`an import from ${from}`);
  replaceOnce(new RegExp(`(\\n\\s+)${escape(name)}(: function)`), `$1${JSON.stringify(short)}$2`, name);
}
replaceOnce(/"\.\/ttpay_wasm_bg\.js": import0/, `${JSON.stringify(module)}: import0`, 'the import module');

// Exports: every `wasm.<name>` of the glue (memory included: the glue reads it as `wasm.memory`).
// Some exports are never read by the glue (wasm-bindgen's abort-handler globals): nothing to do.
for (const [name, short] of mapping.exports) {
  glue = glue.replace(new RegExp(`\\bwasm\\.${escape(name)}\\b`, 'g'), `wasm[${JSON.stringify(short)}]`);
}
const left = glue.match(/__wbg_\w+_[0-9a-f]{16}\b|\bwasm\.[A-Za-z_$][\w$]*/);
if (left) fail(`a name is left unmapped in the glue: ${left[0]}`);
writeFileSync(glueFile, glue);
