// Sizes are deterministic, so they are tested. The ceiling is the size measured on the last
// change that moved it, plus 2 KB: a change that makes the shipped code bigger by more than that
// fails until the figure here is consciously updated (docs/PERFORMANCE.md keeps the history).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SHIPPED, measure } from '../../scripts/sizes.mjs';

// The stack the package is specified with (serde_json, serde-wasm-bindgen, web-sys, the standard
// allocator, format!, a stable build with std as shipped), then the limiter's line, the reply
// binding (sha2) and signRequest/verifyReply: .wasm 122.4 KB + glue 6.3 KB gzip.
const MEASURED_GZIP = 129_982;
const CEILING_GZIP = MEASURED_GZIP + 2 * 1024;
test(`.wasm + JS glue stay under the ${(CEILING_GZIP / 1024).toFixed(1)} KB gzip ceiling`, () => {
  const rows = SHIPPED.map(measure);
  const total = rows.reduce((t, r) => t + r.gzip, 0);
  console.log(`gzip: ${rows.map((r) => `${r.file} ${r.gzip} B`).join(', ')}; total ${total} B (measured ${MEASURED_GZIP} B)`);
  assert.ok(total <= CEILING_GZIP, `${total} B gzip is above the ${CEILING_GZIP} B ceiling`);
});

test("the shipped .wasm names no path of the machine that built it", () => {
  const wasm = readFileSync(new URL('../../pkg/dist/ttpay_wasm_bg.wasm', import.meta.url)).toString('latin1');
  const root = fileURLToPath(new URL('../../', import.meta.url));
  for (const path of [homedir(), root.replace(/\/$/, '')]) {
    assert.ok(!wasm.includes(`${path}/`), `the .wasm contains ${path}/`);
  }
});
