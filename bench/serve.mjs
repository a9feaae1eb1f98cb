// What the benchmark and reference pages run on: a static server (the repository — pkg/, bench/,
// models/, node_modules/ — at /, the shared test material at /shared/; loopback, a free port) and
// headless Chromium started as this machine needs it.
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

const TYPES = { '.png': 'image/png', '.jpg': 'image/jpeg', '.webp': 'image/webp', '.html': 'text/html',
  '.js': 'text/javascript', '.mjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json',
  '.tflite': 'application/octet-stream' };

export const root = path.resolve(import.meta.dirname, '..');
export const shared = path.resolve(process.env.GRADCAP_SHARED ?? path.join(root, '../shared'));

/** The model files the browser loads, by role (`{detector, mesh, segmentation}`), as the wasm
 * module names them (`modelFiles()`), read here in Node so that a page can be told them before
 * it starts its timings. */
export async function modelFiles() {
  const module = await import(pathToFileURL(path.join(root, 'pkg/gradcap.js')).href);
  module.initSync({ module: readFileSync(path.join(root, 'pkg/gradcap_bg.wasm')) });
  return module.modelFiles();
}

/** The face reference page, told which model files to load. */
export async function facePage(url) {
  return `${url}/bench/face.html?${new URLSearchParams(await modelFiles())}`;
}

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

/** The switches this machine's headless Chromium needs (no network beyond loopback, no GPU). */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
  '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Starts Debian's Chromium headless in a fresh profile, with `args` added to CHROMIUM_ARGS and
 * the other playwright options as given; resolves to `{ context, page, close }`. With
 * `GRADCAP_CPU_SLOWDOWN=N` the page runs N times slower (Chromium's CPU throttling), to see on a
 * fast machine what a slow test machine or phone analyses. */
export async function launchChromium({ args = [], ...options } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradcap-chromium-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: '/usr/bin/chromium', headless: true, args: [...CHROMIUM_ARGS, ...args], ...options,
  });
  const page = context.pages()[0] ?? await context.newPage();
  const slowdown = Number(process.env.GRADCAP_CPU_SLOWDOWN ?? 1);
  if (slowdown > 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: slowdown });
  }
  const close = async () => {
    await context.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { context, page, close };
}
