// The benchmark: one headless Chromium run, side by side with the anchors — QR (zxing-wasm,
// jsQR), faces (MediaPipe tasks-vision), the per-frame pipeline with and without SIMD at 640×480
// and 1280×720 (and under ×4 CPU throttling, standing in for a mid-range phone), start-up to the
// first analysed frame, sizes, and the heaps over 3,000 frames. Prints the table and writes
// target/bench/all.json. Run by scripts/bench.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { serve, root, launchChromium } from './serve.mjs';
import { qrBench, printQr, haveCorpus } from './qr.mjs';
import { faceBench, printFace, haveFaces } from './face.mjs';

const media = process.env.GRADCAP_TEST_MEDIA ?? '/tmp/gradcap-test';
const portraitPng = path.join(media, 'variants', 'biden-frontal.png');
if (!haveFaces || !existsSync(portraitPng)) {
  console.log('skipped: needs ../shared/faces and the portrait variants (scripts/bench makes them)');
  process.exit(0);
}
// A camera for start-up: the good portrait filling the demo's guide on a 390×844 phone.
const camera = path.join(media, 'bench-face.y4m');
execFileSync(path.join(root, 'target/release/gradcap-fixtures'), ['guided', portraitPng, camera, '390', '699', '60']);

const { server, url } = await serve();
const { context, page, close } = await launchChromium({
  args: ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${camera}`,
    '--use-fake-ui-for-media-stream', '--enable-precise-memory-info', '--js-flags=--expose-gc'],
});
const cdp = await context.newCDPSession(page);
const throttle = (rate) => cdp.send('Emulation.setCPUThrottlingRate', { rate });
const result = { chromium: null, cpu: `${cpus()[0].model} (${cpus().length} cores)` };

// Start-up: from navigation to the first analysed frame (the first `check` event), on the demo,
// with when the camera was asked for and when it answered. First in this fresh browser (nothing
// cached, and the browser's camera service not yet started), then with the HTTP and code caches
// cleared (a first visit on a browser that has used a camera before), then reloaded twice.
await page.addInitScript(() => {
  window.startup = {};
  const devices = navigator.mediaDevices;
  const ask = devices.getUserMedia.bind(devices);
  devices.getUserMedia = async (c) => {
    window.startup.cameraAsked ??= performance.now();
    const stream = await ask(c);
    window.startup.cameraOpen ??= performance.now();
    return stream;
  };
  document.addEventListener('check', () => { window.startup.firstCheck ??= performance.now(); }, true);
  // The first frame judged with the face found (the models loaded): looked for every animation
  // frame, so up to ~17 ms late.
  const look = () => {
    if (document.querySelector('grad-capture')?.stats?.()?.face) window.startup.firstFace = performance.now();
    else requestAnimationFrame(look);
  };
  requestAnimationFrame(look);
});
const firstFrame = async (kind) => {
  if (kind === 'first visit') await cdp.send('Network.clearBrowserCache');
  await page.goto(`${url}/www/index.html?steps=portrait`);
  await page.waitForFunction(() => window.startup.firstCheck && window.startup.firstFace, null, { timeout: 60000 });
  return { kind, ...await page.evaluate(() => window.startup) };
};
result.startup = [];
for (const kind of ['fresh browser', 'first visit', 'reload', 'reload']) result.startup.push(await firstFrame(kind));
result.chromium = await page.evaluate(() => navigator.userAgent.match(/Chrom(?:e|ium)\/([\d.]+)/)?.[1] ?? '?');

// The per-frame pipeline, then the heaps.
await page.goto(`${url}/bench/pipeline.html`);
await page.evaluate(() => window.pipelineInit);
const portrait = '/shared/faces/biden.jpg';
// A camera picture of a code from the corpus (640×480).
const code = '/shared/qr-corpus/zxing-qrcode-1/1.png';
result.pipeline = await page.evaluate(([p, c]) => window.benchPipeline(p, c, 150), [portrait, code]);
await throttle(4);
result.pipelineThrottled = await page.evaluate(([p, c]) => window.benchPipeline(p, c, 60, [[640, 480]], ['simd']), [portrait, code]);
await throttle(1);
result.memory = await page.evaluate(([p]) => window.benchMemory(p, 3000), [portrait]);

// The anchors, in the same browser.
result.face = await faceBench(page, context, url);
result.faceThrottled = await faceBench(page, context, url, 4);
if (haveCorpus) result.qr = await qrBench(page, url);
await close();
server.close();

// The table.
const f = (x) => (x == null ? '—' : x.toFixed(1)).padStart(6);
console.log(`\ngradcap benchmark — headless Chromium ${result.chromium} on ${result.cpu}`);
console.log('\nPer-frame pipeline (face tracked + every check + gate; QR scan while scanning), ms:');
console.log('                         p50    p95 | scan p50  p95');
for (const [k, v] of Object.entries(result.pipeline)) console.log(`  ${k.padEnd(20)} ${f(v.p50)} ${f(v.p95)} |  ${f(v.scanP50)} ${f(v.scanP95)}`);
for (const [k, v] of Object.entries(result.pipelineThrottled)) console.log(`  ${(k + ' ×4 CPU').padEnd(20)} ${f(v.p50)} ${f(v.p95)} |  ${f(v.scanP50)} ${f(v.scanP95)}   (target p95 ≤ 33 ms)`);
console.log('\nStart-up from page load (target: first analysed frame ≤ 300 ms), ms:');
console.log('                 first frame  face found | camera asked  open  (its start)');
for (const r of result.startup) {
  const n = (x) => x.toFixed(0).padStart(5);
  console.log(`  ${r.kind.padEnd(14)}  ${n(r.firstCheck)}       ${n(r.firstFace)}    |     ${n(r.cameraAsked)} ${n(r.cameraOpen)}  (${(r.cameraOpen - r.cameraAsked).toFixed(0)})`);
}
const m = result.memory;
const mb = (x) => (x / 1048576).toFixed(1);
console.log(`Memory: wasm ${mb(m.after100.wasm)} MB after 100 frames, ${mb(m.end.wasm)} MB after ${m.frames}; JS heap ${mb(m.after100.js)} → ${mb(m.end.js)} MB`);
printFace(result.face);
printFace(result.faceThrottled);
if (result.qr) printQr(result.qr);
mkdirSync(path.join(root, 'target/bench'), { recursive: true });
const { results: _omit, ...qrSummary } = result.qr ?? {};
writeFileSync(path.join(root, 'target/bench/all.json'), JSON.stringify({ ...result, qr: result.qr ? qrSummary : null }, null, 1));
console.log('\nwritten: target/bench/all.json');
