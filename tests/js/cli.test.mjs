// The command line, end to end: the packed package installed into a throw-away project, run as a
// user would (`npx ttpay-wasm …`, and the bin file on Node 18), against the mock. Every command,
// every exit code the command line can give, the secret in no output, and `--curl` run by real
// curl and accepted by the mock.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { DEMO_APP, mockFor, runCommand } from './helpers.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const vectors = JSON.parse(readFileSync(join(root, '../shared/ttpay/vectors.json'), 'utf8')).vectors;
let project;

before(async () => {
  project = mkdtempSync(join(tmpdir(), 'ttpay-cli-'));
  const packed = await runCommand('npm', ['pack', join(root, 'pkg'), '--pack-destination', project, '--silent'], { timeout: 120_000 });
  const tarball = packed.trim().split('\n').pop();
  writeFileSync(join(project, 'package.json'), JSON.stringify({ name: 'cli-user', private: true, dependencies: { 'ttpay-wasm': `file:./${tarball}` } }));
  await runCommand('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: project, timeout: 120_000 });
});

after(() => {
  if (project) rmSync(project, { recursive: true, force: true });
});

const credentials = (mock, extra = {}) => ({
  TTPAY_APP_ID: DEMO_APP.appId,
  TTPAY_APP_SECRET: DEMO_APP.appSecret,
  TTPAY_MCH_ID: DEMO_APP.mchId,
  TTPAY_BASE_URL: mock.url,
  ...extra,
});

/** `npx ttpay-wasm …` in the project: { code, stdout, stderr }, never throwing. */
function cli(args, { env = {}, input, node } = {}) {
  const [cmd, cmdArgs] = node ? [node, [join(project, 'node_modules/ttpay-wasm/bin/ttpay-wasm.mjs'), ...args]] : ['npx', ['--offline', 'ttpay-wasm', ...args]];
  return new Promise((resolve) => {
    const child = execFile(cmd, cmdArgs, { cwd: project, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 60_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
    );
    child.stdin.end(input ?? '');
  });
}

/** The output of a run holds no stack trace and no secret. */
function clean(r, secret = DEMO_APP.appSecret) {
  const all = r.stdout + r.stderr;
  assert.ok(!all.includes(secret), `the secret is in the output:\n${all}`);
  assert.doesNotMatch(all, /^\s+at .+:\d+:\d+\)?$/m, `a stack trace:\n${all}`);
  return r;
}

test('--help for the program and each command; usage mistakes are one line and exit code 2', async () => {
  const help = clean(await cli(['--help']));
  assert.equal(help.code, 0);
  assert.match(help.stdout, /Commands:\n  close <transactionId>/);
  for (const command of ['close', 'sign', 'verify', 'mock']) {
    const r = clean(await cli([command, '--help']));
    assert.equal(r.code, 0, command);
    assert.match(r.stdout, new RegExp(`^Usage: ttpay-wasm ${command}`), command);
  }
  for (const [args, message] of [
    [['clsoe', 'x'], /unknown command "clsoe"/],
    [['close', 'x', '--bogus'], /--bogus/],
    [['close', 'x', '--retries', 'many'], /--retries: must be a whole number from 0 to 10/],
    [['close', 'x', '--timeout', '-5'], /--timeout/],
    [['close'], /a transactionId is required/],
    [['sign', '--body', '{}'], /--path is required/],
    [['verify', '--nonce', 'n', '--signature', 's', '--body', '{}'], /--timestamp is required/],
    [['mock', '--port', 'http'], /--port: must be a whole number/],
  ]) {
    const r = clean(await cli(args));
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, message);
  }
  // A missing --env-file: Node 20 reads the flag itself wherever it stands (and stops with its own
  // message, exit code 9); otherwise the command says so, exit code 2. Either way it names the file.
  const missing = clean(await cli(['close', 'x', '--env-file', '/nonexistent/.env']));
  assert.ok([2, 9].includes(missing.code), missing.stderr);
  assert.match(missing.stderr, /\/nonexistent\/.env/);
});

test('close: human output, --json, credentials from the environment, an --env-file or stdin', async (t) => {
  const mock = await mockFor(t);
  const human = clean(await cli(['close', 'order-1001'], { env: credentials(mock) }));
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^closed order-1001: code 0 \(success\), requestId \S+, reply signature verified, 1 attempt\(s\)/);
  assert.equal(mock.order('order-1001').state, 'CLOSED');

  const json = clean(await cli(['close', 'order-1002', '--json', '--timeout', '5000', '--retries', '0'], { env: credentials(mock) }));
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(Object.keys(JSON.parse(json.stdout).result).sort(), ['attempts', 'code', 'httpStatus', 'msg', 'requestId', 'verified']);

  const envFile = join(project, '.env.test');
  writeFileSync(envFile, `# TTPay\nexport TTPAY_APP_ID=${DEMO_APP.appId}\nTTPAY_MCH_ID="${DEMO_APP.mchId}"\nTTPAY_APP_SECRET='${DEMO_APP.appSecret}'\nTTPAY_BASE_URL=${mock.url} # the mock\n`);
  const fromFile = clean(await cli(['close', 'order-1003', '--env-file', envFile]));
  assert.equal(fromFile.code, 0, fromFile.stderr);
  const { TTPAY_APP_SECRET, ...withoutSecret } = credentials(mock);
  const fromStdin = clean(await cli(['close', 'order-1001', '--secret-stdin'], { env: withoutSecret, input: `${TTPAY_APP_SECRET}\n` }));
  assert.equal(fromStdin.code, 0, fromStdin.stderr);
  const missing = clean(await cli(['close', 'order-1001'], { env: withoutSecret }));
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing TTPAY_APP_SECRET/);
});

test('close: one exit code per error kind, with the kind, code, message and a hint', async (t) => {
  const mock = await mockFor(t);
  const run = (args, extra) => cli(['close', ...args, '--retries', '0', '--timeout', '500'], { env: credentials(mock, extra) });
  const cases = [
    [['order-1001'], { TTPAY_APP_ID: 'a b' }, 3, /error \(invalid_argument\): appId: /],
    [['order-1001'], { TTPAY_BASE_URL: 'http://127.0.0.1:9' }, 4, /error \(network\): could not reach TTPay/],
    [['no-such-order'], {}, 8, /error \(api, code 12002\): TTPay refused the request/],
    [['order-1001'], { TTPAY_APP_SECRET: 'x'.repeat(32) }, 8, /error \(api, code 103\)/],
  ];
  for (const [args, extra, code, message] of cases) {
    const r = clean(await run(args, extra), extra.TTPAY_APP_SECRET ?? DEMO_APP.appSecret);
    assert.equal(r.code, code, `${args} ${JSON.stringify(extra)}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /\nhint: /);
  }
  for (const [mode, code, kind] of [['stall-headers', 5, 'timeout'], ['html-502', 7, 'http'], ['non-json', 9, 'invalid_response'], ['forged-signature', 10, 'signature']]) {
    mock.injectFault({ mode, times: 1, transactionId: 'order-1002' });
    const r = clean(await run(['order-1002', '--json'], {}));
    assert.equal(r.code, code, `${mode}: ${r.stdout}${r.stderr}`);
    assert.equal(JSON.parse(r.stdout).error.kind, kind);
  }
});

test('close --dry-run prints the exact request, --curl a curl command that real curl sends and the mock accepts', async (t) => {
  const mock = await mockFor(t);
  const dry = clean(await cli(['close', 'order-1001', '--dry-run'], { env: credentials(mock) }));
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stderr, /valid only within TTPay's timestamp window .* do not paste it into tickets/);
  const lines = dry.stdout.trim().split('\n');
  assert.equal(lines[0], `POST ${mock.url}/v1/transaction/close`);
  assert.match(dry.stdout, /\nAuthorization: TTPAY-AES-256-ECB app_id=ttpay-demo-app,mch_id=100001,nonce_str=[0-9A-F]{32},timestamp=\d{13},signature=\S+\n/);
  assert.equal(lines.at(-1), JSON.stringify({ app_id: DEMO_APP.appId, mch_id: DEMO_APP.mchId, transaction_id: 'order-1001' }));
  assert.equal(mock.stats().apiRequests, 0, 'a dry run sends nothing');
  assert.equal(mock.order('order-1001').state, 'NOTPAY');

  const curl = clean(await cli(['close', 'order-1001', '--curl'], { env: credentials(mock) }));
  assert.equal(curl.code, 0, curl.stderr);
  assert.match(curl.stdout, /^curl -sS -X POST '/);
  const sent = await runCommand('sh', ['-c', curl.stdout], { timeout: 30_000 });
  assert.equal(JSON.parse(sent).code, 0, sent);
  assert.equal(mock.order('order-1001').state, 'CLOSED');
});

test("sign matches every request vector; verify accepts the vectors' replies and says what is wrong otherwise", async () => {
  for (const v of vectors.filter((x) => x.kind === 'request')) {
    const env = { TTPAY_APP_ID: v.app_id, TTPAY_MCH_ID: v.mch_id, TTPAY_APP_SECRET: v.app_secret };
    const r = clean(await cli(['sign', '--path', v.path, '--body', v.body, '--timestamp', v.timestamp, '--nonce', v.nonce, '--json'], { env }), v.app_secret);
    assert.equal(r.code, 0, `${v.name}: ${r.stderr}`);
    const signed = JSON.parse(r.stdout);
    assert.equal(signed.signingString, v.signing_string, v.name);
    assert.equal(signed.signature, v.signature, v.name);
    assert.equal(signed.authorization, v.authorization, v.name);
  }
  const human = clean(await cli(['sign', '--path', '/v1/transaction/close', '--body', '{}'], { env: { TTPAY_APP_ID: 'a', TTPAY_MCH_ID: 'm', TTPAY_APP_SECRET: DEMO_APP.appSecret } }));
  assert.equal(human.code, 0, human.stderr);
  assert.match(human.stdout, /^Authorization: TTPAY-AES-256-ECB app_id=a,mch_id=m,nonce_str=[0-9A-F]{32},timestamp=\d{13},signature=/m);

  const replies = vectors.filter((x) => x.kind === 'response' && x.signed_text === x.body);
  assert.ok(replies.length > 0);
  for (const v of replies) {
    const env = { TTPAY_APP_SECRET: v.app_secret };
    const args = ['verify', '--timestamp', v.ttpay_timestamp, '--nonce', v.ttpay_nonce, '--signature', v.signature, '--now', v.ttpay_timestamp];
    const ok = clean(await cli([...args, '--body', v.body], { env }), v.app_secret);
    assert.equal(ok.code, 0, `${v.name}: ${ok.stdout}`);
    assert.match(ok.stdout, /^valid/);
    const altered = clean(await cli([...args, '--body', v.body.replace('success', 'succe5s')], { env }), v.app_secret);
    assert.equal(altered.code, 11);
    assert.match(altered.stdout, /^invalid: .*does not match the body/);
    const wrongSecret = clean(await cli([...args, '--body', v.body], { env: { TTPAY_APP_SECRET: 'y'.repeat(32) } }), 'y'.repeat(32));
    assert.equal(wrongSecret.code, 11);
    assert.match(wrongSecret.stdout, /check appSecret/);
    const stale = clean(await cli([...args.slice(0, -1), String(Number(v.ttpay_timestamp) + 3_600_000), '--body', v.body], { env }), v.app_secret);
    assert.equal(stale.code, 11);
    assert.match(stale.stdout, /outside the 300 s window/);
  }
});

test('mock runs in the foreground, prints its URL and the demo credentials, and stops on Ctrl-C', async () => {
  // The bin itself (npx runs it through a shell, which would take the Ctrl-C).
  const bin = join(project, 'node_modules/.bin/ttpay-wasm');
  const child = spawn(process.execPath, [bin, 'mock', '--port', '0', '--orders', 'cli-1,cli-2:SUCCESS'], { cwd: project, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (c) => (stdout += c));
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
  try {
    while (!/orders: /.test(stdout)) {
      if (child.exitCode !== null) assert.fail(`mock ended: ${stdout}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    const url = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout)[1];
    assert.match(stdout, new RegExp(`TTPAY_APP_SECRET=${DEMO_APP.appSecret}`), 'the demo credentials are shown');
    assert.match(stdout, /orders: cli-1:NOTPAY cli-2:SUCCESS/);
    // The credentials line pasted into another shell, as the Quick start says, then `close`.
    const exportLine = /^ {2}(export TTPAY_.*)$/m.exec(stdout)?.[1];
    assert.ok(exportLine, `no export line in:\n${stdout}`);
    // runCommand rejects on a non-zero exit (2 when the variables did not reach the command).
    const pasted = await runCommand('bash', ['-c', `${exportLine}\n"${process.execPath}" "${bin}" close cli-1`], { cwd: project });
    assert.match(pasted, /^closed cli-1: code 0/m);
    const closed = clean(await cli(['close', 'cli-1', '--json'], { env: { ...credentials({ url }) } }));
    assert.equal(closed.code, 0, closed.stderr);
    const paid = await cli(['close', 'cli-2'], { env: { ...credentials({ url }) } });
    assert.equal(paid.code, 8);
    // Ctrl-C.
    child.kill('SIGINT');
    const { code } = await exited;
    assert.equal(code, 0, stdout);
    assert.match(stdout, /mock stopped/);
  } finally {
    clearTimeout(timer);
    child.kill('SIGKILL');
  }
});

test('the bin runs on Node 18 too', async (t) => {
  const node18 = join(root, 'node_modules/node18/bin/node');
  let exists = true;
  try {
    readFileSync(node18);
  } catch {
    exists = false;
  }
  if (!exists) return t.skip('no Node 18 here');
  const mock = await mockFor(t);
  const r = clean(await cli(['close', 'order-1001', '--json'], { env: credentials(mock), node: node18 }));
  assert.equal(r.code, 0, r.stderr);
});

test('bunx ttpay-wasm and deno run -A npm:ttpay-wasm close an order too', async (t) => {
  const mock = await mockFor(t);
  const runWith = (cmd, args) =>
    new Promise((resolve) => {
      execFile(cmd, args, { cwd: project, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...credentials(mock) }, timeout: 90_000 }, (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr }),
      );
    });
  const bunx = clean(await runWith(join(root, 'node_modules/.bin/bunx'), ['ttpay-wasm', 'close', 'order-1001', '--json']));
  assert.equal(bunx.code, 0, bunx.stderr);
  assert.equal(JSON.parse(bunx.stdout).result.verified, true);
  const deno = clean(await runWith(join(root, 'node_modules/.bin/deno'), ['run', '-A', 'npm:ttpay-wasm', 'close', 'order-1002', '--json']));
  assert.equal(deno.code, 0, deno.stderr);
  assert.equal(JSON.parse(deno.stdout).result.verified, true);
  assert.equal(mock.order('order-1002').state, 'CLOSED');
});
