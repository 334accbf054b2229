// The README's framework recipes, run as a user would run them: examples/frameworks/<recipe>/
// copied into a throw-away project that installed the packed tarball, with the framework itself
// linked from this repository's dev dependencies (the versions package.json pins). Each recipe's
// own test or script does the asserting against the package's mock; this file checks that it ran,
// passed, and ended by itself.
import assert from 'node:assert/strict';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { packedConsumer, runCommand, runCommandOutput } from './helpers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const RECIPES = join(root, 'examples/frameworks');
const BOUND = { timeout: 180_000 };
const TOOLS = ['jest', 'jest-environment-jsdom', 'vitest', 'esbuild', 'typescript'];

let consumer;

/** The environment a recipe runs in: no colours, nothing inherited that changes module loading. */
function cleanEnv(extra = {}) {
  const env = { ...process.env, NO_COLOR: '1', FORCE_COLOR: '0', CI: 'true', ...extra };
  for (const name of ['NODE_OPTIONS', 'NODE_PATH', 'NODE_TEST_CONTEXT']) delete env[name];
  return env;
}

/** Copies a recipe into the consumer project; its directory there. */
function recipe(name) {
  const dir = join(consumer, name);
  cpSync(join(RECIPES, name), dir, { recursive: true });
  return dir;
}

/** Runs a script with this Node in `cwd`; stdout. */
function node(cwd, file, args) {
  return runCommand(process.execPath, [file, ...args], { cwd, env: cleanEnv(), timeout: 150_000 });
}

/** Runs a command that must fail; its whole output. */
async function failing(cmd, args, options) {
  try {
    await runCommand(cmd, args, options);
  } catch (err) {
    return err.message;
  }
  assert.fail(`${args.join(' ')} passed, and was expected to fail`);
}

before(async () => {
  ({ dir: consumer } = await packedConsumer('ttpay-frameworks-', TOOLS));
}, { timeout: 120_000 });

after(() => {
  if (consumer) rmSync(consumer, { recursive: true, force: true });
});

describe('Jest in a jsdom project', () => {
  const jest = join(root, 'node_modules/jest/bin/jest.js');

  test('a test file with `@jest-environment node` closes orders against the mock and Jest exits by itself', BOUND, async () => {
    const dir = recipe('jest');
    // Jest reports on stderr.
    const out = await runCommandOutput(process.execPath, [jest, '--ci', '--detectOpenHandles'], { cwd: dir, env: cleanEnv(), timeout: 150_000 });
    assert.match(out, /Tests:\s+7 passed, 7 total/);
    assert.doesNotMatch(out, /did not exit|open handle/i);
  });

  test('without the docblock, jsdom loads the browser entry and the suite fails to load (what the README warns of)', BOUND, async () => {
    const dir = join(consumer, 'jest');
    const source = readFileSync(join(dir, 'close.test.js'), 'utf8');
    assert.ok(source.startsWith('/** @jest-environment node */\n'));
    writeFileSync(join(dir, 'jsdom.test.js'), source.replace('/** @jest-environment node */\n', ''));
    try {
      const out = await failing(process.execPath, [jest, '--ci', 'jsdom.test.js'], { cwd: dir, env: cleanEnv(), timeout: 150_000 });
      assert.match(out, /Cannot use import statement outside a module/);
      assert.match(out, /ttpay-wasm[\\/]browser\.js/);
    } finally {
      rmSync(join(dir, 'jsdom.test.js'));
    }
  });
});

describe('Vitest', () => {
  test('a test file per mock: closes, resets and seeds orders, injects faults', BOUND, async () => {
    const dir = recipe('vitest');
    const out = await node(dir, join(root, 'node_modules/vitest/vitest.mjs'), ['run']);
    assert.match(out, /Tests\s+6 passed \(6\)/);
  });

  test('the test file type-checks under --strict', BOUND, async () => {
    await runCommand(join(root, 'node_modules/.bin/tsc'), ['-p', '.'], { cwd: join(consumer, 'vitest'), env: cleanEnv() });
  });
});

describe('AWS Lambda', () => {
  test('the esbuild bundle answers within a 3 s platform limit, a hung TTPay as a 504 timeout', BOUND, async () => {
    const dir = recipe('lambda');
    const build = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts.build.split(' ');
    assert.equal(build[0], 'esbuild');
    await runCommand(join(root, 'node_modules/.bin/esbuild'), build.slice(1), { cwd: dir, env: cleanEnv() });
    // invoke.mjs asserts each answer (and that none comes after the 3 s limit); one JSON line each.
    const out = await node(dir, 'invoke.mjs', []);
    const cases = Object.fromEntries(out.trim().split('\n').map((l) => JSON.parse(l)).map((c) => [c.case, c]));
    assert.equal(cases.close.statusCode, 200);
    assert.equal(cases['unknown order'].statusCode, 422);
    assert.equal(cases['no transactionId'].statusCode, 400);
    const hung = cases['upstream hangs'];
    assert.equal(hung.statusCode, 504);
    assert.equal(hung.kind, 'timeout');
    assert.ok(hung.ms >= 2400 && hung.ms < 3000, `${hung.ms} ms`);
  });
});
