// Face benchmark: our detector (scalar and SIMD builds) and detector + mesh vs MediaPipe's
// tasks-vision FaceDetector on 640×480 frames of ../shared/faces, in one headless Chromium run,
// with init times and shipped sizes. Prints a table and writes target/bench/face.json.
import { readdirSync, readFileSync, existsSync, mkdirSync, writeFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { cpus } from 'node:os';
import path from 'node:path';
import { serve, root, shared, launchChromium } from './serve.mjs';

const facesDir = path.join(shared, 'faces');
if (!existsSync(facesDir)) {
  console.log(`skipped: no ${facesDir}`);
  process.exit(0);
}
const names = readdirSync(facesDir).sort();
const throttle = Number(process.env.GRADCAP_CPU_THROTTLE ?? 1);
const { server, url } = await serve();
const { context, page, close } = await launchChromium();
await page.goto(`${url}/bench/face.html`);
await page.waitForFunction(() => window.faceInit || window.faceInitError, null, { timeout: 60000 });
const init = await page.evaluate(() => window.faceInit ?? window.faceInitError);
if (throttle > 1) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
}
const ms = await page.evaluate(([n]) => window.benchFaces(n, 15), [names]);
const chromiumVersion = await page.evaluate(() => navigator.userAgent.match(/Chrom(?:e|ium)\/([\d.]+)/)?.[1] ?? '?');
await close();
server.close();

const gz = (file) => gzipSync(readFileSync(path.join(root, file)), { level: 9 }).length;
const tasksWasm = path.join(root, 'node_modules/@mediapipe/tasks-vision/wasm/vision_wasm_internal.wasm');
const size = {
  oursWasm: gz('pkg/simd/gradcap_bg.wasm'),
  models: gz('models/face_detection_short_range.tflite') + gz('models/face_landmark.q8.tflite'),
  tasksVisionWasm: gzipSync(readFileSync(tasksWasm), { level: 9 }).length,
  tasksVisionWasmRaw: statSync(tasksWasm).size,
};
console.log(`\nFace, 640×480 frames of ${names.length} portraits, headless Chromium ${chromiumVersion} on ${cpus()[0].model}` +
  (throttle > 1 ? `, CPU throttled ×${throttle}` : ''));
console.log(`init ms (from model bytes): ours SIMD ${init.oursSimd.toFixed(1)}, ours scalar ${init.ours.toFixed(1)}, tasks-vision ${init.theirs.toFixed(1)}`);
const row = (label, v) => console.log(`${label.padEnd(34)} ${v.toFixed(2).padStart(7)} ms   ${(v / ms.theirs).toFixed(2)}×`);
row('tasks-vision FaceDetector', ms.theirs);
row('ours, detection, SIMD', ms.detectSimd);
row('ours, detection, scalar', ms.detectScalar);
row('ours, detection + mesh, SIMD', ms.detectMeshSimd);
row('ours, detection + mesh, scalar', ms.detectMeshScalar);
console.log(`ours, all photo checks (no inference): SIMD ${ms.checksSimd.toFixed(2)} ms, scalar ${ms.checksScalar.toFixed(2)} ms (target ≤ 3 ms)`);
console.log(`size gzipped: ours ${(size.oursWasm / 1024).toFixed(0)} KB wasm + ${(size.models / 1024).toFixed(0)} KB models = ${((size.oursWasm + size.models) / 1024).toFixed(0)} KB; tasks-vision wasm ${(size.tasksVisionWasm / 1024).toFixed(0)} KB (${(size.tasksVisionWasmRaw / 1048576).toFixed(1)} MB raw)`);
mkdirSync(path.join(root, 'target/bench'), { recursive: true });
writeFileSync(path.join(root, 'target/bench/face.json'), JSON.stringify({ chromium: chromiumVersion, cpu: cpus()[0].model, throttle, init, ms, size }, null, 1));
