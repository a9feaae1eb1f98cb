// `gradcap serve --tls` as a phone on the LAN meets it: HTTPS with the server's own certificate,
// trusted here by its public key's hash (what a student does by accepting the warning once), and
// the camera works there because the page is a secure context. Run by scripts/test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchPhone, media } from './harness.mjs';

const skip = !existsSync(path.join(media, 'face.y4m')) && 'no face video (needs ../shared/faces)';

test('over --tls the demo opens on https with the camera, and the staff cookie is Secure', { skip }, async () => {
  const srv = await startServer(['--tls']);
  assert.match(srv.url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.ok(srv.spki, 'the server names its public key');
  // Not trusted, the certificate is refused: the trust below is the key's hash, nothing looser.
  const stranger = await launchPhone('face.y4m');
  try {
    await assert.rejects(stranger.page.goto(`${srv.url}/`), /ERR_CERT/);
  } finally {
    await stranger.close();
  }
  const { page, close } = await launchPhone('face.y4m', { args: [`--ignore-certificate-errors-spki-list=${srv.spki}`] });
  try {
    await page.goto(`${srv.url}/?steps=portrait`);
    assert.equal(await page.evaluate(() => window.isSecureContext), true);
    await page.waitForFunction(() => document.querySelector('grad-capture')?.cameraActive === true, null, { timeout: 30000 });
    await page.waitForFunction(() => (document.querySelector('grad-capture').stats()?.frames ?? 0) > 5, null, { timeout: 30000 });
    // A sign-in over HTTPS sets a Secure cookie (a wrong password still answers with the policy's
    // headers; the right one is in the harness's account).
    const cookie = await page.evaluate(async () => {
      const res = await fetch('/api/staff/sign-in', {
        method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'e2e-reviewer', password: 'e2e staff password' }),
      });
      return { status: res.status, visible: document.cookie };
    });
    assert.equal(cookie.status, 200);
    assert.equal(cookie.visible, '', 'the session cookie is HttpOnly');
    const cookies = await page.context().cookies(srv.url);
    const staff = cookies.find((c) => c.name === 'gradcap_staff');
    assert.deepEqual([staff?.secure, staff?.httpOnly, staff?.sameSite], [true, true, 'Strict']);
  } finally {
    await close();
    srv.stop();
  }
});
