// A static server for the benchmark and reference pages: the repository (pkg/, bench/, models/,
// node_modules/) at /, and the shared test material at /shared/. Loopback only, a free port.
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import path from 'node:path';

const TYPES = { '.png': 'image/png', '.jpg': 'image/jpeg', '.webp': 'image/webp', '.html': 'text/html',
  '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json',
  '.tflite': 'application/octet-stream' };

export const root = path.resolve(import.meta.dirname, '..');
export const shared = path.resolve(process.env.GRADCAP_SHARED ?? path.join(root, '../shared'));

export function contentType(file) {
  return TYPES[path.extname(file)] ?? 'application/octet-stream';
}

/** Starts the server; resolves to `{ server, url }`. */
export function serve() {
  const server = createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [base, rel] = urlPath.startsWith('/shared/') ? [shared, urlPath.slice(8)] : [root, urlPath];
    const file = path.join(base, rel);
    if (!file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': contentType(file) });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () =>
    resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}
