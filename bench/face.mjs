// Face benchmark: our detector (scalar and SIMD builds) and detector + mesh vs MediaPipe's
// tasks-vision FaceDetector on 640×480 frames of ../shared/faces, in one headless Chromium run,
// with init times and shipped sizes. Prints a table and writes target/bench/face.json.
import { readdirSync, readFileSync, existsSync, mkdirSync, writeFileSync, statSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { cpus } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve, root, shared, launchChromium, modelFiles, facePage } from './serve.mjs';

const facesDir = path.join(shared, 'faces');
export const haveFaces = existsSync(facesDir);
if (!haveFaces && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`skipped: no ${facesDir}`);
  process.exit(0);
}
/** Times our detector and mesh and tasks-vision's detector on `page` (the bench server at
 * `url`), with the CPU throttled by `throttle` (1: not). */
export async function faceBench(page, context, url, throttle = 1) {
  const names = readdirSync(facesDir).sort();
  const files = await modelFiles();
  await page.goto(await facePage(url));
  await page.waitForFunction(() => window.faceInit || window.faceInitError, null, { timeout: 60000 });
  const init = await page.evaluate(() => window.faceInit ?? window.faceInitError);
  if (throttle > 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: throttle });
  }
  const ms = await page.evaluate(([n]) => window.benchFaces(n, 15), [names]);
  const chromiumVersion = await page.evaluate(() => navigator.userAgent.match(/Chrom(?:e|ium)\/([\d.]+)/)?.[1] ?? '?');
  const gz = (file) => gzipSync(readFileSync(path.join(root, file)), { level: 9 }).length;
  const tasksWasm = path.join(root, 'node_modules/@mediapipe/tasks-vision/wasm/vision_wasm_internal.wasm');
  const size = {
    oursWasm: gz('pkg/simd/gradcap_bg.wasm'),
    models: Object.values(files).reduce((sum, file) => sum + gz(`models/${file}`), 0),
    tasksVisionWasm: gzipSync(readFileSync(tasksWasm), { level: 9 }).length,
    tasksVisionWasmRaw: statSync(tasksWasm).size,
  };
  if (throttle > 1) {
    const cdp = await context.newCDPSession(page);
    await cdp.send('Emulation.setCPUThrottlingRate', { rate: 1 });
  }
  return { chromium: chromiumVersion, cpu: cpus()[0].model, throttle, portraits: names.length, init, ms, size };
}

/** Prints the face table. */
export function printFace({ chromium, throttle, portraits, init, ms, size }) {
  console.log(`\nFace, 640×480 frames of ${portraits} portraits, headless Chromium ${chromium} on ${cpus()[0].model}` +
    (throttle > 1 ? `, CPU throttled ×${throttle}` : ''));
  console.log(`init ms (from model bytes): ours SIMD ${init.oursSimd.toFixed(1)}, ours scalar ${init.ours.toFixed(1)}, tasks-vision ${init.theirs.toFixed(1)}`);
  const row = (label, v) => console.log(`${label.padEnd(34)} ${v.toFixed(2).padStart(7)} ms   ${(v / ms.theirs).toFixed(2)}×`);
  row('tasks-vision FaceDetector', ms.theirs);
  row('ours, detection, SIMD', ms.detectSimd);
  row('ours, detection, scalar', ms.detectScalar);
  row('ours, detection + mesh, SIMD', ms.detectMeshSimd);
  row('ours, detection + mesh, scalar', ms.detectMeshScalar);
  if (ms.landmarkerFresh !== undefined) {
    const vs = (label, v) => console.log(`${label.padEnd(34)} ${v.toFixed(2).padStart(7)} ms   ours det+mesh ${(ms.detectMeshSimd / v).toFixed(2)}×`);
    console.log(`MediaPipe FaceLandmarker (face_landmarker.task, init ${init.landmarker.toFixed(0)} ms):`);
    vs('  fresh detection + mesh', ms.landmarkerFresh);
    vs('  fresh, with blendshapes', ms.landmarkerFreshBlend);
    vs('  tracked frame', ms.landmarkerTracked);
    vs('  tracked, with blendshapes', ms.landmarkerTrackedBlend);
  } else {
    console.log('MediaPipe FaceLandmarker: skipped (no target/anchor/face_landmarker.task: run scripts/fetch-anchor)');
  }
  console.log(`ours, all photo checks (no inference): SIMD ${ms.checksSimd.toFixed(2)} ms, scalar ${ms.checksScalar.toFixed(2)} ms (target ≤ 3 ms)`);
  console.log(`size gzipped: ours ${(size.oursWasm / 1024).toFixed(0)} KB wasm + ${(size.models / 1024).toFixed(0)} KB models = ${((size.oursWasm + size.models) / 1024).toFixed(0)} KB; tasks-vision wasm ${(size.tasksVisionWasm / 1024).toFixed(0)} KB (${(size.tasksVisionWasmRaw / 1048576).toFixed(1)} MB raw)`);
}

// Run directly: its own server and browser (GRADCAP_CPU_THROTTLE=4 for a mid-range phone).
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { server, url } = await serve();
  const { context, page, close } = await launchChromium();
  const out = await faceBench(page, context, url, Number(process.env.GRADCAP_CPU_THROTTLE ?? 1));
  await close();
  server.close();
  printFace(out);
  mkdirSync(path.join(root, 'target/bench'), { recursive: true });
  writeFileSync(path.join(root, 'target/bench/face.json'), JSON.stringify(out, null, 1));
}
