// What the engine tests share for Gecko: Debian's Firefox ESR, headless, driven by npm
// `puppeteer-core` over WebDriver BiDi, as a 390×844 phone view. Its fake camera shows a flat
// colour, so the tests answer `getUserMedia` themselves with a canvas stream of a fixture's
// frame (the rest of the camera path — the stream on the <video>, the frame callbacks, the
// reading of frames, the tracks stopped — is the component's own, as in a real browser).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { cameraScript } from './camera.mjs';

export { y4mFrame } from './camera.mjs';

export const FIREFOX = '/usr/lib/firefox-esr/firefox-esr';
export const PHONE = { width: 390, height: 844 };

/** Why the Gecko tests cannot run here, or false. */
export const noFirefox = !existsSync(FIREFOX) && `no ${FIREFOX} (scripts/setup installs firefox-esr)`;

/** Firefox ESR headless in a fresh profile, the camera allowed (or with `deny`, refused as a
 * student refusing the prompt would); resolves to `{ page, close }`. */
export async function launchFirefox({ deny = false } = {}) {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradcap-firefox-'));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: dir,
    defaultViewport: { ...PHONE, deviceScaleFactor: 1, hasTouch: true },
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': !deny,
      'media.autoplay.default': 0,
      'permissions.default.camera': deny ? 2 : 1,
    },
  });
  const page = await browser.newPage();
  page.on('pageerror', (e) => console.log('[firefox pageerror]', e.message || String(e)));
  const close = async () => {
    await browser.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { page, close };
}

/** Makes the page's camera show `frame` (from [y4mFrame]) from its first script on. */
export async function showOnCamera(page, frame) {
  await page.evaluateOnNewDocument(cameraScript(frame));
}

/** Runs `fn(el)` in the page on the element with `id` inside the component's shadow root
 * (`undefined` before the module has made it). */
export const shadow = (page, id, fn) => page.evaluate((id, fn) => {
  const el = document.querySelector('grad-capture')?.shadowRoot?.getElementById(id);
  return el ? new Function('el', `return (${fn})(el)`)(el) : undefined;
}, id, fn.toString());
