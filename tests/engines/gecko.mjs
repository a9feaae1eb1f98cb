// What the engine tests share for Gecko: Debian's Firefox ESR, headless, driven by npm
// `puppeteer-core` over WebDriver BiDi, as a 390×844 phone view. Its fake camera shows a flat
// colour, so the tests answer `getUserMedia` themselves with a canvas stream of a fixture's
// frame (the rest of the camera path — the stream on the <video>, the frame callbacks, the
// reading of frames, the tracks stopped — is the component's own, as in a real browser).
import { readFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import puppeteer from 'puppeteer-core';

export const FIREFOX = '/usr/lib/firefox-esr/firefox-esr';
export const PHONE = { width: 390, height: 844 };

/** Why the Gecko tests cannot run here, or false. */
export const noFirefox = !existsSync(FIREFOX) && `no ${FIREFOX} (scripts/setup installs firefox-esr)`;

/** Firefox ESR headless in a fresh profile, camera allowed; resolves to `{ page, close }`. */
export async function launchFirefox() {
  const dir = mkdtempSync(path.join(tmpdir(), 'gradcap-firefox-'));
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: FIREFOX,
    headless: true,
    userDataDir: dir,
    defaultViewport: { ...PHONE, deviceScaleFactor: 1, hasTouch: true },
    extraPrefsFirefox: {
      'media.navigator.streams.fake': true,
      'media.navigator.permission.disabled': true,
      'media.autoplay.default': 0,
      'permissions.default.camera': 1,
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

/** The first frame of a `.y4m` (4:2:0) as `{ width, height, rgba }`. */
export function y4mFrame(file) {
  const bytes = readFileSync(file);
  const header = bytes.subarray(0, bytes.indexOf(0x0a)).toString('latin1');
  const width = Number(header.match(/ W(\d+)/)[1]);
  const height = Number(header.match(/ H(\d+)/)[1]);
  const start = bytes.indexOf(0x0a, header.length + 1) + 1; // after "FRAME…\n"
  const [cw, ch] = [width / 2, height / 2];
  const y = bytes.subarray(start, start + width * height);
  const u = bytes.subarray(start + width * height, start + width * height + cw * ch);
  const v = bytes.subarray(start + width * height + cw * ch, start + width * height + 2 * cw * ch);
  const rgba = Buffer.alloc(width * height * 4);
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const Y = y[j * width + i];
      const c = (j >> 1) * cw + (i >> 1);
      const U = u[c] - 128;
      const V = v[c] - 128;
      const o = 4 * (j * width + i);
      rgba[o] = Math.max(0, Math.min(255, Math.round(Y + 1.402 * V)));
      rgba[o + 1] = Math.max(0, Math.min(255, Math.round(Y - 0.344136 * U - 0.714136 * V)));
      rgba[o + 2] = Math.max(0, Math.min(255, Math.round(Y + 1.772 * U)));
      rgba[o + 3] = 255;
    }
  }
  return { width, height, rgba };
}

/** Makes the page's camera show `frame` (from [y4mFrame]) from its first script on: every
 * `getUserMedia` answers a 15-fps stream of a canvas it is drawn on. */
export async function showOnCamera(page, frame) {
  const script = `(() => {
    const [w, h] = [${frame.width}, ${frame.height}];
    const bytes = Uint8ClampedArray.from(atob(${JSON.stringify(frame.rgba.toString('base64'))}), (c) => c.charCodeAt(0));
    const media = navigator.mediaDevices;
    if (!media) return; // about:blank, before the page
    media.getUserMedia = async () => {
      const canvas = document.createElement('canvas');
      canvas.width = w;
      canvas.height = h;
      const ctx = canvas.getContext('2d');
      const image = new ImageData(bytes, w, h);
      const draw = () => ctx.putImageData(image, 0, 0);
      draw();
      const timer = setInterval(draw, 66);
      const stream = canvas.captureStream(15);
      for (const track of stream.getTracks()) track.addEventListener('ended', () => clearInterval(timer));
      return stream;
    };
  })();`;
  await page.evaluateOnNewDocument(script);
}

/** Runs `fn(el)` in the page on the element with `id` inside the component's shadow root
 * (`undefined` before the module has made it). */
export const shadow = (page, id, fn) => page.evaluate((id, fn) => {
  const el = document.querySelector('grad-capture')?.shadowRoot?.getElementById(id);
  return el ? new Function('el', `return (${fn})(el)`)(el) : undefined;
}, id, fn.toString());
