// The face reference page: our detector and MediaPipe's own (tasks-vision FaceDetector, same
// model file) on the same pictures, in the same browser. Ours loads the models the component
// ships: the detector as is, the mesh packed to int8.
import init, { FaceAnalyzer } from '/pkg/gradcap.js';
import simdInit, { FaceAnalyzer as SimdFaceAnalyzer } from '/pkg/simd/gradcap.js';
import { FilesetResolver, FaceDetector } from '/node_modules/@mediapipe/tasks-vision/vision_bundle.mjs';
import { withMetadata } from '/bench/tflite-metadata.mjs';

const MODELS = '/models/';
let ours;
let oursSimd;
let theirs;

async function bytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** Draws `name` from the shared faces as `variant`: as is, half size, shifted, or turned 10°. */
async function picture(name, variant) {
  const bitmap = await createImageBitmap(await (await fetch(`/shared/faces/${name}`)).blob());
  const { width: w, height: h } = bitmap;
  const size = {
    orig: [w, h], half: [Math.round(w / 2), Math.round(h / 2)], shift: [Math.round(w * 1.15), Math.round(h * 1.1)],
    rot10: [w, h], blank: [w, h],
  }[variant];
  const canvas = new OffscreenCanvas(size[0], size[1]);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, size[0], size[1]);
  if (variant === 'half') ctx.drawImage(bitmap, 0, 0, size[0], size[1]);
  if (variant === 'orig') ctx.drawImage(bitmap, 0, 0);
  if (variant === 'shift') ctx.drawImage(bitmap, Math.round(w * 0.15), Math.round(h * 0.1));
  if (variant === 'rot10') {
    ctx.translate(w / 2, h / 2);
    ctx.rotate((10 * Math.PI) / 180);
    ctx.drawImage(bitmap, -w / 2, -h / 2);
  }
  return { canvas, data: ctx.getImageData(0, 0, size[0], size[1]) };
}

/** Both detectors on one picture: faces as `{score, box: [x, y, w, h], keypoints: [[x, y] ×6]}`. */
window.compareFaces = async (name, variant) => {
  const { canvas, data } = await picture(name, variant);
  const t0 = performance.now();
  const mine = ours.detect(data.data, data.width, data.height);
  const t1 = performance.now();
  const result = theirs.detect(canvas);
  const t2 = performance.now();
  const reference = result.detections.map((d) => ({
    score: d.categories[0].score,
    box: [d.boundingBox.originX, d.boundingBox.originY, d.boundingBox.width, d.boundingBox.height],
    keypoints: d.keypoints.map((k) => [k.x * data.width, k.y * data.height]),
  }));
  return { width: data.width, height: data.height, ours: mine, theirs: reference, ms: { ours: t1 - t0, theirs: t2 - t1 } };
};

async function start() {
  // The model files are fetched once, outside the timings; each init then starts from bytes
  // (ours: compile the module and load both models; tasks-vision: its module and the detector).
  const detector = await bytes(`${MODELS}face_detection_short_range.tflite`);
  const mesh = await bytes(`${MODELS}face_landmark.q8.tflite`);
  const t0 = performance.now();
  await simdInit();
  oursSimd = new SimdFaceAnalyzer(detector, mesh);
  const oursSimdInit = performance.now() - t0;
  const t1 = performance.now();
  await init();
  ours = new FaceAnalyzer(detector, mesh);
  const oursInit = performance.now() - t1;
  const t2 = performance.now();
  const fileset = await FilesetResolver.forVisionTasks('/node_modules/@mediapipe/tasks-vision/wasm');
  theirs = await FaceDetector.createFromOptions(fileset, {
    // The same weights; tasks-vision wants the input normalisation written in the file's metadata.
    baseOptions: { modelAssetBuffer: withMetadata(detector), delegate: 'CPU' },
    runningMode: 'IMAGE',
    minDetectionConfidence: 0.5,
  });
  window.faceInit = { ours: oursInit, oursSimd: oursSimdInit, theirs: performance.now() - t2 };
  document.getElementById('status').textContent = 'ready';
}
start().catch((e) => { window.faceInitError = String(e?.stack ?? e); });

/** A 640×480 camera-like frame of a portrait (the photo scaled to cover it). */
async function frame640(name) {
  const bitmap = await createImageBitmap(await (await fetch(`/shared/faces/${name}`)).blob());
  const canvas = new OffscreenCanvas(640, 480);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const scale = Math.max(640 / bitmap.width, 480 / bitmap.height);
  const [w, h] = [bitmap.width * scale, bitmap.height * scale];
  ctx.drawImage(bitmap, (640 - w) / 2, (480 - h) / 4, w, h);
  return { canvas, data: ctx.getImageData(0, 0, 640, 480) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Median milliseconds of each detector (and of our detection + mesh) over `runs` per picture. */
window.benchFaces = async (names, runs) => {
  const times = { detectScalar: [], detectSimd: [], theirs: [], detectMeshSimd: [], detectMeshScalar: [], checksSimd: [], checksScalar: [] };
  for (const name of names) {
    const { canvas, data } = await frame640(name);
    const cases = {
      detectScalar: () => ours.detect(data.data, 640, 480),
      detectSimd: () => oursSimd.detect(data.data, 640, 480),
      theirs: () => theirs.detect(canvas),
      detectMeshSimd: () => oursSimd.analyze(data.data, 640, 480),
      detectMeshScalar: () => ours.analyze(data.data, 640, 480),
      // All the photo checks on the face just found (no inference).
      checksSimd: () => oursSimd.judge(data.data, 640, 480),
      checksScalar: () => ours.judge(data.data, 640, 480),
    };
    for (const [key, run] of Object.entries(cases)) {
      run();
      for (let i = 0; i < runs; i++) {
        const t0 = performance.now();
        run();
        times[key].push(performance.now() - t0);
      }
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
};
