// Our face detector against MediaPipe's own JavaScript (tasks-vision FaceDetector, the same model
// file) in headless Chromium, on ../shared/faces and variants made from them. Needs pkg/ and
// models/ (scripts/test makes both); skips when the shared photos are absent.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { serve, shared, launchChromium, facePage } from '../../bench/serve.mjs';

const facesDir = path.join(shared, 'faces');
const faces = existsSync(facesDir) ? readdirSync(facesDir).sort() : [];
const VARIANTS = ['orig', 'half', 'shift', 'rot10'];
let browser;
let server;

before(async () => {
  if (!faces.length) return;
  let url;
  ({ server, url } = await serve());
  browser = await launchChromium();
  await browser.page.goto(await facePage(url));
  await browser.page.waitForFunction(() => window.faceInit || window.faceInitError, null, { timeout: 60000 });
  const error = await browser.page.evaluate(() => window.faceInitError);
  if (error) throw new Error(error);
});

after(async () => {
  await browser?.close();
  server?.close();
});

const distance = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1]);

test('keypoints within 2 % of the face width and scores within 0.02 of MediaPipe', { skip: !faces.length && 'no ../shared/faces' }, async () => {
  const worst = { keypoint: 0, score: 0 };
  for (const name of faces) {
    for (const variant of VARIANTS) {
      const r = await browser.page.evaluate(([n, v]) => window.compareFaces(n, v), [name, variant]);
      const label = `${name} ${variant}`;
      assert.equal(r.ours.length, r.theirs.length, `${label}: ${r.ours.length} faces vs ${r.theirs.length}`);
      for (const [mine, ref] of r.ours.map((f, i) => [f, r.theirs[i]])) {
        const width = ref.box[2];
        const err = Math.max(...mine.keypoints.map((p, k) => distance(p, ref.keypoints[k]) / width));
        const dscore = Math.abs(mine.score - ref.score);
        worst.keypoint = Math.max(worst.keypoint, err);
        worst.score = Math.max(worst.score, dscore);
        assert.ok(err < 0.02, `${label}: keypoints off by ${(100 * err).toFixed(2)} % of the face width`);
        assert.ok(dscore < 0.02, `${label}: score ${mine.score.toFixed(3)} vs ${ref.score.toFixed(3)}`);
      }
    }
  }
  console.log(`worst keypoint error ${(100 * worst.keypoint).toFixed(2)} % of face width, worst score difference ${worst.score.toFixed(4)}`);
});

test('pictures without a face give no face, in both', { skip: !faces.length && 'no ../shared/faces' }, async () => {
  const r = await browser.page.evaluate(([n]) => window.compareFaces(n, 'blank'), [faces[0]]);
  assert.equal(r.theirs.length, 0);
  assert.equal(r.ours.length, 0);
});
