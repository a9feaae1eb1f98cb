// The benchmark page: the same ImageData through three decoders, timed with performance.now().
import init, { decodeImage } from '/pkg/gradcap.js';
import { prepareZXingModule, readBarcodes } from '/node_modules/zxing-wasm/dist/es/reader/index.js';

const ZXING_OPTIONS = { formats: ['QRCode'], tryHarder: true, tryInvert: true, tryDownscale: true, maxNumberOfSymbols: 8 };

async function pixels(base64, type) {
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const bitmap = await createImageBitmap(new Blob([bytes], { type }));
  const canvas = new OffscreenCanvas(bitmap.width, bitmap.height);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0);
  return ctx.getImageData(0, 0, bitmap.width, bitmap.height);
}

const decoders = {
  gradcap: async (img) => decodeImage(img.data, img.width, img.height).map((c) => c.text),
  'zxing-wasm': async (img) => (await readBarcodes(img, ZXING_OPTIONS)).filter((r) => r.isValid).map((r) => r.text),
  jsqr: async (img) => {
    const r = window.jsQR(img.data, img.width, img.height, { inversionAttempts: 'attemptBoth' });
    return r ? [r.data] : [];
  },
};

/** Times `decode` on `img`: repeated until 20 ms have passed (at most 50 runs), since the
 * browser's clock ticks in 0.1 ms steps. */
async function timed(decode, img) {
  let runs = 0;
  let texts;
  const t0 = performance.now();
  do {
    texts = await decode(img);
    runs += 1;
  } while (performance.now() - t0 < 20 && runs < 50);
  return { texts, ms: (performance.now() - t0) / runs };
}

/** Decodes one image with every decoder: `{name: {texts, ms}}`. */
window.benchImage = async (base64, type) => {
  const img = await pixels(base64, type);
  const out = {};
  for (const [name, decode] of Object.entries(decoders)) out[name] = await timed(decode, img);
  return out;
};

async function start() {
  const t0 = performance.now();
  await init();
  const gradcapInit = performance.now() - t0;
  const t1 = performance.now();
  prepareZXingModule({
    overrides: { locateFile: (file) => `/node_modules/zxing-wasm/dist/reader/${file}` },
    fireImmediately: false,
  });
  await readBarcodes(new ImageData(8, 8), ZXING_OPTIONS);
  const zxingInit = performance.now() - t1;
  window.benchInit = { gradcap: gradcapInit, 'zxing-wasm': zxingInit };
  document.getElementById('status').textContent = 'ready';
}
start();
