// End-to-end delivery: the demo page, `gradcap serve` with a fresh database, headless Chromium
// with a fake camera that shows a capture code, then a good face. Run by scripts/test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, staffFetch, launchPhone, shadow, nextEvent, shootPhoto, root, media, shots } from './harness.mjs';

const CODE = 'CHSI-2026-ABCDEFGH12345';
const base = path.join(media, 'variants', 'biden-frontal.png');
const skip = !existsSync(base) && 'no portrait variants (needs ../shared/faces and models/)';

/** A camera for the phone view: the code for a while, then the good face (the file loops). */
function camera(withCode) {
  const name = withCode ? 'upload-code-face.y4m' : 'upload-face.y4m';
  // The demo's component on the phone viewport, as measured by the demo test: 390 × 699.
  const args = ['guided', base, path.join(media, name), '390', '699', '150'];
  if (withCode) args.push(CODE, '20');
  execFileSync(path.join(root, 'target/release/gradcap-fixtures'), args);
  return name;
}

/** Waits for the shutter, presses it, waits for the calibration view, presses 确认 and returns
 * the photo the page holds (bytes). */
async function shootAndConfirm(page, beforeConfirm) {
  const photo = await shootPhoto(page);
  await beforeConfirm?.();
  // The photo passed its self-check: 确认 is offered, and no photo.* fault is listed.
  const faults = await shadow(page, 'report', (el) => [...el.querySelectorAll('[data-check^="photo."]')].map((li) => li.textContent));
  assert.deepEqual(faults, [], 'the self-check lists no fault');
  assert.equal(await shadow(page, 'confirm', (el) => el.disabled), false, '确认 is offered');
  await shadow(page, 'confirm', (el) => el.click());
  return photo;
}

const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');
/** Every stored capture, as staff list them. */
const captures = async (url) => (await (await staffFetch(url))('/api/captures?limit=200')).json().then((page) => page.items);

test('code, session, good face, shutter, calibration, confirm: the backend stores that photo once', { skip }, async () => {
  const srv = await startServer();
  const { page, close } = await launchPhone(camera(true));
  try {
    await page.goto(`${srv.url}/?steps=code,session,portrait,upload`);
    await page.waitForFunction(() => document.querySelector('grad-capture')?.state === 'session', null, { timeout: 30000 });
    // An unknown session is refused with a message; the real one is named for confirmation.
    await shadow(page, 'session-input', (el) => { el.value = '12345678'; });
    await shadow(page, 'sessionbar', (el) => el.requestSubmit());
    await page.waitForFunction(() => /没有这个场次号/.test(document.querySelector('grad-capture').shadowRoot.getElementById('session-status').textContent));
    await shadow(page, 'session-input', (el) => { el.value = '26050704'; });
    await shadow(page, 'sessionbar', (el) => el.requestSubmit());
    await page.waitForFunction(() => /26050704 - 示例大学2026届图像采集/.test(document.querySelector('grad-capture').shadowRoot.getElementById('binding').textContent));
    const uploaded = nextEvent(page, ['uploaded', 'error'], 90000);
    const sent = await shootAndConfirm(page);
    const { type, detail } = await uploaded;
    assert.equal(type, 'uploaded', JSON.stringify(detail));
    assert.ok(detail?.id, `uploaded ${JSON.stringify(detail)}`);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'done');
    assert.match(await shadow(page, 'upload-status', (el) => el.textContent), /照片已提交/);
    const stored = await captures(srv.url);
    assert.equal(stored.length, 1);
    const [record] = stored;
    assert.equal(record.id, detail.id);
    assert.equal(record.photoSha256, sha256(sent), 'the stored photo is the one the page sent');
    assert.deepEqual([record.verdict.width, record.verdict.height, record.verdict.sizeOk], [480, 640, true]);
    // The server's own self-check of the photo (background, leftovers, fringe, head, layout).
    assert.deepEqual(record.verdict.selfCheck?.faults, [], JSON.stringify(record.verdict.selfCheck));
    assert.equal(record.verdict.selfCheck.uniformityScore >= 90, true);
    assert.equal(record.captureCode, CODE);
    assert.equal(record.sessionCode, '26050704');
    const staff = await staffFetch(srv.url);
    const file = Buffer.from(await (await staff(`/api/files/${record.photoSha256}`)).arrayBuffer());
    assert.equal(sha256(file), record.photoSha256);
    await page.screenshot({ path: path.join(shots, 'phone-uploaded.png') });
    // Staff approve it: the page hears of it (status polling) and shows it.
    // The student's page holds the receipt the upload returned, and only it reads the status.
    assert.match(detail.receipt ?? '', /^[0-9a-f]{32}$/, 'the uploaded event carries the receipt');
    const decision = await staff(`/api/captures/${record.id}/review`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"status":"approved"}' });
    assert.equal(decision.status, 200, await decision.text());
    await page.waitForFunction(() => /审核通过/.test(document.getElementById('notice').textContent), null, { timeout: 20000 });
  } finally {
    await close();
    srv.stop();
  }
});

test('a stalled body (408), 500s, a dropped connection, a timeout, a lost answer and going offline: stored exactly once', { skip }, async () => {
  const srv = await startServer();
  const { page, context, close } = await launchPhone(camera(false));
  try {
    // What each attempt met, for the message if the upload does not end as it should.
    let attempts = 0;
    const log = [];
    const started = Date.now();
    const note = (n, what) => log.push(`${Date.now() - started} ms #${n} ${what}`);
    await page.route('**/api/captures', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      attempts += 1;
      const n = attempts;
      try {
        // What the reference backend answers a body that stopped coming (a phone losing signal).
        if (n === 1) return await route.fulfill({ status: 408, contentType: 'application/json', body: '{"error":{"code":"body.timeout","message":"injected"}}' });
        if (n === 2) return await route.fulfill({ status: 500, contentType: 'application/json', body: '{"error":{"code":"internal","message":"injected"}}' });
        if (n === 3) return await route.abort('connectionreset');
        if (n === 4) { await new Promise((r) => setTimeout(r, 6000)); return await route.abort(); } // no answer in time
        if (n === 5) { await route.fetch(); return await route.abort('connectionreset'); } // stored, answer lost
        return await route.continue();
      } catch (e) {
        note(n, `(the page gave up first: ${e.message.split('\n')[0]})`);
      } finally {
        note(n, 'answered');
      }
    });
    // The page waits 2.5 s for an answer: the fourth attempt's is held back longer than that.
    await page.goto(`${srv.url}/?steps=portrait,upload&backoff={"baseMs":100,"attempts":10,"timeoutMs":2500}`);
    const uploaded = nextEvent(page, ['uploaded', 'error'], 90000);
    await shootAndConfirm(page, async () => context.setOffline(true));
    await page.waitForTimeout(1500);
    assert.equal(attempts, 0, 'nothing is sent while offline');
    await context.setOffline(false);
    const { type, detail } = await uploaded;
    assert.equal(type, 'uploaded', `${JSON.stringify(detail)} after ${log.join('; ')}`);
    assert.ok(attempts >= 6, `${attempts} attempts: ${log.join('; ')}`);
    const stored = await captures(srv.url);
    assert.equal(stored.length, 1, 'one record despite six attempts');
    assert.equal(stored[0].id, detail.id);
  } finally {
    await close();
    srv.stop();
  }
});

test('a failing upload is reported once (upload.failed), a refused one once (upload.refused), and 确认 sends again', { skip }, async () => {
  const srv = await startServer();
  const { page, close } = await launchPhone(camera(false));
  try {
    let answer = 503;
    let sent = '';
    await page.route('**/api/captures', (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      sent ||= route.request().postDataBuffer()?.toString('latin1') ?? '';
      return answer ? route.fulfill({ status: answer, contentType: 'application/json', body: '{"error":{"code":"injected","message":"injected"}}' })
        : route.continue();
    });
    await page.goto(`${srv.url}/?steps=portrait,upload&backoff={"baseMs":50,"maxMs":100,"attempts":2,"timeoutMs":5000}`);
    await page.evaluate(() => {
      window.gradcapErrors = [];
      document.querySelector('grad-capture').addEventListener('error', (e) => window.gradcapErrors.push(e.detail.code));
    });
    const errors = () => page.evaluate(() => window.gradcapErrors);
    await shootAndConfirm(page);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'upload-failed', null, { timeout: 30000 });
    await page.waitForTimeout(1000);
    assert.deepEqual(await errors(), ['upload.failed']);
    // The metadata carries the recapture evidence gathered before the shutter (the face watched
    // for at least the 2.5 s the gate waits), not the emptied evidence after it.
    const watched = Number(/"watchedMs":([0-9.]+)/.exec(sent)?.[1]);
    assert.ok(watched >= 2500, `liveness.watchedMs in the sent metadata: ${watched}`);
    answer = 415;
    await shadow(page, 'confirm', (el) => el.click());
    await page.waitForFunction(() => window.gradcapErrors.length > 1, null, { timeout: 30000 });
    await page.waitForTimeout(1000);
    assert.deepEqual(await errors(), ['upload.failed', 'upload.refused']);
    assert.equal(await page.evaluate(() => document.querySelector('grad-capture').state), 'upload-failed');
    answer = 0;
    const uploaded = nextEvent(page, ['uploaded', 'error'], 30000);
    await shadow(page, 'confirm', (el) => el.click());
    const { type, detail } = await uploaded;
    assert.equal(type, 'uploaded', JSON.stringify(detail));
    assert.equal((await captures(srv.url)).length, 1);
  } finally {
    await close();
    srv.stop();
  }
});

test('a reload in the middle of an upload resumes it from the outbox: stored once', { skip }, async () => {
  const srv = await startServer();
  const { page, close } = await launchPhone(camera(false));
  try {
    let held = 0;
    await page.route('**/api/captures', async (route) => {
      if (route.request().method() !== 'POST') return route.continue();
      held += 1;
      if (held === 1) {
        await route.fetch(); // the server stores it, but the page is reloaded before the answer
        await new Promise((r) => setTimeout(r, 30000));
        return route.abort().catch(() => {});
      }
      return route.continue();
    });
    await page.goto(`${srv.url}/?steps=portrait,upload`);
    await shootAndConfirm(page);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'uploading');
    await new Promise((r) => setTimeout(r, 500));
    await page.reload();
    // The new page finds the photo in the outbox and sends it again, with the same key.
    for (let i = 0; i < 100 && held < 2; i++) await page.waitForTimeout(200);
    assert.ok(held >= 2, 'sent again after the reload');
    await page.waitForFunction(async () => {
      const dbs = await indexedDB.databases?.() ?? [];
      if (!dbs.some((d) => d.name === 'gradcap')) return true;
      return new Promise((resolve) => {
        const open = indexedDB.open('gradcap'); // whatever version the component made
        open.onsuccess = () => {
          const all = open.result.transaction('outbox').objectStore('outbox').getAll();
          all.onsuccess = () => { resolve(all.result.length === 0); open.result.close(); };
        };
      });
    }, null, { timeout: 20000, polling: 200 });
    const stored = await captures(srv.url);
    assert.equal(stored.length, 1);
  } finally {
    await close();
    srv.stop();
  }
});

/** Types the demo session in and waits for it to be bound. */
async function bindSession(page) {
  await page.waitForFunction(() => document.querySelector('grad-capture')?.state === 'session', null, { timeout: 30000 });
  await shadow(page, 'session-input', (el) => { el.value = '26050704'; });
  await shadow(page, 'sessionbar', (el) => el.requestSubmit());
}

/** Code, session, shutter, 确认 on a new page of `context`; resolves to the `uploaded` detail and the
 * page. */
async function captureOnce(context, url) {
  const page = await context.newPage();
  await page.goto(`${url}/?steps=code,session,portrait,upload`);
  await bindSession(page);
  const uploaded = nextEvent(page, ['uploaded', 'error'], 90000);
  await shootAndConfirm(page);
  const { type, detail } = await uploaded;
  assert.equal(type, 'uploaded', JSON.stringify(detail));
  return { page, detail };
}

const state = (page) => page.evaluate(() => document.querySelector('grad-capture').state);

test('the student comes back after the review: approved, the stored photo shown and downloaded', { skip }, async () => {
  const srv = await startServer();
  const { context, close } = await launchPhone(camera(true));
  try {
    const first = await captureOnce(context, srv.url);
    await first.page.close(); // the student closes the page
    const staff = await staffFetch(srv.url);
    const decided = await staff(`/api/captures/${first.detail.id}/review`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: '{"status":"approved"}' });
    assert.equal(decided.status, 200);
    const stored = Buffer.from(await (await staff(`/api/captures/${first.detail.id}/photo`)).arrayBuffer());
    // Two days later: the same phone, the same code.
    const page = await context.newPage();
    await page.goto(`${srv.url}/?steps=code,session,portrait,upload`);
    const { detail } = await nextEvent(page, ['verdict'], 60000);
    assert.deepEqual([detail.status, detail.id], ['approved', first.detail.id]);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'approved');
    assert.match(await shadow(page, 'verdict-text', (el) => el.textContent), /已通过/);
    await page.waitForFunction(() => {
      const img = document.querySelector('grad-capture').shadowRoot.getElementById('verdict-photo');
      return !img.hidden && img.complete && img.naturalWidth === 480;
    });
    assert.equal(await shadow(page, 'verdict-retake', (el) => el.hidden), true, 'an approved photo is not retaken');
    await page.screenshot({ path: path.join(shots, 'phone-returned-approved.png') });
    const download = page.waitForEvent('download');
    await shadow(page, 'verdict-download', (el) => el.click());
    const file = await (await download).path();
    const { readFileSync } = await import('node:fs');
    assert.equal(sha256(readFileSync(file)), sha256(stored), 'the download is the stored photo');
    assert.equal(await page.evaluate(() => document.querySelector('grad-capture').cameraActive), false, 'the camera is off');
  } finally {
    await close();
    srv.stop();
  }
});

test('the student comes back after a rejection: the reason, 重新拍照, and the new capture replaces the old', { skip }, async () => {
  const srv = await startServer();
  const { context, close } = await launchPhone(camera(true));
  try {
    const first = await captureOnce(context, srv.url);
    await first.page.close();
    const staff = await staffFetch(srv.url);
    const reason = '背景有杂物，请在纯色墙前重拍';
    await staff(`/api/captures/${first.detail.id}/review`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ status: 'rejected', reason }) });
    const page = await context.newPage();
    await page.goto(`${srv.url}/?steps=code,session,portrait,upload`);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'rejected', null, { timeout: 60000 });
    assert.equal(await shadow(page, 'verdict-text', (el) => el.textContent), `未通过，审核意见：${reason}`);
    await page.screenshot({ path: path.join(shots, 'phone-returned-rejected.png') });
    await shadow(page, 'verdict-retake', (el) => el.click());
    await bindSession(page);
    const uploaded = nextEvent(page, ['uploaded', 'error'], 90000);
    await shootAndConfirm(page);
    const { type, detail } = await uploaded;
    assert.equal(type, 'uploaded', JSON.stringify(detail));
    assert.notEqual(detail.id, first.detail.id);
    const list = await captures(srv.url);
    const old = list.find((c) => c.id === first.detail.id);
    const fresh = list.find((c) => c.id === detail.id);
    assert.deepEqual([old.status, old.replacedBy], ['replaced', detail.id]);
    assert.deepEqual([fresh.status, fresh.replaces], ['pending', first.detail.id]);
    // And the next visit shows the new one in review.
    const again = await context.newPage();
    await again.goto(`${srv.url}/?steps=code,session,portrait,upload`);
    await again.waitForFunction(() => document.querySelector('grad-capture').state === 'in-review', null, { timeout: 60000 });
    assert.match(await shadow(again, 'verdict-text', (el) => el.textContent), /^审核中，照片提交于 /);
    assert.equal(await state(again), 'in-review');
  } finally {
    await close();
    srv.stop();
  }
});
