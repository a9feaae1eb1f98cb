// The npm package as a front-end developer installs it: `npm pack` of pkg/, installed into a
// fresh Vite app and a webpack 5 app (pinned versions from npm), each built for production, then
// served as a static site and opened in headless Chromium: both builds of the module must be in
// the output, the element must load the module (no 404, no "too old" message), and a failed load
// must say `wasm.load`, not `wasm.unsupported`; then each app served by `gradcap serve --root dist`
// reads the capture code, takes a portrait from the fake camera and uploads it, stored once; and
// Vite's dev server loads the module. Run by scripts/test (needs the npm registry once; the apps'
// node_modules stay in target/bundlers/).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { root, contentType, launchChromium } from '../../bench/serve.mjs';
import { startServer, staffFetch, launchPhone, shadow, nextEvent, shootPhoto, media } from '../e2e/harness.mjs';

const VERSIONS = { vite: '8.4.1', webpack: '5.113.0', 'webpack-cli': '7.3.1', 'html-webpack-plugin': '5.6.8' };
const work = path.join(root, 'target/bundlers');
const skip = !existsSync(path.join(root, 'pkg/gradcap_bg.wasm')) && 'no built component (scripts/build-web)';

/** pkg/ packed as npm would publish it; the tarball's path. */
function pack() {
  mkdirSync(work, { recursive: true });
  const name = execFileSync('npm', ['pack', '--silent', '--pack-destination', work, path.join(root, 'pkg')], { encoding: 'utf8' }).trim().split('\n').pop();
  return path.join(work, name);
}

const PAGE_JS = `import { ready } from 'gradcap';
window.gradcapLoad = ready.then(() => 'loaded', (e) => 'failed: ' + e.message);
document.querySelector('grad-capture').addEventListener('error', (e) => { window.gradcapError = e.detail; });
`;
// The element at the size of the demo's on a phone (390×699), which the fake camera's film fills.
const PAGE_HTML = (script) => `<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><title>gradcap in a bundler</title></head>
<body style="margin:0"><grad-capture steps="code,portrait,upload" models="/models/" style="display:block;width:390px;height:699px"></grad-capture>${script}</body></html>
`;

/** A fresh app of `kind` ('vite' or 'webpack') depending on `tarball`, built; its output folder. */
function buildApp(kind, tarball) {
  const dir = path.join(work, kind);
  mkdirSync(path.join(dir, 'src'), { recursive: true });
  const dev = kind === 'vite'
    ? { vite: VERSIONS.vite }
    : { webpack: VERSIONS.webpack, 'webpack-cli': VERSIONS['webpack-cli'], 'html-webpack-plugin': VERSIONS['html-webpack-plugin'] };
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: `gradcap-${kind}-app`, private: true, type: 'module', dependencies: { gradcap: `file:${tarball}` }, devDependencies: dev }, null, 2));
  writeFileSync(path.join(dir, 'src/main.js'), PAGE_JS);
  if (kind === 'vite') {
    writeFileSync(path.join(dir, 'index.html'), PAGE_HTML('<script type="module" src="/src/main.js"></script>'));
  } else {
    writeFileSync(path.join(dir, 'src/index.html'), PAGE_HTML(''));
    writeFileSync(path.join(dir, 'webpack.config.js'), `import HtmlWebpackPlugin from 'html-webpack-plugin';
export default { mode: 'production', entry: './src/main.js', output: { path: new URL('./dist', import.meta.url).pathname, clean: true },
  plugins: [new HtmlWebpackPlugin({ template: './src/index.html', scriptLoading: 'module' })] };
`);
  }
  // The tarball changes with every build of the component: installed again each time, named on
  // the command line (a plain \`npm install\` took the copy the lockfile's integrity names from
  // npm's cache: an app built days before kept loading that build's component).
  rmSync(path.join(dir, 'node_modules/gradcap'), { recursive: true, force: true });
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: dir, stdio: 'inherit' });
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', tarball], { cwd: dir, stdio: 'inherit' });
  const bin = kind === 'vite' ? ['vite', 'build'] : ['webpack'];
  execFileSync(path.join(dir, 'node_modules/.bin', bin[0]), bin.slice(1), { cwd: dir, stdio: 'inherit' });
  return path.join(dir, 'dist');
}

/** Every file under `dir`, relative. */
function files(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? files(full, base) : [path.relative(base, full)];
  });
}

/** Serves `dist` (and the repository's models/ under /models/); `missing` names files answered 404. */
function serveStatic(dist, missing = () => false) {
  const server = createServer((req, res) => {
    const urlPath = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const [base, rel] = urlPath.startsWith('/models/') ? [path.join(root, 'models'), urlPath.slice(8)] : [dist, urlPath === '/' ? 'index.html' : urlPath];
    const file = path.join(base, rel);
    if (missing(rel) || !file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'content-type': contentType(file) });
    res.end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${server.address().port}` })));
}

/** Opens `url` in Chromium; what the page's load of the module came to, and the element's error. */
async function open(url) {
  const { page, close } = await launchChromium({ args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'] });
  try {
    const failed = [];
    const wasm = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failed.push(`${r.status()} ${r.url()}`);
      else if (r.headers()['content-type'] === 'application/wasm') wasm.push(r.url());
    });
    await page.goto(url);
    const load = await page.evaluate(() => window.gradcapLoad);
    await page.waitForTimeout(300);
    const error = await page.evaluate(() => window.gradcapError ?? null);
    const text = await page.evaluate(() => document.querySelector('grad-capture').shadowRoot?.textContent ?? '');
    return { load, error, text, failed, wasm };
  } finally {
    await close();
  }
}

let tarball;
test('the packed package carries its README, both licence texts and the types', { skip }, () => {
  tarball ??= pack();
  const listed = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n');
  for (const file of ['README.md', 'LICENSE-MIT', 'LICENSE-APACHE', 'package.json', 'gradcap-element.d.ts', 'gradcap_bg.wasm', 'simd/gradcap_bg.wasm']) {
    assert.ok(listed.includes(`package/${file}`), `${file} in ${listed.join(', ')}`);
  }
});

const FACE = path.join(media, 'variants', 'biden-frontal.png');
const noFlow = skip || (!existsSync(FACE) && 'no portrait variants (needs ../shared/faces and models/)')
  || (!existsSync(path.join(root, 'pkg-models/face_landmark_with_attention.q8.tflite')) && 'no pkg-models/ (scripts/build-web)');

const CODE = 'CHSI-2026-BUNDLED-0042';

/** The fake camera's film: a capture code, then the good face filling the guide of a 390×699
 * element (as upload.test.mjs). */
function faceCamera() {
  const name = 'bundled-code-face.y4m';
  execFileSync(path.join(root, 'target/release/gradcap-fixtures'), ['guided', FACE, path.join(media, name), '390', '699', '150', CODE, '20']);
  return name;
}

/** `dist` served by `gradcap serve --root dist`, the browser's models from the gradcap-models
 * package's folder: the code read, the portrait taken, confirmed and uploaded; the stored photo is
 * the one sent, under that code. */
async function portraitUploaded(dist) {
  const srv = await startServer(['--models', path.join(root, 'pkg-models')], { site: dist });
  const { page, close } = await launchPhone(faceCamera());
  try {
    await page.goto(srv.url);
    const uploaded = nextEvent(page, ['uploaded', 'error'], 120000);
    const sent = await shootPhoto(page);
    await shadow(page, 'confirm', (el) => el.click());
    const { type, detail } = await uploaded;
    assert.equal(type, 'uploaded', JSON.stringify(detail));
    const staff = await staffFetch(srv.url);
    const stored = (await (await staff('/api/captures?limit=10')).json()).items;
    assert.equal(stored.length, 1, JSON.stringify(stored));
    assert.equal(stored[0].photoSha256, createHash('sha256').update(sent).digest('hex'), 'the stored photo is the one sent');
    assert.deepEqual(stored[0].verdict.selfCheck?.faults, [], 'the backend re-checked it (with the int8 models)');
    assert.equal(stored[0].captureCode, CODE);
  } finally {
    await close();
    srv.stop();
  }
}

for (const kind of ['vite', 'webpack']) {
  test(`the npm package in a ${kind} production build: both builds emitted, the module loads, a missing .wasm says wasm.load`, { skip, timeout: 600000 }, async () => {
    tarball ??= pack();
    const dist = buildApp(kind, tarball);
    const emitted = files(dist);
    const wasm = emitted.filter((f) => f.endsWith('.wasm'));
    assert.equal(wasm.length, 2, `the scalar and the SIMD .wasm in ${kind}'s output: ${emitted.join(', ')}`);
    const { server, url } = await serveStatic(dist);
    try {
      const seen = await open(url);
      assert.equal(seen.load, 'loaded', JSON.stringify(seen));
      assert.deepEqual(seen.failed.filter((f) => /\.(wasm|js)$/.test(f)), [], 'no file of the module missing');
      assert.ok(!/过旧/.test(seen.text), seen.text);
    } finally {
      server.close();
    }
    // The .wasm not deployed: the page says it could not load, with 重试, and the code says which.
    const broken = await serveStatic(dist, (rel) => rel.endsWith('.wasm'));
    try {
      const seen = await open(broken.url);
      assert.match(seen.load, /^failed: cannot load .*\.wasm: HTTP 404/, JSON.stringify(seen));
      assert.equal(seen.error?.code, 'wasm.load', JSON.stringify(seen));
      assert.match(seen.text, /加载失败/);
      assert.ok(!/过旧/.test(seen.text), seen.text);
    } finally {
      broken.server.close();
    }
  });

  test(`the ${kind} app served by gradcap serve --root dist: the code read, a portrait taken and uploaded, stored once`, { skip: noFlow, timeout: 300000 }, async () => {
    await portraitUploaded(path.join(work, kind, 'dist'));
  });
}

// Vite's dev server (what a developer runs first): the module and both .wasm builds served from
// node_modules through Vite's transforms, no optimizeDeps setting needed.
test('the npm package under Vite\'s dev server: the module loads, no file of it missing', { skip, timeout: 300000 }, async () => {
  const dir = path.join(work, 'vite');
  if (!existsSync(path.join(dir, 'node_modules/.bin/vite'))) {
    tarball ??= pack();
    buildApp('vite', tarball);
  }
  const vite = spawn(path.join(dir, 'node_modules/.bin/vite'), ['--host', '127.0.0.1', '--port', '0', '--strictPort'], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const url = await new Promise((resolve, reject) => {
      let out = '';
      vite.stdout.on('data', (chunk) => {
        out += chunk;
        const m = out.replace(/\x1b\[[0-9;]*m/g, '').match(/(http:\/\/127\.0\.0\.1:\d+)\//);
        if (m) resolve(m[1]);
      });
      vite.on('exit', (code) => reject(new Error(`vite exited with ${code}: ${out}`)));
    });
    const seen = await open(url);
    assert.equal(seen.load, 'loaded', JSON.stringify(seen));
    assert.deepEqual(seen.failed.filter((f) => /\.(wasm|js)(\?|$)/.test(f)), [], 'no file of the module missing');
    assert.equal(seen.wasm.length, 1, `one .wasm fetched as application/wasm: ${JSON.stringify(seen)}`);
    assert.ok(!/过旧/.test(seen.text), seen.text);
  } finally {
    vite.kill();
  }
});
