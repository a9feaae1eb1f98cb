// The student flows in Firefox's engine (Gecko, Debian's Firefox ESR, headless): the demo loads
// the module, the capture code is read from the camera, a good face in the guide opens the
// shutter after the countdown, a half-shadowed one keeps it off with the 阴阳脸 hint (a masked one with 请勿遮挡面部), and 拍照
// shows the calibration view; without wasm SIMD the scalar build is loaded and works; a camera
// track that ends is said with camera.ended and 重试 reopens it. The camera answers with a canvas stream of the fixtures' frames
// (gecko.mjs); skips without Firefox or without the fixtures (scripts/test makes them).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import { startServer, media, shots } from '../e2e/harness.mjs';
import { guidedFrame, noFixtures, NO_SIMD, wasmFetched, endTrack, RELOAD_MID_UPLOAD, OFFLINE_SWITCH, outboxSize, storedCaptures } from './camera.mjs';
import { launchFirefox, noFirefox, showOnCamera, y4mFrame, shadow } from './gecko.mjs';
import { record } from './report.mjs';

const skip = noFirefox || noFixtures;

let server;
before(async () => {
  if (skip) return;
  mkdirSync(shots, { recursive: true });
  server = await startServer();
});
after(() => server?.stop());

/** The component's size in the demo in Firefox's phone view, CSS pixels. */
async function componentSize() {
  const { page, close } = await launchFirefox();
  try {
    await page.goto(`${server.url}?steps=portrait`);
    await page.waitForFunction(() => document.querySelector('grad-capture')?.shadowRoot, { timeout: 30000 });
    return await page.evaluate(() => {
      const r = document.querySelector('grad-capture').getBoundingClientRect();
      return [Math.round(r.width), Math.round(r.height)];
    });
  } finally {
    await close();
  }
}

/** The variant `photo` filmed so that it fills the component's guide: its first frame. */
async function guided(photo) {
  return guidedFrame(photo, await componentSize(), 'firefox');
}

/** Waits for the shutter, presses it, and waits for the calibration view. */
async function shootToReview(page) {
  await page.waitForFunction(() => {
    const el = document.querySelector('grad-capture')?.shadowRoot?.getElementById('shutter');
    return el && !el.disabled;
  }, { timeout: 60000 });
  await shadow(page, 'shutter', (el) => el.click());
  await page.waitForFunction(() => document.querySelector('grad-capture').state === 'review', { timeout: 30000 });
}

const state = (page) => page.evaluate(() => document.querySelector('grad-capture')?.state);
const stats = (page) => page.evaluate(() => { const t = document.getElementById('stats')?.value; return t ? JSON.parse(t) : null; });

test('Firefox: the capture code is read from the camera, then the portrait step begins', { skip: skip || (!existsSync(path.join(media, 'qr.y4m')) && 'no qr.y4m') }, async () => {
  const { page, close } = await launchFirefox();
  try {
    await showOnCamera(page, y4mFrame(path.join(media, 'qr.y4m')));
    await page.evaluateOnNewDocument(() => {
      window.codes = [];
      document.addEventListener('code', (e) => window.codes.push(e.detail.code), true);
    });
    await page.goto(`${server.url}?steps=code,portrait`);
    await page.waitForFunction(() => window.codes.length > 0, { timeout: 30000 });
    assert.deepEqual(await page.evaluate(() => window.codes), ['CHSI-TEST-CAPTURE-1234567890']);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'framing', { timeout: 10000 });
    await page.screenshot({ path: path.join(shots, 'firefox-code.png') });
  } finally {
    await close();
  }
});

test('Firefox: a good face in the guide opens the shutter after the countdown, 拍照 shows the calibration view, 重拍 goes back and shoots again, and 确认 stores that photo once', { skip }, async () => {
  const frame = await guided('biden-frontal.png');
  const { page, close } = await launchFirefox();
  try {
    await showOnCamera(page, frame);
    await page.goto(`${server.url}?steps=portrait,upload`);
    // The shutter on, and the page's stats (written a few times a second) saying why.
    const handle = await page.waitForFunction(() => {
      const el = document.querySelector('grad-capture')?.shadowRoot?.getElementById('shutter');
      const text = document.getElementById('stats')?.value;
      const s = text && JSON.parse(text);
      return el && !el.disabled && s?.gate?.state === 'ready' ? s : null;
    }, { timeout: 60000 });
    const s = await handle.jsonValue();
    console.log(`Firefox: ${s.frames} frames analysed, ${s.frameMsAvg.toFixed(1)} ms a frame, ${s.fps.toFixed(1)} fps`);
    record('Firefox', { frameMs: s.frameMsAvg, fps: s.fps });
    await page.screenshot({ path: path.join(shots, 'firefox-ready.png') });
    await page.evaluate(() => document.addEventListener('capture', () => { window.capturedAt = performance.now(); }, { once: true, capture: true }));
    const shutterAt = await page.evaluate(() => performance.now());
    await shadow(page, 'shutter', (el) => el.click());
    await page.waitForFunction(() => window.capturedAt, { timeout: 30000 });
    const cost = await page.evaluate(() => document.querySelector('grad-capture').stats().photo);
    console.log(`Firefox: the photo by stage ${JSON.stringify(cost)}`);
    record('Firefox', { photoMs: await page.evaluate((t) => window.capturedAt - t, shutterAt), ...cost });
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'review', { timeout: 30000 });
    const failing = await shadow(page, 'report', (el) => [...el.querySelectorAll('.fail')].map((x) => x.textContent));
    assert.deepEqual(failing ?? [], [], 'every check passes on the photo taken');
    const photo = await page.evaluate(() => document.querySelector('grad-capture').photo?.length ?? 0);
    assert.ok(photo >= 20 * 1024 && photo <= 40 * 1024, `the standard photo is 20–40 KB: ${photo}`);
    await page.screenshot({ path: path.join(shots, 'firefox-review.png') });
    // 重拍: back to the live view, the photo dropped; the shutter opens again on the same face.
    await shadow(page, 'retake', (el) => el.click());
    await page.waitForFunction(() => document.querySelector('grad-capture').shadowRoot.getElementById('review').hidden, { timeout: 10000 });
    assert.equal(await page.evaluate(() => document.querySelector('grad-capture').photo ?? null), null);
    await page.waitForFunction(() => {
      const el = document.querySelector('grad-capture').shadowRoot.getElementById('shutter');
      return el && !el.disabled;
    }, { timeout: 60000 });
    await shadow(page, 'shutter', (el) => el.click());
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'review', { timeout: 30000 });
    const sent = Buffer.from(await page.evaluate(() => Array.from(document.querySelector('grad-capture').photo)));
    await shadow(page, 'confirm', (el) => el.click());
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'done', { timeout: 30000 });
    const stored = await storedCaptures(server.url);
    assert.equal(stored.length, 1, 'one record');
    assert.equal(stored[0].photoSha256, createHash('sha256').update(sent).digest('hex'), 'the photo the page sent');
  } finally {
    await close();
  }
});

/** The variant `photo` filmed to fill the guide keeps the shutter off with a hint matching
 * `words`; a screenshot `shot`. */
async function heldBack(photo, words, shot) {
  const frame = await guided(photo);
  const { page, close } = await launchFirefox();
  try {
    await showOnCamera(page, frame);
    await page.goto(`${server.url}?steps=portrait`);
    await page.waitForFunction((source) => new RegExp(source).test(document.querySelector('grad-capture')?.shadowRoot?.getElementById('guidance')?.textContent ?? ''), { timeout: 60000 }, words.source);
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(await shadow(page, 'shutter', (el) => el.disabled), true);
    assert.equal(await state(page), 'framing');
    assert.match(await shadow(page, 'guidance', (el) => el.textContent), words);
    await page.screenshot({ path: path.join(shots, shot) });
  } finally {
    await close();
  }
}

test('Firefox: a half-shadowed face keeps the shutter off and says 阴阳脸', { skip }, () =>
  heldBack('biden-frontal-half-shadow.png', /阴阳脸/, 'firefox-half-shadow.png'));

test('Firefox: a face behind a mask keeps the shutter off and says 请勿遮挡面部', { skip }, () =>
  heldBack('biden-frontal-mask.png', /请勿遮挡面部/, 'firefox-mask.png'));

test('Firefox: the good face shown on a phone screen keeps the shutter off and says 请勿翻拍照片', { skip: skip || (!existsSync(path.join(media, 'recaptured.y4m')) && 'no recaptured.y4m') }, async () => {
  const { page, close } = await launchFirefox();
  try {
    await showOnCamera(page, y4mFrame(path.join(media, 'recaptured.y4m')));
    await page.goto(`${server.url}?steps=portrait`);
    await page.waitForFunction(() => /请勿翻拍/.test(document.querySelector('grad-capture')?.shadowRoot?.getElementById('guidance')?.textContent ?? ''), { timeout: 60000 });
    await new Promise((r) => setTimeout(r, 4000));
    assert.equal(await shadow(page, 'shutter', (el) => el.disabled), true);
    assert.match(await shadow(page, 'guidance', (el) => el.textContent), /请勿翻拍/);
  } finally {
    await close();
  }
});

test('Firefox: the capture code is read from a saved screenshot picked in the album', { skip: skip || (!existsSync(path.join(media, 'screenshot.png')) && 'no screenshot.png') }, async () => {
  const { page, close } = await launchFirefox();
  try {
    // The camera shows no code, so only the album can bind it.
    await showOnCamera(page, y4mFrame(path.join(media, 'halves.y4m')));
    await page.goto(`${server.url}?steps=code,portrait`);
    await page.waitForFunction(() => document.querySelector('grad-capture')?.state === 'code', { timeout: 30000 });
    const album = await page.evaluateHandle(() => document.querySelector('grad-capture').shadowRoot.getElementById('album'));
    await album.uploadFile(path.join(media, 'screenshot-nocode.png'));
    await page.waitForFunction(() => document.querySelector('grad-capture').shadowRoot.getElementById('album-status').textContent.includes('请长按保存原图后重试'), { timeout: 20000 });
    assert.equal(await state(page), 'code');
    await album.uploadFile(path.join(media, 'screenshot.png'));
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'framing', { timeout: 20000 });
    assert.match(await shadow(page, 'binding', (el) => el.textContent), /CHSI-TEST-CAPTURE-1234567890/);
  } finally {
    await close();
  }
});

test('Firefox: a refused camera says where Firefox keeps the switch, with a stable code', { skip }, async () => {
  const { page, close } = await launchFirefox({ deny: true });
  try {
    await page.evaluateOnNewDocument(() => {
      window.errors = [];
      document.addEventListener('error', (e) => e.detail && window.errors.push(e.detail.code), true);
    });
    await page.goto(`${server.url}?steps=portrait`);
    await page.waitForFunction(() => document.querySelector('grad-capture')?.state === 'failed', { timeout: 30000 });
    assert.deepEqual(await page.evaluate(() => window.errors), ['camera.denied']);
    assert.match(await shadow(page, 'failure-text', (el) => el.textContent), /地址栏左侧的权限图标/);
    assert.equal(await shadow(page, 'retry', (el) => el.hidden), false);
    await page.screenshot({ path: path.join(shots, 'firefox-denied.png') });
  } finally {
    await close();
  }
});

test('Firefox: without wasm SIMD the loader picks the scalar build, and the capture code is still read from the camera', { skip: skip || (!existsSync(path.join(media, 'qr.y4m')) && 'no qr.y4m') }, async () => {
  const { page, close } = await launchFirefox();
  try {
    await page.evaluateOnNewDocument(NO_SIMD);
    await showOnCamera(page, y4mFrame(path.join(media, 'qr.y4m')));
    await page.goto(`${server.url}?steps=code,portrait`);
    await page.waitForFunction(() => document.querySelector('grad-capture')?.state === 'framing', { timeout: 60000 });
    assert.match(await shadow(page, 'binding', (el) => el.textContent), /CHSI-TEST-CAPTURE-1234567890/);
    assert.equal(await page.evaluate(async () => (await import('/pkg/gradcap-element.js')).simd), false);
    assert.deepEqual(await page.evaluate(wasmFetched), ['/pkg/gradcap_bg.wasm'], 'the scalar build, not pkg/simd/');
  } finally {
    await close();
  }
});

test('Firefox: a camera track that ends says so with camera.ended and 重试, which opens the camera again', { skip: skip || (!existsSync(path.join(media, 'halves.y4m')) && 'no halves.y4m') }, async () => {
  const { page, close } = await launchFirefox();
  try {
    await showOnCamera(page, y4mFrame(path.join(media, 'halves.y4m')));
    await page.evaluateOnNewDocument(() => {
      window.errors = [];
      document.addEventListener('error', (e) => e.detail && window.errors.push(e.detail.code), true);
    });
    await page.goto(`${server.url}?steps=portrait`);
    await page.waitForFunction(() => document.querySelector('grad-capture')?.cameraActive, { timeout: 30000 });
    assert.equal(await page.evaluate(endTrack), true);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'failed', { timeout: 10000 });
    assert.deepEqual(await page.evaluate(() => window.errors), ['camera.ended']);
    assert.match(await shadow(page, 'failure-text', (el) => el.textContent), /摄像头已断开/);
    await shadow(page, 'retry', (el) => el.click());
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'framing' && document.querySelector('grad-capture').cameraActive, { timeout: 30000 });
  } finally {
    await close();
  }
});

test('Firefox: a reload in the middle of an upload sends the photo again from the outbox: stored once', { skip }, async () => {
  const frame = await guided('biden-frontal.png');
  const { page, close } = await launchFirefox();
  try {
    await showOnCamera(page, frame);
    await page.evaluateOnNewDocument(RELOAD_MID_UPLOAD);
    const before = (await storedCaptures(server.url)).length;
    await page.goto(`${server.url}?steps=portrait,upload`);
    await shootToReview(page);
    const sent = Buffer.from(await page.evaluate(() => Array.from(document.querySelector('grad-capture').photo)));
    await shadow(page, 'confirm', (el) => el.click());
    // The first answer is lost to the reload; the new page finds the photo in the outbox.
    await page.waitForFunction(() => Number(sessionStorage.getItem('gradcapLoads')) >= 2 && Boolean(document.querySelector('grad-capture')?.shadowRoot), { timeout: 30000 });
    for (let i = 0; i < 60 && (await page.evaluate(outboxSize)) > 0; i++) await new Promise((r) => setTimeout(r, 500));
    assert.equal(await page.evaluate(outboxSize), 0, 'the outbox is empty');
    const stored = await storedCaptures(server.url);
    assert.equal(stored.length, before + 1, 'one record');
    assert.ok(stored.some((c) => c.photoSha256 === createHash('sha256').update(sent).digest('hex')), 'the photo the page sent');
  } finally {
    await close();
  }
});

test('Firefox: a photo confirmed offline waits in the outbox and is sent once the page is online again', { skip }, async () => {
  const frame = await guided('biden-frontal.png');
  const { page, close } = await launchFirefox();
  try {
    await showOnCamera(page, frame);
    await page.evaluateOnNewDocument(OFFLINE_SWITCH);
    const before = (await storedCaptures(server.url)).length;
    await page.goto(`${server.url}?steps=portrait,upload`);
    await shootToReview(page);
    await page.evaluate(() => window.gradcapOffline(true));
    await shadow(page, 'confirm', (el) => el.click());
    await new Promise((r) => setTimeout(r, 1500));
    assert.equal(await page.evaluate(() => window.gradcapPosts), 0, 'nothing is sent while offline');
    assert.equal(await page.evaluate(outboxSize), 1, 'the photo waits in the outbox');
    await page.evaluate(() => window.gradcapOffline(false));
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'done', { timeout: 30000 });
    assert.equal((await storedCaptures(server.url)).length, before + 1, 'one record');
    assert.equal(await page.evaluate(outboxSize), 0, 'the outbox is empty');
  } finally {
    await close();
  }
});
