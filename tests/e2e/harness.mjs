// What the end-to-end tests share: `gradcap serve` started on a free port with its own database,
// headless Chromium as a phone with the fake camera, and a look into the component's shadow DOM.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { launchChromium } from '../../bench/serve.mjs';

export const root = path.resolve(import.meta.dirname, '../..');
export const media = process.env.GRADCAP_TEST_MEDIA ?? '/tmp/gradcap-test';
export const shots = path.join(root, 'target/e2e');
export const PHONE = { width: 390, height: 844 };

/** The staff account every test server has (a reviewer). */
export const STAFF = { name: 'e2e-reviewer', password: 'e2e staff password' };

/** Starts `gradcap serve` on a free port with a fresh database, the demo's sessions and the [STAFF] account; resolves
 * to `{url, data, stop}`. `site`: a built app's folder served instead of the project (with `--models`). */
export async function startServer(args = [], { site } = {}) {
  const data = mkdtempSync(path.join(tmpdir(), 'gradcap-e2e-'));
  const added = spawnSync(path.join(root, 'target/release/gradcap'), ['staff', 'add', STAFF.name, '--data', data],
    { input: `${STAFF.password}\n`, encoding: 'utf8' });
  if (added.status !== 0) throw new Error(`gradcap staff add: ${added.stderr}`);
  const child = spawn(path.join(root, 'target/release/gradcap'),
    ['serve', '--addr', '127.0.0.1:0', '--root', site ?? root, '--data', data, '--demo', ...args],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  const tls = args.includes('--tls');
  const { url, spki } = await new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/serving (https?:\/\/\S+?)\/?\s/);
      // Over HTTPS the server also prints its public key's hash, which a browser can trust.
      const key = out.match(/public key sha256 \(base64\) (\S+)\s/);
      if (m && (!tls || key)) resolve({ url: m[1], spki: key?.[1] });
    });
    child.on('exit', (code) => reject(new Error(`gradcap serve exited with ${code}`)));
  });
  return { url, spki, data, child, stop: () => { child.kill(); rmSync(data, { recursive: true, force: true }); } };
}

/** Signs the [STAFF] account in on `url`; resolves to a `fetch` that sends its session cookie. */
export async function staffFetch(url) {
  const res = await fetch(`${url}/api/staff/sign-in`, {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(STAFF),
  });
  if (!res.ok) throw new Error(`sign-in: ${res.status} ${await res.text()}`);
  const cookie = res.headers.get('set-cookie').split(';')[0];
  return (pathname, init = {}) => fetch(`${url}${pathname}`, { ...init, headers: { ...init.headers, Cookie: cookie } });
}

/** Chromium as a phone whose fake camera plays `camera` (a file in the test media folder);
 * `allowCamera: false` refuses the permission prompt instead of granting it. */
export function launchPhone(camera, { allowCamera = true, args = [], ...options } = {}) {
  return launchChromium({
    args: ['--use-fake-device-for-media-stream', `--use-file-for-fake-video-capture=${path.join(media, camera)}`,
      allowCamera ? '--use-fake-ui-for-media-stream' : '--deny-permission-prompts', ...args],
    viewport: PHONE, isMobile: true, hasTouch: true, deviceScaleFactor: 2, ...options,
  });
}

/** Runs `fn(el)` in the page on the element with `id` inside the component's shadow root. */
export const shadow = (page, id, fn) => page.evaluate(([id, fn]) => {
  const el = document.querySelector('grad-capture').shadowRoot.getElementById(id);
  return new Function('el', `return (${fn})(el)`)(el);
}, [id, fn.toString()]);

/** Resolves to `{type, detail}` for the first of the component's events `types` after this call,
 * or rejects after `ms`: a test that waits on the component fails, it never hangs. */
export const nextEvent = (page, types, ms = 60000) => page.evaluate(([types, ms]) => new Promise((resolve, reject) => {
  const el = document.querySelector('grad-capture');
  const timer = setTimeout(() => reject(new Error(`no ${types.join(' or ')} event within ${ms} ms`)), ms);
  for (const type of types) {
    el.addEventListener(type, (e) => { clearTimeout(timer); resolve({ type, detail: e.detail }); }, { once: true });
  }
}), [types, ms]);

/** Presses the shutter as soon as it is on (within 60 s), then waits for the calibration view;
 * resolves to the standard photo the page holds (bytes). */
export async function shootPhoto(page) {
  await page.waitForFunction(() => {
    const el = document.querySelector('grad-capture')?.shadowRoot?.getElementById('shutter');
    if (el && !el.disabled) { el.click(); return true; }
    return false;
  }, null, { timeout: 60000, polling: 50 });
  await page.waitForFunction(() => !document.querySelector('grad-capture').shadowRoot.getElementById('review').hidden);
  return Buffer.from(await page.evaluate(() => Array.from(document.querySelector('grad-capture').photo)));
}
