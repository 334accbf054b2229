// The demo: the mock TTPay plus the www/ page, served from one origin. The page loads the wasm
// through the package's own browser entry (pkg/browser.js), not a copy.
import { readFile } from 'node:fs/promises';
import { extname, join, normalize, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startMockServer, DEMO_APP } from 'ttpay-wasm/mock';

const root = fileURLToPath(new URL('..', import.meta.url));
const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json',
  '.png': 'image/png',
};
// What may be served, by URL prefix: the page, and the package's browser-side files.
const MOUNTS = [
  ['/pkg/', join(root, 'pkg')],
  ['/', join(root, 'www')],
];

/**
 * The file under `dir` that `rest` names, or null when it would leave `dir`. The mock has already
 * answered 400 to a path whose escapes do not decode, so decodeURIComponent cannot throw here.
 */
function inside(dir, rest) {
  const path = normalize(join(dir, decodeURIComponent(rest)));
  return path === dir || path.startsWith(dir + sep) ? path : null;
}

function serveStatic(req, res, url) {
  if (req.method !== 'GET') return false;
  if (url.pathname === '/demo-app.json') {
    res.writeHead(200, { 'content-type': TYPES['.json'], 'cache-control': 'no-store' });
    res.end(JSON.stringify(DEMO_APP));
    return true;
  }
  const mount = MOUNTS.find(([prefix]) => url.pathname.startsWith(prefix));
  if (!mount) return false;
  const rest = url.pathname.slice(mount[0].length) || 'index.html';
  const file = inside(mount[1], rest);
  if (!file) return false;
  readFile(file).then(
    (body) => {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'cache-control': 'no-store' });
      res.end(body);
    },
    () => {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not found');
    },
  )
    // Outside the mock's guard: a throw here would be an unhandled rejection, which ends the process.
    .catch(() => res.destroy());
  return true;
}

/**
 * Starts the mock with the demo page on `host:port`. It stays up on a fixed port while a browser
 * is open, so it answers only a loopback Host (a page of another site that rebinds its name to
 * 127.0.0.1 is refused with 421); the mock refuses cross-origin writes to /_mock/faults.
 */
export function startDemoServer(options = {}) {
  return startMockServer({ host: '127.0.0.1', ...options, loopbackOnly: true, handle: serveStatic });
}
