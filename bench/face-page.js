// The face reference page: our detector and MediaPipe's own (tasks-vision FaceDetector, same
// model file) on the same pictures, in the same browser.
import init, { FaceAnalyzer } from '/pkg/gradcap.js';
import { FilesetResolver, FaceDetector } from '/node_modules/@mediapipe/tasks-vision/vision_bundle.mjs';
import { withMetadata } from '/bench/tflite-metadata.mjs';

const MODELS = '/models/';
let ours;
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
  const t0 = performance.now();
  await init();
  const detector = await bytes(`${MODELS}face_detection_short_range.tflite`);
  ours = new FaceAnalyzer(detector, await bytes(`${MODELS}face_landmark.tflite`));
  const oursInit = performance.now() - t0;
  const t1 = performance.now();
  const fileset = await FilesetResolver.forVisionTasks('/node_modules/@mediapipe/tasks-vision/wasm');
  theirs = await FaceDetector.createFromOptions(fileset, {
    // The same weights; tasks-vision wants the input normalisation written in the file's metadata.
    baseOptions: { modelAssetBuffer: withMetadata(detector), delegate: 'CPU' },
    runningMode: 'IMAGE',
    minDetectionConfidence: 0.5,
  });
  window.faceInit = { ours: oursInit, theirs: performance.now() - t1 };
  document.getElementById('status').textContent = 'ready';
}
start().catch((e) => { window.faceInitError = String(e?.stack ?? e); });
