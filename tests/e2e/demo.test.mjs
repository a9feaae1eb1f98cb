// End-to-end: the demo page served by `gradcap serve`, in headless Chromium with a fake camera.
// Run by scripts/test (which builds pkg/, the CLI and the fake-camera video first).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchPhone, shadow, nextEvent, root, media, shots } from './harness.mjs';
import { record } from '../engines/report.mjs';

const CODE_TEXT = 'CHSI-TEST-CAPTURE-1234567890'; // what qr.y4m and screenshot.png hold
// What the fake camera shows: left half luma 60, right half 190 (tools/fixtures `halves`).
const LEFT_Y = 60;
const RIGHT_Y = 190;

let server;
let baseUrl;

before(async () => {
  mkdirSync(shots, { recursive: true });
  server = await startServer();
  baseUrl = server.url;
});

after(() => server?.stop());

/** Chromium as a phone with the fake camera (granted when `allowCamera`). */
function launch({ allowCamera, userAgent, camera = 'halves.y4m' } = {}) {
  return launchPhone(camera, { allowCamera, userAgent });
}

/** Waits until the demo's stats output reports at least `frames` analysed frames. */
async function statsAfter(page, frames) {
  const handle = await page.waitForFunction((n) => {
    const text = document.getElementById('stats').value;
    const s = text && JSON.parse(text);
    return s && s.frames >= n ? s : null;
  }, frames, { timeout: 20000 });
  return handle.jsonValue();
}

test('attributes changed after the element is connected apply: new steps start the flow again, a new lang is shown', async () => {
  const { page, close } = await launch({ allowCamera: true });
  try {
    await page.goto(`${baseUrl}?steps=portrait`);
    await statsAfter(page, 5);
    assert.equal(await page.evaluate(() => document.querySelector('grad-capture').state), 'framing');
    await page.evaluate(() => document.querySelector('grad-capture').setAttribute('steps', 'code,portrait'));
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'code', null, { timeout: 10000 });
    await page.waitForFunction(() => document.querySelector('grad-capture').cameraActive, null, { timeout: 10000 });
    await page.evaluate(() => document.querySelector('grad-capture').setAttribute('steps', 'portrait'));
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'framing', null, { timeout: 10000 });
    await page.evaluate(() => document.querySelector('grad-capture').setAttribute('lang', 'en'));
    await page.waitForFunction(() => /[A-Za-z]{4}/.test(document.querySelector('grad-capture').shadowRoot.getElementById('guidance').textContent), null, { timeout: 10000 });
  } finally {
    await close();
  }
});

test('frames from the fake camera reach the core, the guide is drawn and the shutter is off', async () => {
  const { page, close } = await launch({ allowCamera: true });
  try {
    // Under the server's policy (docs/embedding.md), nothing the component does is refused.
    await page.addInitScript(() => {
      window.cspViolations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.cspViolations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    await page.goto(`${baseUrl}?steps=portrait&debug`);
    const s = await statsAfter(page, 10);
    assert.deepEqual(await page.evaluate(() => window.cspViolations), [], 'Content-Security-Policy violations');
    assert.equal(s.state, 'framing');
    assert.equal(s.cameraActive, true);
    // The analysed frame is what the element shows: same aspect as the element.
    const box = await page.locator('grad-capture').boundingBox();
    assert.ok(Math.abs(s.last.width / s.last.height - box.width / box.height) < 0.02,
      `frame ${s.last.width}×${s.last.height} vs view ${box.width}×${box.height}`);
    assert.ok(Math.max(s.last.width, s.last.height) <= 640);
    // The statistic matches the video: dark left half, bright right half (BT.601 video range).
    const expectLeft = (LEFT_Y - 16) * 255 / 219;
    const expectRight = (RIGHT_Y - 16) * 255 / 219;
    assert.ok(Math.abs(s.last.leftLuma - expectLeft) < 6, `left luma ${s.last.leftLuma} vs ${expectLeft}`);
    assert.ok(Math.abs(s.last.rightLuma - expectRight) < 6, `right luma ${s.last.rightLuma} vs ${expectRight}`);
    assert.ok(s.frameMsAvg > 0 && s.fps > 0);

    assert.equal(await shadow(page, 'shutter', (el) => el.disabled), true);
    const oval = await shadow(page, 'oval', (el) => ['cx', 'cy', 'rx', 'ry'].map((a) => +el.getAttribute(a)));
    assert.ok(Math.abs(oval[0] - box.width / 2) < 1, 'oval centred');
    assert.ok(oval[1] < box.height / 2 && oval[3] > oval[2], 'oval upright, above the middle');
    assert.match(await shadow(page, 'guidance', (el) => el.textContent), /虚线框/);
    // Live capture only: the album picker (for the capture code) is gone in the portrait step.
    assert.equal(await shadow(page, 'codebar', (el) => getComputedStyle(el).display), 'none');
    await page.screenshot({ path: path.join(shots, 'phone-live.png') });

    // Removing the element stops the camera.
    const active = await page.evaluate(async () => {
      const el = document.querySelector('grad-capture');
      el.remove();
      await new Promise((r) => setTimeout(r, 200));
      return el.cameraActive;
    });
    assert.equal(active, false);
  } finally {
    await close();
  }
});

test('a denied camera shows the browser-specific guidance and a stable error code', async () => {
  const { page, close } = await launch({ allowCamera: false });
  try {
    await page.addInitScript(() => {
      window.gradcapErrors = [];
      document.addEventListener('error', (e) => e.detail && window.gradcapErrors.push(e.detail), true);
    });
    await page.goto(baseUrl);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'failed', null, { timeout: 20000 });
    const errors = await page.evaluate(() => window.gradcapErrors);
    assert.deepEqual(errors.map((e) => e.code), ['camera.denied']);
    assert.match(errors[0].message, /网站设置/);
    assert.match(await shadow(page, 'failure-text', (el) => el.textContent), /网站设置/);
    assert.match(await shadow(page, 'failure-code', (el) => el.textContent), /camera\.denied/);
    assert.equal(await shadow(page, 'retry', (el) => el.hidden), false);
    assert.equal(await shadow(page, 'shutter', (el) => el.disabled), true);
    await page.screenshot({ path: path.join(shots, 'phone-denied.png') });
  } finally {
    await close();
  }
});

test('in WeChat a denied camera says where WeChat keeps the switch', async () => {
  const ua = 'Mozilla/5.0 (Linux; Android 14; Pixel 7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36 MicroMessenger/8.0.47';
  const { page, close } = await launch({ allowCamera: false, userAgent: ua });
  try {
    await page.goto(baseUrl);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'failed', null, { timeout: 20000 });
    assert.match(await shadow(page, 'failure-text', (el) => el.textContent), /点击右上角 ··· → 设置 → 打开摄像头后重试/);
    await page.screenshot({ path: path.join(shots, 'phone-denied-wechat.png') });
  } finally {
    await close();
  }
});

test('a model that cannot be fetched is said once with 重试, which fetches it again', { skip: !existsSync(path.join(media, 'face.y4m')) && 'no face.y4m (needs ../shared/faces)' }, async () => {
  const { page, close } = await launch({ allowCamera: true, camera: 'face.y4m' });
  try {
    await page.addInitScript(() => {
      window.gradcapErrors = [];
      // The camera opens only after the failure is said (on a slow phone the models can fail
      // first): opening it must not hide the failure. 10 s at most, so that the test cannot hang.
      const said = new Promise((resolve) => {
        document.addEventListener('error', (e) => e.detail?.code === 'model.load' && resolve(), true);
        setTimeout(resolve, 10000);
      });
      const open = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (constraints) => said.then(() => open(constraints));
      document.addEventListener('error', (e) => e.detail && window.gradcapErrors.push(e.detail), true);
    });
    // The network drops the segmentation model's download.
    const blocked = '**/models/selfie_segmentation.q8.tflite';
    await page.route(blocked, (route) => route.abort('connectionreset'));
    await page.goto(`${baseUrl}?steps=portrait`);
    // (The element's shadow root exists once the module has loaded.)
    const failureShown = () => document.querySelector('grad-capture')?.state === 'framing'
      && document.querySelector('grad-capture').shadowRoot.getElementById('failure').hidden === false;
    await page.waitForFunction(failureShown, null, { timeout: 20000 });
    await page.waitForTimeout(500);
    assert.equal(await shadow(page, 'failure', (el) => el.hidden), false, 'the camera opened after the failure: still said');
    assert.match(await shadow(page, 'failure-text', (el) => el.textContent), /人脸识别模型加载失败/);
    assert.match(await shadow(page, 'failure-code', (el) => el.textContent), /model\.load/);
    assert.equal(await shadow(page, 'retry', (el) => el.hidden), false);
    assert.equal(await shadow(page, 'shutter', (el) => el.disabled), true);
    assert.deepEqual((await page.evaluate(() => window.gradcapErrors)).map((e) => e.code), ['model.load']);
    const [said] = await page.evaluate(() => window.gradcapErrors);
    assert.match(said.message ?? '', /models\/selfie_segmentation\.q8\.tflite: \S/, `the message names the model and why: ${said.message}`);
    await page.screenshot({ path: path.join(shots, 'phone-model-failed.png') });
    // The connection is back: 重试 fetches the models again and the panel goes.
    await page.unroute(blocked);
    await shadow(page, 'retry', (el) => el.click());
    await page.waitForFunction(() => document.querySelector('grad-capture').shadowRoot.getElementById('failure').hidden === true, null, { timeout: 20000 });
    await page.waitForTimeout(2000);
    assert.equal(await shadow(page, 'failure', (el) => el.hidden), true, 'the models loaded: no failure again');
    assert.deepEqual((await page.evaluate(() => window.gradcapErrors)).map((e) => e.code), ['model.load']);
    assert.equal(await page.evaluate(() => document.querySelector('grad-capture').state), 'framing');
  } finally {
    await close();
  }
});

/** Collects the component's events from page load on. */
async function recordEvents(page) {
  await page.addInitScript(() => {
    window.gradcapEvents = [];
    for (const name of ['code', 'session', 'error', 'ready']) {
      document.addEventListener(name, (e) => e.detail && window.gradcapEvents.push({ name, ...e.detail }), true);
    }
  });
}

test('the capture code is read from the live camera, then the portrait step begins', async () => {
  const { page, close } = await launch({ allowCamera: true, camera: 'qr.y4m' });
  try {
    await recordEvents(page);
    await page.goto(baseUrl);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'framing', null, { timeout: 20000 });
    const events = await page.evaluate(() => window.gradcapEvents);
    assert.deepEqual(events.filter((e) => e.name === 'code').map((e) => e.code), [CODE_TEXT]);
    assert.match(await shadow(page, 'binding', (el) => el.textContent), new RegExp(`已识别采集码：${CODE_TEXT}`));
    await page.screenshot({ path: path.join(shots, 'phone-code-read.png') });
  } finally {
    await close();
  }
});

test('the capture code is read from a saved screenshot picked in the album', async () => {
  // The camera shows no code (halves.y4m), so only the album can bind it.
  const { page, close } = await launch({ allowCamera: true });
  try {
    await recordEvents(page);
    await page.goto(baseUrl);
    await page.waitForFunction(() => document.querySelector('grad-capture').shadowRoot
      ?.getElementById('guidance')?.textContent.includes('采集码'), null, { timeout: 20000 });
    assert.equal(await page.evaluate(() => document.querySelector('grad-capture').state), 'code');
    await page.screenshot({ path: path.join(shots, 'phone-code-scan.png') });

    await page.locator('grad-capture #album').setInputFiles(path.join(media, 'screenshot-nocode.png'));
    await page.waitForFunction(() => document.querySelector('grad-capture').shadowRoot
      ?.getElementById('album-status')?.textContent.includes('请长按保存原图后重试'), null, { timeout: 20000 });
    await page.screenshot({ path: path.join(shots, 'phone-album-no-code.png') });
    assert.equal(await page.evaluate(() => document.querySelector('grad-capture').state), 'code');

    await page.locator('grad-capture #album').setInputFiles(path.join(media, 'screenshot.png'));
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'framing', null, { timeout: 20000 });
    const codes = (await page.evaluate(() => window.gradcapEvents)).filter((e) => e.name === 'code');
    assert.deepEqual(codes.map((e) => e.code), [CODE_TEXT]);
  } finally {
    await close();
  }
});

test('the session code can be typed after the capture code', async () => {
  const { page, close } = await launch({ allowCamera: true, camera: 'qr.y4m' });
  try {
    await recordEvents(page);
    await page.goto(`${baseUrl}?steps=code,session,portrait`);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'session', null, { timeout: 20000 });
    await page.locator('grad-capture #session-input').fill('2605070');
    await page.locator('grad-capture #session-ok').click();
    assert.match(await shadow(page, 'session-status', (el) => el.textContent), /8位数字/);
    await page.locator('grad-capture #session-input').fill('26050704');
    await page.locator('grad-capture #session-ok').click();
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'framing', null, { timeout: 20000 });
    const sessions = (await page.evaluate(() => window.gradcapEvents)).filter((e) => e.name === 'session');
    assert.deepEqual(sessions.map((e) => e.session), ['26050704']);
  } finally {
    await close();
  }
});

test('the face in the camera is found, tracked, and drawn with the debug switch', { skip: !existsSync(path.join(media, 'face.y4m')) && 'no face.y4m (needs ../shared/faces)' }, async () => {
  const { page, close } = await launch({ allowCamera: true, camera: 'face.y4m' });
  try {
    await page.goto(`${baseUrl}?steps=portrait&debug`);
    const handle = await page.waitForFunction(() => {
      const text = document.getElementById('stats').value;
      const s = text && JSON.parse(text);
      return s && s.face && s.frames > 20 ? s : null;
    }, null, { timeout: 30000 });
    const s = await handle.jsonValue();
    assert.ok(s.face.score > 0.8, `score ${s.face.score}`);
    const [x, y, w, h] = s.face.box;
    assert.ok(x > 0 && y > 0 && x + w < s.last.width && y + h < s.last.height, `box ${s.face.box} in ${s.last.width}×${s.last.height}`);
    assert.equal(await shadow(page, 'debug-canvas', (el) => el.hidden), false);
    assert.equal(await shadow(page, 'shutter', (el) => el.disabled), true, 'obama.jpg shows his teeth: the shutter stays off');
    console.log(`face frames: ${s.frameMsAvg.toFixed(1)} ms a frame on average, ${s.fps.toFixed(1)} fps`);
    await page.screenshot({ path: path.join(shots, 'phone-face-debug.png') });
  } finally {
    await close();
  }
});

const shutterOff = (page) => shadow(page, 'shutter', (el) => el.disabled);
const guidance = (page) => shadow(page, 'guidance', (el) => el.textContent);
const ovalColour = (page) => shadow(page, 'oval', (el) => getComputedStyle(el).stroke);

const variants = path.join(media, 'variants');
const noGuided = !existsSync(path.join(variants, 'biden-frontal.png')) && 'no portrait variants (needs ../shared/faces and models/)';

/** The component's size in the demo on the phone viewport, in CSS pixels. */
async function componentSize() {
  const { page, close } = await launch({ allowCamera: true });
  try {
    await page.goto(`${baseUrl}?steps=portrait`);
    await statsAfter(page, 3);
    return await page.evaluate(() => {
      const r = document.querySelector('grad-capture').getBoundingClientRect();
      return [r.width, r.height];
    });
  } finally {
    await close();
  }
}

/** Films a standard photo of the variants so that it fills the component's guide (as a student
 * following the guide would hold the phone); the camera file's name. */
async function guidedCamera(photo) {
  const [w, h] = await componentSize();
  const name = `guided-${photo.replace(/\.png$/, '')}.y4m`;
  execFileSync(path.join(root, 'target/release/gradcap-fixtures'),
    ['guided', path.join(variants, photo), path.join(media, name), String(w), String(h)]);
  return name;
}

test('a good face in the guide turns the shutter on after the hold-still countdown', { skip: noGuided }, async () => {
  const { page, close } = await launch({ allowCamera: true, camera: await guidedCamera('biden-frontal.png') });
  try {
    await page.goto(`${baseUrl}?steps=portrait`);
    const handle = await page.waitForFunction(() => {
      const el = document.querySelector('grad-capture')?.shadowRoot?.getElementById('shutter');
      const text = document.getElementById('stats').value;
      const s = text && JSON.parse(text);
      return el && !el.disabled && s?.gate?.state === 'ready' ? s : null;
    }, null, { timeout: 30000 });
    const s = await handle.jsonValue();
    record('Chromium', { frameMs: s.frameMsAvg, fps: s.fps });
    assert.equal(s.gate.state, 'ready');
    assert.equal(s.guidance, 'gate.ready');
    assert.equal(await guidance(page), '很好！请点击拍照按钮');
    await page.waitForTimeout(300); // the guide's colour transition
    assert.equal(await ovalColour(page), 'rgb(61, 220, 132)', 'the guide turns green');
    await page.screenshot({ path: path.join(shots, 'phone-ready.png') });
    // The shutter stays on while the face stays good (no flicker over the next frames).
    for (let i = 0; i < 10; i++) {
      await page.waitForTimeout(100);
      assert.equal(await shutterOff(page), false, `frame ${i}`);
    }
    // The shutter: the calibration view shows the standard photo with the report.
    const captured = nextEvent(page, ['capture', 'error']);
    // What the photo costs in the browser: from the shutter to the capture event (the full
    // frame read, the cut, the person found and refined, the JPEG, the self-check).
    await page.evaluate(() => document.addEventListener('capture', () => { window.capturedAt = performance.now(); }, { once: true, capture: true }));
    const shutterAt = await page.evaluate(() => performance.now());
    await shadow(page, 'shutter', (el) => el.click());
    const { type, detail } = await captured;
    const photoMs = await page.evaluate((t) => window.capturedAt - t, shutterAt);
    console.log(`the standard photo took ${Math.round(photoMs)} ms from the shutter to the capture event`);
    const cost = await page.evaluate(() => document.querySelector('grad-capture').stats().photo);
    console.log(`by stage: ${JSON.stringify(cost)}`);
    record('Chromium', { photoMs, ...cost });
    assert.ok(photoMs < 10000, `${photoMs} ms`);
    assert.equal(type, 'capture', JSON.stringify(detail));
    assert.deepEqual([detail.width, detail.height], [480, 640]);
    assert.ok(detail.bytes >= 20 * 1024 && detail.bytes <= 40 * 1024 && detail.quality >= 60, JSON.stringify(detail));
    assert.deepEqual(detail.faults, [], 'the self-check found no fault');
    await page.waitForFunction(() => !document.querySelector('grad-capture').shadowRoot.getElementById('review').hidden);
    const report = await shadow(page, 'report', (el) => [...el.children].map((li) => [li.dataset.check, li.className]));
    assert.ok(report.length >= 19 && report.every(([, c]) => c === 'pass'), JSON.stringify(report));
    const jpeg = await page.evaluate(() => [...document.querySelector('grad-capture').photo.slice(0, 3)]);
    assert.deepEqual(jpeg, [0xff, 0xd8, 0xff], 'capture.photo is the JPEG');
    await page.screenshot({ path: path.join(shots, 'phone-review.png') });
    // 重拍 goes back to the live view with the same camera, the gate closed again.
    await shadow(page, 'retake', (el) => el.click());
    await page.waitForFunction(() => document.querySelector('grad-capture').shadowRoot.getElementById('review').hidden);
    assert.equal(await page.evaluate(() => document.querySelector('grad-capture').cameraActive), true);
    assert.equal(await page.evaluate(() => document.querySelector('grad-capture').photo), undefined);
    // Another standard, given as the `standard` attribute: a white 360×480 photo at 350 dpi.
    const white = { size: [360, 480], background: '#ffffff', dpi: 350, fileSize: [10000, 30000],
      crown: [37.5, 82.5], eyeLine: [150, 225], faceWidth: [135, 225] };
    await page.evaluate((json) => document.querySelector('grad-capture').setAttribute('standard', json), JSON.stringify(white));
    await page.waitForFunction(() => !document.querySelector('grad-capture').shadowRoot.getElementById('shutter').disabled, null, { timeout: 30000 });
    const again = nextEvent(page, ['capture', 'error']);
    await shadow(page, 'shutter', (el) => el.click());
    const second = await again;
    assert.equal(second.type, 'capture', JSON.stringify(second.detail));
    assert.deepEqual([second.detail.width, second.detail.height, second.detail.faults], [360, 480, []], JSON.stringify(second.detail));
    assert.ok(second.detail.bytes <= 30000, JSON.stringify(second.detail));
    await page.waitForFunction(() => !document.querySelector('grad-capture').shadowRoot.getElementById('review').hidden);
    const corner = await shadow(page, 'photo', (el) => [...el.getContext('2d').getImageData(2, 2, 1, 1).data]);
    assert.deepEqual(corner.slice(0, 3).map((v) => v >= 250), [true, true, true], `a white background: ${corner}`);
    assert.match(await shadow(page, 'photo-facts', (el) => el.textContent), /360×480.*350 dpi/);
    await page.screenshot({ path: path.join(shots, 'phone-review-white.png') });
  } finally {
    await close();
  }
});

/** The variant `photo` filmed to fill the guide keeps the shutter off with the hint of check
 * `id` (its words matching `words`); a screenshot `shot`. */
async function heldBack(photo, id, words, shot) {
  const { page, close } = await launch({ allowCamera: true, camera: await guidedCamera(photo) });
  try {
    await page.goto(`${baseUrl}?steps=portrait`);
    await page.waitForFunction((id) => {
      const text = document.getElementById('stats').value;
      const s = text && JSON.parse(text);
      return s && s.face && s.guidance === id;
    }, id, { timeout: 30000 });
    // Long enough for a good face to have opened the gate several times over.
    for (let i = 0; i < 30; i++) {
      await page.waitForTimeout(100);
      assert.equal(await shutterOff(page), true, `frame ${i}`);
    }
    assert.match(await guidance(page), words);
    const s = JSON.parse(await page.evaluate(() => document.getElementById('stats').value));
    assert.equal(s.gate.state, 'waiting');
    assert.notEqual(await ovalColour(page), 'rgb(61, 220, 132)');
    await page.screenshot({ path: path.join(shots, shot) });
  } finally {
    await close();
  }
}

test('a half-shadowed face keeps the shutter off and says 阴阳脸', { skip: noGuided }, () =>
  heldBack('biden-frontal-half-shadow.png', 'light.even', /阴阳脸/, 'phone-shadow.png'));

test('a face behind a mask keeps the shutter off and says 请勿遮挡面部', { skip: noGuided }, () =>
  heldBack('biden-frontal-mask.png', 'face.uncovered', /请勿遮挡面部/, 'phone-mask.png'));

test('the good face shown on a phone screen keeps the shutter off and says 请勿翻拍照片', { skip: noGuided }, async () => {
  const [w, h] = await componentSize();
  const camera = 'recaptured.y4m';
  execFileSync(path.join(root, 'target/release/gradcap-fixtures'),
    ['recaptured', path.join(variants, 'biden-frontal.png'), path.join(media, camera), String(w), String(h)]);
  const { page, close } = await launch({ allowCamera: true, camera });
  try {
    await page.goto(`${baseUrl}?steps=portrait`);
    await page.waitForFunction(() => {
      const text = document.getElementById('stats').value;
      const s = text && JSON.parse(text);
      return s && s.face && s.guidance === 'liveness.recapture';
    }, null, { timeout: 30000 });
    // The same face filmed live opens the gate within a second; on a screen it never does.
    for (let i = 0; i < 30; i++) {
      await page.waitForTimeout(100);
      assert.equal(await shutterOff(page), true, `frame ${i}`);
    }
    assert.match(await guidance(page), /请勿翻拍照片/);
    const s = JSON.parse(await page.evaluate(() => document.getElementById('stats').value));
    assert.equal(s.gate.state, 'waiting');
    await page.screenshot({ path: path.join(shots, 'phone-recaptured.png') });
  } finally {
    await close();
  }
});

test('a video of the face replayed on a fine screen: with a lamp mirrored on the glass the shutter stays off (请勿翻拍照片); the same replay without it opens', { skip: noGuided }, async () => {
  const [w, h] = await componentSize();
  const film = (lamp) => {
    const camera = `replayed-${lamp ? 'lamp' : 'dark'}.y4m`;
    execFileSync(path.join(root, 'target/release/gradcap-fixtures'),
      ['replayed', path.join(variants, 'biden-frontal.png'), path.join(media, camera), String(w), String(h), '60', lamp ? '1' : '0']);
    return camera;
  };
  // The control first: no reflection, so nothing but the screen's gamma tells it from a live face.
  const dark = await launch({ allowCamera: true, camera: film(false) });
  try {
    await dark.page.goto(`${baseUrl}?steps=portrait`);
    await dark.page.waitForFunction(() => {
      const el = document.querySelector('grad-capture')?.shadowRoot?.getElementById('shutter');
      return el && !el.disabled;
    }, null, { timeout: 30000 });
  } finally {
    await dark.close();
  }
  const { page, close } = await launch({ allowCamera: true, camera: film(true) });
  try {
    await page.goto(`${baseUrl}?steps=portrait`);
    // Watched from the page's start for 10 s: the countdown lasts until the face has been watched
    // for 2.5 s, by when the reflection has slid across it, so the shutter never opens at all —
    // at whatever rate this machine analyses frames (the native test
    // a_replay_with_a_lamp_on_the_glass_holds_at_every_frame_rate holds it from 5 frames a second).
    const seen = await page.evaluate(() => new Promise((resolve) => {
      const seen = { opened: false, recapture: false, polls: 0, faceFrames: 0 };
      const timer = setInterval(() => {
        const el = document.querySelector('grad-capture')?.shadowRoot?.getElementById('shutter');
        const text = document.getElementById('stats')?.value;
        const s = text && JSON.parse(text);
        seen.opened ||= Boolean(el && !el.disabled);
        seen.recapture ||= s?.guidance === 'liveness.recapture';
        seen.polls += 1;
        if (s?.face) seen.faceFrames += 1;
        seen.fps = s?.fps;
      }, 20);
      setTimeout(() => { clearInterval(timer); resolve(seen); }, 10000);
    }));
    console.log(`the replay with the lamp, analysed at ${seen.fps?.toFixed(1)} frames a second`);
    // The face was in view nearly the whole time, and told apart as a recapture.
    assert.ok(seen.faceFrames > 0.8 * seen.polls && seen.recapture, JSON.stringify(seen));
    assert.equal(seen.opened, false, `the shutter stayed off (${JSON.stringify(seen)})`);
    assert.match(await guidance(page), /请勿翻拍照片/);
    await page.screenshot({ path: path.join(shots, 'phone-replayed-lamp.png') });
  } finally {
    await close();
  }
});

test('with near and far asked for, a head brought closer and back opens the shutter; the same photo as a flat picture brought as close keeps it off with 请将手机缓慢靠近，再移远', { skip: noGuided }, async () => {
  const [w, h] = await componentSize();
  const film = (flat) => {
    const camera = `approached-${flat ? 'flat' : 'head'}.y4m`;
    execFileSync(path.join(root, 'target/release/gradcap-fixtures'),
      ['approached', path.join(variants, 'biden-frontal.png'), path.join(media, camera), String(w), String(h), '150', flat ? '1' : '0']);
    return camera;
  };
  const url = `${baseUrl}?steps=portrait&rules=${encodeURIComponent('{"requireDepth":true}')}`;
  const head = await launch({ allowCamera: true, camera: film(false) });
  try {
    await head.page.goto(url);
    await head.page.waitForFunction(() => {
      const el = document.querySelector('grad-capture')?.shadowRoot?.getElementById('shutter');
      return el && !el.disabled;
    }, null, { timeout: 40000 });
    // The next loops approach again: the head's uneven perspective stretch must not be taken for
    // a picture turning (liveness.recapture), and the shutter opens again after each.
    const hints = await head.page.evaluate(() => new Promise((resolve) => {
      const ids = [];
      document.querySelector('grad-capture').addEventListener('check', (e) => ids.push(e.detail.id));
      setTimeout(() => resolve(ids), 11000);
    }));
    assert.ok(!hints.includes('liveness.recapture'), hints.join(' '));
    assert.ok(hints.includes('gate.ready'), hints.join(' '));
  } finally {
    await head.close();
  }
  const { page, close } = await launch({ allowCamera: true, camera: film(true) });
  try {
    await page.goto(url);
    // Two loops of the 5-s video (each an approach, then the picture held still): the shutter
    // never opens, and the hint asks for the phone to move.
    const seen = await page.evaluate(() => new Promise((resolve) => {
      const seen = { opened: false, depthHint: false };
      const timer = setInterval(() => {
        const el = document.querySelector('grad-capture')?.shadowRoot?.getElementById('shutter');
        if (el && !el.disabled) seen.opened = true;
        const text = document.getElementById('stats').value;
        if (text && JSON.parse(text).guidance === 'liveness.depth') seen.depthHint = true;
      }, 50);
      setTimeout(() => { clearInterval(timer); resolve(seen); }, 12000);
    }));
    assert.equal(seen.opened, false, `the shutter stayed off (${JSON.stringify(seen)})`);
    assert.ok(seen.depthHint, JSON.stringify(seen));
    await page.waitForFunction(() => JSON.parse(document.getElementById('stats').value || '{}').guidance === 'liveness.depth', null, { timeout: 10000 });
    assert.match(await guidance(page), /请将手机缓慢靠近，再移远/);
    await page.screenshot({ path: path.join(shots, 'phone-depth.png') });
  } finally {
    await close();
  }
});

test('with a blink asked for, the good face that never blinks keeps the shutter off and says 请自然地眨一下眼睛', { skip: noGuided }, async () => {
  const { page, close } = await launch({ allowCamera: true, camera: await guidedCamera('biden-frontal.png') });
  try {
    await page.goto(`${baseUrl}?steps=portrait&rules=${encodeURIComponent('{"requireBlink":true}')}`);
    await page.waitForFunction(() => {
      const text = document.getElementById('stats').value;
      const s = text && JSON.parse(text);
      return s && s.face && s.guidance === 'liveness.blink';
    }, null, { timeout: 30000 });
    // Without the rule this face opens the gate within a second (the test above).
    for (let i = 0; i < 30; i++) {
      await page.waitForTimeout(100);
      assert.equal(await shutterOff(page), true, `frame ${i}`);
    }
    assert.match(await guidance(page), /请自然地眨一下眼睛/);
    await page.screenshot({ path: path.join(shots, 'phone-blink.png') });
  } finally {
    await close();
  }
});
