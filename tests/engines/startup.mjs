// WebKitGTK's start-up, measured: three loads of the demo's portrait step with the guided good
// face on the camera; for each, when the camera was open, when the video had a frame, when the
// first frame was analysed and the face found (ms from the page's start), how long that first
// analysis took, and [frames, ms a frame, frames a second] 3, 6 and 9 s later.
// Needs the WebKit tests' guided frame (run tests/engines/webkit.test.mjs once first):
//
//   GRADCAP_TEST_MEDIA=/tmp/gradcap-test node tests/engines/startup.mjs
import path from 'node:path';
import { startServer, media } from '../e2e/harness.mjs';
import { y4mFrame } from './camera.mjs';
import { launchWebKit } from './webkit.mjs';

const server = await startServer();
const script = `
  window.__marks = {};
  const poll = () => {
    const el = document.querySelector('grad-capture');
    const s = el && el.stats && el.stats();
    const t = performance.now();
    if (el && el.cameraActive && !__marks.camera) __marks.camera = t;
    const v = el && el.shadowRoot && el.shadowRoot.querySelector('video');
    if (v && v.readyState >= 2 && !__marks.data) __marks.data = t;
    if (s && s.frames >= 1 && !__marks.frame) { __marks.frame = t; __marks.firstMs = s.frameMs; }
    if (s && s.face && !__marks.face) __marks.face = t;
    if (!__marks.face) requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
`;
const frame = y4mFrame(path.join(media, 'webkit-guided-biden-frontal.y4m'));
for (let i = 0; i < 3; i++) {
  const page = await launchWebKit(frame, { script });
  await page.goto(`${server.url}?steps=portrait`);
  const marks = await page.waitFor(() => window.__marks.face && window.__marks, 30000);
  const later = [];
  for (let k = 0; k < 3; k++) {
    await new Promise((r) => setTimeout(r, 3000));
    later.push(await page.evaluate(() => { const s = document.querySelector('grad-capture').stats(); return [s.frames, Math.round(s.frameMsAvg * 10) / 10, Math.round(s.fps * 10) / 10]; }));
  }
  console.log(JSON.stringify(Object.fromEntries(Object.entries(marks).map(([k, v]) => [k, Math.round(v)]))), JSON.stringify(later));
  await page.close();
}
server.stop();
