#!/usr/bin/env node
// `npx ttpay-wasm <command>`: close an order from the whitelisted host, see the exact signed
// request (or a curl command), sign and verify by hand, run the offline mock. Node >= 18, nothing
// but the package itself. The secret comes from TTPAY_APP_SECRET, --env-file or stdin, never from
// an argument (it would show in `ps` and shell history), and is printed nowhere.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { TTPayClient, TTPayError, signRequest, verifyReply } from '../dist/node.mjs';

/** Exit codes: 0 success, 1 unexpected, 2 usage, and one per error kind. */
export const EXIT = Object.freeze({
  ok: 0,
  unexpected: 1,
  usage: 2,
  invalid_argument: 3,
  network: 4,
  timeout: 5,
  aborted: 6,
  http: 7,
  api: 8,
  invalid_response: 9,
  signature: 10,
  // verify: the signature does not hold.
  invalid_signature: 11,
});

const HELP = {
  main: `Usage: ttpay-wasm <command> [options]

Commands:
  close <transactionId>   close an order (credentials from the environment)
  sign                    sign any request by hand: signing string, signature, Authorization
  verify                  check a reply's TTPay-Signature
  mock                    run the offline mock TTPay in the foreground

Credentials: TTPAY_APP_ID, TTPAY_APP_SECRET, TTPAY_MCH_ID, TTPAY_BASE_URL (optional), from the
environment or --env-file <path> (dotenv format); --secret-stdin reads the secret from stdin.
The secret is never taken as an argument.

Run 'ttpay-wasm <command> --help' for a command's options.
Exit codes: 0 ok, 2 usage, 3 invalid_argument, 4 network, 5 timeout, 6 aborted, 7 http, 8 api,
9 invalid_response, 10 signature, 11 verify: signature does not hold, 1 anything else.
(Node 20 also reads --env-file itself: a missing file stops it first, with exit code 9.)`,
  close: `Usage: ttpay-wasm close <transactionId> [options]

  --env-file <path>     read TTPAY_* variables from a dotenv file (the environment wins)
  --secret-stdin        read TTPAY_APP_SECRET from stdin
  --timeout <ms>        per attempt (timeoutMs); default 10000
  --retries <n>         maxRetries, 0-10; default 2
  --no-verify           do not verify the reply's signature (verifyResponses: 'off')
  --dry-run             print the request exactly as it would be sent; send nothing
  --curl                print it as a curl command; send nothing
  --json                machine-readable output
  -h, --help`,
  sign: `Usage: ttpay-wasm sign --path <path> --body <json|@file> [options]

  --path <path>         path and query, as signed (e.g. /v1/transaction/close)
  --body <json|@file>   the exact body (a leading @ reads it from a file)
  --timestamp <ts>      default: now, in ms
  --nonce <nonce>       default: 32 random upper-case hex digits
  --env-file <path>, --secret-stdin, --json, -h, --help
Needs TTPAY_APP_ID, TTPAY_APP_SECRET and TTPAY_MCH_ID.`,
  verify: `Usage: ttpay-wasm verify --timestamp <ts> --nonce <nonce> --signature <b64> --body <json|@file>

  The reply's TTPay-Timestamp, TTPay-Nonce and TTPay-Signature headers and its exact body.
  --now <ms>            the clock for the 5-minute window; default: now
  --env-file <path>, --secret-stdin, --json, -h, --help
Needs TTPAY_APP_SECRET. Exit code 0 when the signature holds, 11 when it does not.`,
  mock: `Usage: ttpay-wasm mock [--port <port>] [--orders <id[:STATE],...>]

  Runs the offline mock TTPay on 127.0.0.1 until Ctrl-C; prints its URL and the demo credentials.
  --port <port>         default 8787 (0: any free port)
  --orders <list>       the orders it holds, e.g. order-1,order-2:SUCCESS (default: the demo orders)
  --json, -h, --help`,
};

const COMMON = {
  help: { type: 'boolean', short: 'h' },
  json: { type: 'boolean' },
  'env-file': { type: 'string' },
  'secret-stdin': { type: 'boolean' },
};
const OPTIONS = {
  close: { ...COMMON, timeout: { type: 'string' }, retries: { type: 'string' }, 'no-verify': { type: 'boolean' }, 'dry-run': { type: 'boolean' }, curl: { type: 'boolean' } },
  sign: { ...COMMON, path: { type: 'string' }, body: { type: 'string' }, timestamp: { type: 'string' }, nonce: { type: 'string' } },
  verify: { ...COMMON, timestamp: { type: 'string' }, nonce: { type: 'string' }, signature: { type: 'string' }, body: { type: 'string' }, now: { type: 'string' } },
  mock: { help: COMMON.help, json: COMMON.json, port: { type: 'string' }, orders: { type: 'string' } },
};

/** A mistake in how the command was called: one line, exit code 2. */
class UsageError extends Error {}

/** dotenv: KEY=value lines, `#` comments, optional `export `, single or double quotes. */
export function parseEnvFile(text) {
  const env = {};
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!m || line.trimStart().startsWith('#')) continue;
    let value = m[2];
    const quoted = /^(['"])(.*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? quoted[2].replace(/\\n/g, '\n') : quoted[2];
    else value = value.replace(/\s+#.*$/, '');
    env[m[1]] = value;
  }
  return env;
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '');
}

/** TTPAY_* settings: the environment, over an --env-file, with the secret from stdin if asked. */
async function settings(values) {
  let file = {};
  if (values['env-file'] !== undefined) {
    let text;
    try {
      text = readFileSync(values['env-file'], 'utf8');
    } catch (err) {
      throw new UsageError(`--env-file: cannot read ${values['env-file']} (${err.code ?? err.message})`);
    }
    file = parseEnvFile(text);
  }
  const get = (name) => process.env[name] ?? file[name];
  const s = { appId: get('TTPAY_APP_ID'), appSecret: get('TTPAY_APP_SECRET'), mchId: get('TTPAY_MCH_ID'), baseUrl: get('TTPAY_BASE_URL') || undefined };
  if (values['secret-stdin']) s.appSecret = await readStdin();
  return s;
}

function need(s, names) {
  const missing = names.filter((n) => !s[n]).map((n) => `TTPAY_${n.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`);
  if (missing.length > 0) throw new UsageError(`missing ${missing.join(', ')} (set in the environment, an --env-file, or --secret-stdin for the secret)`);
}

function wholeNumber(flag, text, { min, max }) {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text) || !(n >= min && n <= max)) throw new UsageError(`--${flag}: must be a whole number from ${min} to ${max} (got ${JSON.stringify(text)})`);
  return n;
}

function bodyArg(text) {
  if (text === undefined) throw new UsageError('--body is required');
  if (!text.startsWith('@')) return text;
  try {
    return readFileSync(text.slice(1), 'utf8');
  } catch (err) {
    throw new UsageError(`--body: cannot read ${text.slice(1)} (${err.code ?? err.message})`);
  }
}

const out = (line = '') => process.stdout.write(`${line}\n`);
const shellQuote = (s) => `'${String(s).replace(/'/g, `'\\''`)}'`;
const WARNING = 'Warning: this signature is valid only within TTPay\'s timestamp window (about 5 minutes) and carries your credentials\' authority for that request: do not paste it into tickets or chats.';

/** A TTPayError, said for a person or as JSON; its exit code. */
function reportError(err, json) {
  const e = { name: err.name, kind: err.kind, code: err.code, msg: err.msg, httpStatus: err.httpStatus, requestId: err.requestId, retryable: err.retryable, attempts: err.attempts, message: err.message };
  if (json) out(JSON.stringify({ ok: false, error: e }));
  else {
    process.stderr.write(`error (${err.kind}${err.code === null ? '' : `, code ${err.code}`}): ${err.message}\n`);
    const hint = HINTS[err.kind];
    if (hint) process.stderr.write(`hint: ${hint}\n`);
  }
  return EXIT[err.kind] ?? EXIT.unexpected;
}

const HINTS = {
  invalid_argument: 'fix the named setting; nothing was sent',
  network: 'TTPay could not be reached: check TTPAY_BASE_URL, DNS, and that this host is whitelisted',
  timeout: 'no reply in time: try --timeout or check the network path to TTPay',
  http: 'TTPay or a proxy answered outside 2xx',
  api: 'TTPay refused the request: see code and msg (103: check the secret, app and merchant ids; 104: this machine\'s clock)',
  invalid_response: 'the reply was not TTPay\'s JSON: is TTPAY_BASE_URL pointing at TTPay?',
  signature: 'the reply\'s signature did not verify: check TTPAY_APP_SECRET (or --no-verify to see it unverified)',
};

async function close(positionals, values) {
  if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'close: a transactionId is required' : `close: one transactionId, got ${positionals.length}`);
  const [transactionId] = positionals;
  // The command line's own mistakes first, then the settings.
  const timeoutMs = wholeNumber('timeout', values.timeout, { min: 1, max: 2_147_483_647 });
  const maxRetries = wholeNumber('retries', values.retries, { min: 0, max: 10 });
  const s = await settings(values);
  need(s, ['appId', 'appSecret', 'mchId']);
  const offline = values['dry-run'] || values.curl;
  let captured;
  const options = {
    ...s,
    timeoutMs,
    maxRetries: offline ? 0 : maxRetries,
    verifyResponses: values['no-verify'] ? 'off' : undefined,
    rateLimitPerSecond: null,
    // The request as the client would send it, captured at fetch and not sent.
    fetch: offline
      ? (url, init) => {
          captured = { url, method: init.method, headers: { ...init.headers }, body: init.body };
          throw new Error('not sent (dry run)');
        }
      : undefined,
  };
  const client = new TTPayClient(options);
  try {
    const result = await client.closeOrder({ transactionId });
    if (values.json) out(JSON.stringify({ ok: true, result }));
    else out(`closed ${transactionId}: code 0 (${result.msg}), requestId ${result.requestId}, ${result.verified ? 'reply signature verified' : 'reply not signed-verified'}, ${result.attempts} attempt(s)`);
    return EXIT.ok;
  } catch (err) {
    if (offline && captured) return printRequest(captured, values);
    if (err instanceof TTPayError) return reportError(err, values.json);
    throw err;
  } finally {
    client.free();
  }
}

function printRequest(req, values) {
  if (values.curl) {
    const headers = Object.entries(req.headers).map(([k, v]) => `  -H ${shellQuote(`${k}: ${v}`)} \\`);
    if (!values.json) process.stderr.write(`${WARNING}\n`);
    const command = [`curl -sS -X POST ${shellQuote(req.url)} \\`, ...headers, `  --data-raw ${shellQuote(req.body)}`].join('\n');
    out(values.json ? JSON.stringify({ curl: command, warning: WARNING }) : command);
    return EXIT.ok;
  }
  if (values.json) out(JSON.stringify({ request: req, warning: WARNING }));
  else {
    process.stderr.write(`${WARNING}\n`);
    out(`${req.method} ${req.url}`);
    for (const [k, v] of Object.entries(req.headers)) out(`${k}: ${v}`);
    out();
    out(req.body);
  }
  return EXIT.ok;
}

async function sign(positionals, values) {
  if (positionals.length > 0) throw new UsageError(`sign: unexpected argument ${JSON.stringify(positionals[0])}`);
  if (values.path === undefined) throw new UsageError('--path is required');
  const body = bodyArg(values.body);
  const s = await settings(values);
  need(s, ['appId', 'appSecret', 'mchId']);
  const signed = signRequest({ appId: s.appId, appSecret: s.appSecret, mchId: s.mchId, path: values.path, body, timestamp: values.timestamp, nonce: values.nonce });
  if (values.json) out(JSON.stringify(signed));
  else {
    process.stderr.write(`${WARNING}\n`);
    out(`signing string (JSON-escaped): ${JSON.stringify(signed.signingString)}`);
    out(`signature: ${signed.signature}`);
    out(`Authorization: ${signed.authorization}`);
  }
  return EXIT.ok;
}

async function verify(positionals, values) {
  if (positionals.length > 0) throw new UsageError(`verify: unexpected argument ${JSON.stringify(positionals[0])}`);
  for (const flag of ['timestamp', 'nonce', 'signature']) if (values[flag] === undefined) throw new UsageError(`--${flag} is required`);
  const body = bodyArg(values.body);
  const nowMs = values.now === undefined ? undefined : wholeNumber('now', values.now, { min: 0, max: Number.MAX_SAFE_INTEGER });
  const s = await settings(values);
  need(s, ['appSecret']);
  const verdict = verifyReply({ appSecret: s.appSecret, timestamp: values.timestamp, nonce: values.nonce, signature: values.signature, body, nowMs });
  if (values.json) out(JSON.stringify(verdict));
  else out(verdict.valid ? 'valid: the signature holds for this timestamp, nonce and body' : `invalid: ${verdict.reason}`);
  return verdict.valid ? EXIT.ok : EXIT.invalid_signature;
}

async function mock(positionals, values) {
  if (positionals.length > 0) throw new UsageError(`mock: unexpected argument ${JSON.stringify(positionals[0])}`);
  const port = values.port === undefined ? 8787 : wholeNumber('port', values.port, { min: 0, max: 65535 });
  let orders;
  if (values.orders !== undefined) {
    orders = values.orders.split(',').filter(Boolean).map((item) => {
      const [transactionId, state = 'NOTPAY'] = item.split(':');
      if (!['NOTPAY', 'SUCCESS', 'CLOSED'].includes(state)) throw new UsageError(`--orders: ${JSON.stringify(item)}: the state must be NOTPAY, SUCCESS or CLOSED`);
      return { transactionId, state };
    });
  }
  const { startMockServer, DEMO_APP } = await import('../mock/index.js');
  let server;
  try {
    server = await startMockServer({ port, loopbackOnly: true, ...(orders && { orders }) });
  } catch (err) {
    throw new UsageError(`--port ${port}: cannot listen (${err.code ?? err.message})`);
  }
  const info = { url: server.url, appId: DEMO_APP.appId, appSecret: DEMO_APP.appSecret, mchId: DEMO_APP.mchId, orders: server.orders().map((o) => `${o.transactionId}:${o.state}`) };
  if (values.json) out(JSON.stringify(info));
  else {
    out(`mock TTPay listening on ${server.url} (Ctrl-C stops it)`);
    out(`demo credentials (local test values, never real ones); in another shell:`);
    out(`  export TTPAY_BASE_URL=${info.url} TTPAY_APP_ID=${info.appId} TTPAY_MCH_ID=${info.mchId} TTPAY_APP_SECRET=${info.appSecret}`);
    out(`orders: ${info.orders.join(' ')}`);
  }
  await new Promise((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await server.close();
  if (!values.json) out('mock stopped');
  return EXIT.ok;
}

const COMMANDS = { close, sign, verify, mock };

export async function main(argv) {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    out(HELP.main);
    return command === undefined ? EXIT.usage : EXIT.ok;
  }
  const run = COMMANDS[command];
  if (!run) {
    process.stderr.write(`ttpay-wasm: unknown command ${JSON.stringify(command)} (commands: close, sign, verify, mock; see --help)\n`);
    return EXIT.usage;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: OPTIONS[command], allowPositionals: true, strict: true });
  } catch (err) {
    process.stderr.write(`ttpay-wasm ${command}: ${err.message.split('\n')[0]}\n`);
    return EXIT.usage;
  }
  if (parsed.values.help) {
    out(HELP[command]);
    return EXIT.ok;
  }
  try {
    return await run(parsed.positionals, parsed.values);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ttpay-wasm ${command}: ${err.message}\n`);
      return EXIT.usage;
    }
    if (err instanceof TTPayError) return reportError(err, parsed.values.json);
    process.stderr.write(`ttpay-wasm ${command}: ${err?.message ?? err}\n`);
    return EXIT.unexpected;
  }
}

process.exitCode = await main(process.argv.slice(2));
