// Shared fixtures for the integration tests: a mock per test, servers that misbehave on purpose,
// and the secret-hygiene check. Every server listens on 127.0.0.1 and is closed by the test.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { inspect } from 'node:util';
import { TTPayClient, TTPayError } from 'ttpay-wasm';
import { startMockServer, DEMO_APP } from 'ttpay-wasm/mock';

export { DEMO_APP };

/** A fresh mock for one test, closed when the test ends (and by itself after a minute). */
export async function mockFor(t, options = {}) {
  const mock = await startMockServer({ lifetimeMs: 60_000, ...options });
  t.after(() => mock.close());
  return mock;
}

/** A client of the demo app against `mock`; the shared rate limiter is off unless asked for. */
export function clientFor(mock, extra = {}) {
  return new TTPayClient({ ...DEMO_APP, baseUrl: mock.url, rateLimitPerSecond: null, ...extra });
}

/** Awaits a promise that must reject, returning the reason. */
export async function rejection(promise) {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  assert.fail('expected the call to reject');
}

/** The synchronous variant, for constructors. */
export function thrown(fn) {
  try {
    fn();
  } catch (err) {
    return err;
  }
  assert.fail('expected a throw');
}

/** Asserts a typed error of `kind` and that the secret is nowhere in any view of it. */
export function assertTTPayError(err, kind, fields = {}) {
  assert.ok(err instanceof TTPayError, `not a TTPayError: ${inspect(err)}`);
  assert.ok(err instanceof Error);
  assert.equal(err.name, 'TTPayError');
  assert.equal(err.kind, kind, err.message);
  for (const [k, v] of Object.entries(fields)) assert.deepEqual(err[k], v, `err.${k}`);
  assert.equal(typeof err.retryable, 'boolean');
  assertNoSecret(err);
  return err;
}

export function assertNoSecret(value, secret = DEMO_APP.appSecret) {
  const views = [inspect(value, { depth: 10, showHidden: true }), JSON.stringify(value) ?? ''];
  if (value instanceof Error) views.push(String(value.message), String(value.stack));
  for (const view of views) assert.ok(!view.includes(secret), `secret leaked in: ${view}`);
}

/**
 * A server that accepts requests and never finishes them: `mode` 'headers' stalls before the
 * status line, 'body' sends headers and half a body, then stalls.
 */
export async function stallServer(t, mode = 'headers') {
  const sockets = new Set();
  let requests = 0;
  const server = createServer((req, res) => {
    requests += 1;
    if (mode === 'body') {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"code":0,');
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const close = () => {
    for (const s of sockets) s.destroy();
    return new Promise((r) => server.close(r));
  };
  t.after(close);
  return { url: `http://127.0.0.1:${server.address().port}`, requests: () => requests };
}

/** A loopback port with nothing listening on it (a connection is refused; a server may take it). */
export async function refusedPort() {
  const server = createServer();
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  await new Promise((r) => server.close(r));
  return port;
}

/** An injected fetch that answers with a fixed Response and counts its calls. */
export function cannedFetch(make) {
  const f = async (url, init) => {
    f.calls.push({ url, init });
    return make();
  };
  f.calls = [];
  return f;
}

/** Runs a command (bounded: 120 s unless `options.timeout` says otherwise), resolving to its
 * stdout; rejects with its whole output on failure. */
export function runCommand(cmd, args, options = {}) {
  return run(cmd, args, options).then(({ stdout }) => stdout);
}

/** The same, resolving to stdout and stderr together (tools that report on stderr: Jest). */
export function runCommandOutput(cmd, args, options = {}) {
  return run(cmd, args, options).then(({ stdout, stderr }) => stdout + stderr);
}

function run(cmd, args, options) {
  return new Promise((resolve, reject) => {
    execFile(cmd, args, { timeout: 120_000, maxBuffer: 16 << 20, ...options }, (err, stdout, stderr) => {
      if (err) reject(new Error(`${cmd} ${args.join(' ')} failed: ${err.message}\n${stdout}\n${stderr}`));
      else resolve({ stdout, stderr });
    });
  });
}

const root = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A throw-away project (a new directory named `prefix…`) with the package installed from its
 * packed tarball, as a user's `npm install` would; `link` names packages of this repository's
 * node_modules (the build tools and test runners the project uses) to link into its own. The
 * caller removes the directory.
 */
export async function packedConsumer(prefix, link = []) {
  // npm pack leaves out symbolic links, and pkg/dist may be one in a worktree: pack a copy.
  const stage = mkdtempSync(join(tmpdir(), 'ttpay-stage-'));
  const dir = mkdtempSync(join(tmpdir(), prefix));
  try {
    cpSync(join(root, 'pkg'), join(stage, 'pkg'), { recursive: true, dereference: true });
    const packed = await runCommand('npm', ['pack', join(stage, 'pkg'), '--pack-destination', dir, '--silent'], { timeout: 60_000 });
    const tarball = packed.trim().split('\n').pop();
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'consumer', private: true, dependencies: { 'ttpay-wasm': `file:./${tarball}` } }));
    await runCommand('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: dir, timeout: 60_000 });
    for (const name of link) symlinkSync(join(root, 'node_modules', name), join(dir, 'node_modules', name));
    return { dir, tarball };
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}
