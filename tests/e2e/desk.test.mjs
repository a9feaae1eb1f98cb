// The staff review desk in Chromium, as a reviewer works a collection day on it: at 1366×768 and
// 390×844, sign in (the form goes), read the counts, search a capture code, open the large view,
// approve with the keyboard, reject with a preset reason, bulk-approve three, export the session;
// screenshots in target/e2e/; axe-core finds nothing serious or critical. Run by scripts/test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startServer, staffFetch, STAFF, root, media, shots } from './harness.mjs';
import { launchChromium } from '../../bench/serve.mjs';

const variants = path.join(media, 'variants');
// Seven whose standard photo can be made: the person is whole inside the picture (astronaut and the
// turned or tilted Biden are cut at the shoulders, and `gradcap photo` rightly writes nothing).
const PORTRAITS = ['biden-frontal', 'obama', 'obama2', 'obama3', 'obama-half-shadow', 'biden-frontal-chin-shadow', 'obama2-haze'];
const skip = !existsSync(path.join(variants, 'biden-frontal.png')) && 'no portrait variants (needs ../shared/faces and models/)';
const AXE = path.join(root, 'node_modules/axe-core/axe.min.js');

/** Standard photos made from the portraits with `gradcap photo`. */
function photos() {
  mkdirSync(shots, { recursive: true });
  return PORTRAITS.map((name) => {
    const out = path.join(shots, `desk-${name}.jpg`);
    rmSync(out, { force: true });
    const made = spawnSync(path.join(root, 'target/release/gradcap'), ['photo', path.join(variants, `${name}.png`), out], { encoding: 'utf8' });
    assert.equal(made.status, 0, `gradcap photo ${name}: ${made.stderr}`);
    return readFileSync(out);
  });
}

/** Uploads `jpeg` as a student of `code` would; the capture. */
async function upload(url, jpeg, code, key) {
  const form = new FormData();
  form.append('photo', new Blob([jpeg], { type: 'image/jpeg' }), 'photo.jpg');
  form.append('meta', new Blob([JSON.stringify({ captureCode: code, sessionCode: '26050704', source: 'live' })], { type: 'application/json' }));
  const res = await fetch(`${url}/api/captures`, { method: 'POST', body: form, headers: { 'Idempotency-Key': key } });
  assert.equal(res.status, 201, await res.clone().text());
  return res.json();
}

/** Serious or critical accessibility findings on the page as it is now. */
async function axeFindings(page, context) {
  // Run as the test's own code (the page's policy allows no inline script, rightly).
  await page.evaluate(readFileSync(AXE, 'utf8'));
  const found = await page.evaluate(async (context) => {
    const result = await window.axe.run(context, { runOnly: ['wcag2a', 'wcag2aa', 'best-practice'] });
    return result.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
  }, context);
  return found;
}

async function signIn(page, url) {
  await page.goto(`${url}/review`);
  await page.fill('#name', STAFF.name);
  await page.fill('#password', STAFF.password);
  await page.click('#signin button[type=submit]');
  await page.waitForSelector('#work:not([hidden])');
  await page.waitForSelector('#list .card');
  assert.equal(await page.$eval('#signin', (el) => getComputedStyle(el).display), 'none', 'the sign-in form is gone');
}

test('a reviewer works the desk: counts, search, the large view, keys, a preset reason, bulk, export', { skip }, async () => {
  const srv = await startServer();
  const { page, close } = await launchChromium({ viewport: { width: 1366, height: 768 } });
  try {
    const jpegs = photos();
    const codes = jpegs.map((_, i) => `CHSI-DESK-${String(i + 1).padStart(2, '0')}`);
    for (const [i, jpeg] of jpegs.entries()) await upload(srv.url, jpeg, codes[i], `desk-${i}`);
    const staff = await staffFetch(srv.url);
    const status = async (code) => (await (await staff(`/api/captures?captureCode=${code}`)).json()).items[0];
    page.on('dialog', (d) => d.accept());
    await signIn(page, srv.url);
    const pending = await page.$eval('#counts', (el) => el.textContent);
    assert.match(pending, /示例大学2026届图像采集 26050704/, 'the session is counted');
    assert.equal(await page.$$eval('#list .card', (cards) => cards.length), jpegs.length);
    await page.screenshot({ path: path.join(shots, 'desk-1366.png') });
    assert.deepEqual(await axeFindings(page, '#work'), [], 'the desk');

    // Search one code, open it large, approve with A.
    await page.fill('#search', codes[1]);
    await page.click('#tools button[type=submit]');
    await page.waitForFunction(() => document.querySelectorAll('#list .card').length === 1);
    await page.click('#list .card .photo');
    await page.waitForSelector('#view[open]');
    await page.waitForFunction(() => document.getElementById('view-photo').naturalWidth === 480);
    const checks = await page.$$eval('#view-checks li', (items) => items.map((li) => li.textContent));
    assert.ok(checks.some((t) => /头像居中|正对镜头/.test(t)), `checks in words: ${checks.join(' ')}`);
    await page.screenshot({ path: path.join(shots, 'desk-view-1366.png') });
    assert.deepEqual(await axeFindings(page, '#view'), [], 'the large view');
    await page.focus('#next');
    await page.keyboard.press('a');
    await page.waitForFunction(() => /已通过/.test(document.getElementById('announce').textContent));
    assert.equal((await status(codes[1])).status, 'approved');
    await page.click('#view-close');

    // All pending: reject the first with a preset reason, by key.
    await page.fill('#search', '');
    await page.click('#tools button[type=submit]');
    await page.waitForFunction((n) => document.querySelectorAll('#list .card').length === n, jpegs.length - 1);
    const first = await page.$eval('#list .card', (el) => el.getAttribute('aria-label').replace('采集码 ', ''));
    await page.click('#list .card .photo');
    await page.waitForSelector('#view[open]');
    const reason = await page.$eval('#preset', (el) => el.options[1].value);
    await page.selectOption('#preset', reason);
    await page.focus('#next');
    await page.keyboard.press('r');
    await page.waitForFunction(() => /未通过/.test(document.getElementById('announce').textContent));
    const rejected = await status(first);
    assert.deepEqual([rejected.status, rejected.reason], ['rejected', reason]);
    await page.keyboard.press('Escape');

    // Three picked, approved at once.
    await page.click('#tools button[type=submit]');
    await page.waitForFunction((n) => document.querySelectorAll('#list .card').length === n, jpegs.length - 2);
    const picked = await page.$$eval('#list .card', (cards) => cards.slice(0, 3).map((c) => c.getAttribute('aria-label').replace('采集码 ', '')));
    for (let i = 0; i < 3; i += 1) await page.click(`#list .card:nth-child(${i + 1}) input.picked`);
    await page.click('#bulk');
    await page.waitForFunction(() => /已通过 3 \/ 3/.test(document.getElementById('announce').textContent));
    for (const code of picked) assert.equal((await status(code)).status, 'approved', code);

    // The session's export: the approved photos and the manifest.
    await page.selectOption('#session', '26050704');
    await page.waitForSelector('#export:not([hidden])');
    const zip = await page.evaluate(async () => {
      const res = await fetch(document.getElementById('export').href);
      const bytes = new Uint8Array(await res.arrayBuffer());
      return { status: res.status, type: res.headers.get('content-type'), head: Array.from(bytes.slice(0, 4)), text: new TextDecoder('latin1').decode(bytes) };
    });
    assert.equal(zip.status, 200);
    assert.equal(zip.type, 'application/zip');
    assert.deepEqual(zip.head, [0x50, 0x4b, 0x03, 0x04]);
    for (const code of [codes[1], ...picked]) assert.ok(zip.text.includes(`${code}.jpg`), code);
    assert.ok(!zip.text.includes(`${first}.jpg`), 'the rejected one is not exported');
    const counts = await page.$eval('#counts tr.chosen', (tr) => [...tr.cells].map((c) => c.textContent));
    assert.deepEqual(counts.slice(1, 4), [String(jpegs.length - 5), '4', '1'], `pending, approved, rejected: ${counts}`);
    await page.screenshot({ path: path.join(shots, 'desk-export-1366.png') });
  } finally {
    await close();
    srv.stop();
  }
});

test('the desk fits a phone: 390×844, nothing wider than the screen, no serious accessibility finding', { skip }, async () => {
  const srv = await startServer();
  const { page, close } = await launchChromium({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
  try {
    const [jpeg] = photos();
    for (let i = 0; i < 3; i += 1) await upload(srv.url, Buffer.concat([jpeg.subarray(0, 2), Buffer.from([0xff, 0xfe, 0, 4, 0x30 + i, 0x30]), jpeg.subarray(2)]), `CHSI-PHONE-${i}`, `phone-${i}`);
    await signIn(page, srv.url);
    await page.screenshot({ path: path.join(shots, 'desk-390.png'), fullPage: true });
    const wide = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(wide <= 390, `the page is ${wide} px wide`);
    const small = await page.$$eval('button, select, input, a.button', (els) => els
      .filter((el) => el.offsetParent !== null && el.type !== 'checkbox')
      .filter((el) => el.getBoundingClientRect().height < 44)
      .map((el) => el.id || el.textContent.trim()));
    assert.deepEqual(small, [], 'touch targets under 44 px');
    assert.deepEqual(await axeFindings(page, '#work'), [], 'the desk on a phone');
    await page.click('#list .card .photo');
    await page.waitForSelector('#view[open]');
    await page.screenshot({ path: path.join(shots, 'desk-view-390.png') });
  } finally {
    await close();
    srv.stop();
  }
});

test('an admin adds and closes a session and adds an account on the desk; a date filter; a password changed', { skip }, async () => {
  const srv = await startServer();
  const admin = { name: 'e2e-admin', password: 'e2e admin password' };
  const added = spawnSync(path.join(root, 'target/release/gradcap'), ['staff', 'add', admin.name, '--role', 'admin', '--data', srv.data],
    { input: `${admin.password}\n`, encoding: 'utf8' });
  assert.equal(added.status, 0, added.stderr);
  const { page, close } = await launchChromium({ viewport: { width: 1366, height: 768 } });
  try {
    const [jpeg] = photos();
    await upload(srv.url, jpeg, 'CHSI-ADMIN-1', 'admin-1');
    page.on('dialog', (d) => (d.type() === 'prompt' ? d.accept('新名字') : d.accept()));
    await page.goto(`${srv.url}/review`);
    await page.fill('#name', admin.name);
    await page.fill('#password', admin.password);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector('#manage:not([hidden])');
    await page.click('#manage summary');
    await page.fill('#new-code', '26051201');
    await page.fill('#new-name', '补拍场次');
    await page.click('#add-session button[type=submit]');
    await page.waitForFunction(() => /26051201 已添加/.test(document.getElementById('announce').textContent));
    const row = page.locator('#manage-sessions > div', { hasText: '26051201' });
    await row.getByRole('button', { name: '关闭采集' }).click();
    await page.waitForFunction(() => /26051201 已关闭/.test(document.getElementById('announce').textContent));
    const session = await (await fetch(`${srv.url}/api/sessions/26051201`)).json();
    assert.deepEqual([session.name, session.open], ['补拍场次', false]);
    await page.fill('#acc-name', 'li.wei');
    await page.selectOption('#acc-role', 'viewer');
    await page.fill('#acc-password', 'li wei first password');
    await page.click('#add-account button[type=submit]');
    await page.waitForFunction(() => /li\.wei 已添加/.test(document.getElementById('announce').textContent));
    await page.waitForFunction(() => /li\.wei · 只读/.test(document.getElementById('manage-accounts').textContent));
    // A roster for the session: who has not submitted.
    await page.selectOption('#session', '26050704');
    await page.waitForSelector('#roster:not([hidden])');
    await page.click('#roster-summary');
    await page.setInputFiles('#roster-file', { name: 'roster.csv', mimeType: 'text/csv', buffer: Buffer.from('学号,姓名,院系,采集码\n2022001,王小明,建筑学院,CHSI-ADMIN-1\n2022002,李华,土木学院,CHSI-ADMIN-2\n') });
    await page.click('#roster-import button[type=submit]');
    await page.waitForFunction(() => /应到 2 人 · 未提交 1 · 待审核 1/.test(document.getElementById('roster-summary').textContent));
    assert.match(await page.$eval('#roster-table', (el) => el.textContent), /未提交2022002李华/);
    await page.screenshot({ path: path.join(shots, 'desk-manage-1366.png'), fullPage: true });
    assert.deepEqual(await axeFindings(page, '#work'), [], 'the admin panel');
    // Uploaded today in Beijing: found by today's date, not by another day's.
    const today = new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());
    await page.fill('#day', today);
    await page.dispatchEvent('#day', 'change');
    await page.waitForFunction(() => document.querySelectorAll('#list .card').length === 1);
    await page.fill('#day', '2001-01-01');
    await page.dispatchEvent('#day', 'change');
    await page.waitForSelector('#empty:not([hidden])');
    // The admin's own password.
    await page.click('#account summary');
    await page.fill('#old-password', admin.password);
    await page.fill('#new-password', 'e2e admin second password');
    await page.click('#password-form button[type=submit]');
    await page.waitForFunction(() => /密码已修改/.test(document.getElementById('announce').textContent));
    const again = await fetch(`${srv.url}/api/staff/sign-in`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name: admin.name, password: 'e2e admin second password' }) });
    assert.equal(again.status, 200);
  } finally {
    await close();
    srv.stop();
  }
});

test('the desk in English: ?lang=en, the same work in other words', { skip }, async () => {
  const srv = await startServer();
  const { page, close } = await launchChromium({ viewport: { width: 1366, height: 768 } });
  try {
    const [jpeg] = photos();
    await upload(srv.url, jpeg, 'CHSI-EN-1', 'en-1');
    await page.goto(`${srv.url}/review?lang=en`);
    assert.equal(await page.$eval('#signin button[type=submit]', (el) => el.textContent), 'Sign in');
    await page.fill('#name', STAFF.name);
    await page.fill('#password', STAFF.password);
    await page.click('#signin button[type=submit]');
    await page.waitForSelector('#list .card');
    assert.equal(await page.evaluate(() => document.documentElement.lang), 'en');
    assert.match(await page.$eval('#counts', (el) => el.textContent), /Pending.*Approved.*Rejected/);
    assert.match(await page.$eval('#list .card', (el) => el.textContent), /Capture code CHSI-EN-1 · session 26050704/);
    await page.click('#list .card .photo');
    await page.waitForSelector('#view[open]');
    assert.match(await page.$eval('#view-checks', (el) => el.textContent), /Head centred|Facing the camera/);
    await page.focus('#next');
    await page.keyboard.press('a');
    await page.waitForFunction(() => /Capture code CHSI-EN-1: Approved/.test(document.getElementById('announce').textContent));
    // The controls' own words (a label's, not the session names in its picker: those are data).
    const chinese = await page.evaluate(() => [...document.querySelectorAll('#work button, #work label, #work th')]
      .map((el) => [...el.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE || n.nodeName === 'SPAN').map((n) => n.textContent).join(''))
      .filter((text) => /[\u4e00-\u9fff]/.test(text) && !/采集码|学号|姓名|院系/.test(text)));
    assert.deepEqual(chinese, [], 'controls left in Chinese');
    await page.screenshot({ path: path.join(shots, 'desk-en-1366.png') });
    assert.deepEqual(await axeFindings(page, '#work'), [], 'the desk in English');
  } finally {
    await close();
    srv.stop();
  }
});
