// Sizes are deterministic, so they are tested. The goal is 45 KB gzip for the .wasm and its JS
// glue together; the package is not there yet (see README, "Measured"), so this test holds the
// line where it is: any change that makes the shipped code bigger fails until the ceiling is
// consciously raised here.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { SHIPPED, measure } from '../../scripts/sizes.mjs';

const GOAL_GZIP = 45 * 1024;
// The hardening round and the shared limiter took 52.3 KB to 58.6 KB (reply binding and the replay
// table, catch bindings for every JS call, own-property reads, the shared abort listener, the
// limiter); the size round after them took it to 54.1 KB (no serde, location details and the
// bench-only export out, wasm-opt and inlining flags), and minified import/export names to 51.3 KB.
// A second attacker round's fixes (the replay table failing closed when full, reply bytes measured
// by the built-in getters before any copy) and the Deno body fix took it to 51.7 KB: the ceiling
// was raised to 52 KB for them, consciously. The ceiling follows every gain down.
const CEILING_GZIP = 52 * 1024;
test(`.wasm + JS glue stay under the ${CEILING_GZIP / 1024} KB gzip ceiling`, () => {
  const rows = SHIPPED.map(measure);
  const total = rows.reduce((t, r) => t + r.gzip, 0);
  console.log(`gzip: ${rows.map((r) => `${r.file} ${r.gzip} B`).join(', ')}; total ${total} B (goal ${GOAL_GZIP} B)`);
  assert.ok(total <= CEILING_GZIP, `${total} B gzip is above the ${CEILING_GZIP} B ceiling`);
});

test("the shipped .wasm names no path of the machine that built it", () => {
  const wasm = readFileSync(new URL('../../pkg/dist/ttpay_wasm_bg.wasm', import.meta.url)).toString('latin1');
  const root = fileURLToPath(new URL('../../', import.meta.url));
  for (const path of [homedir(), root.replace(/\/$/, '')]) {
    assert.ok(!wasm.includes(`${path}/`), `the .wasm contains ${path}/`);
  }
});
