// QR benchmark: our wasm decoder vs zxing-wasm (zxing-cpp) and jsQR on ../shared/qr-corpus, in one
// headless Chromium run; with GRADCAP_QR_WECHAT naming the JSON bench/wechat_qr.py wrote for the
// same corpus, WeChat's decoder beside them (natively, OpenCV in Python) and zxing-cpp and WeChat
// chained (read when either reads). Prints a table and writes target/bench/qr.json. Run by
// scripts/bench-qr.
import { readFileSync, readdirSync, existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { serve, contentType, launchChromium, root } from './serve.mjs';

const corpus = process.env.GRADCAP_QR_CORPUS ?? path.resolve(root, '../shared/qr-corpus');
export const haveCorpus = existsSync(corpus);
if (!haveCorpus && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`skipped: no QR corpus at ${corpus} (set GRADCAP_QR_CORPUS)`);
  process.exit(0);
}
function cases() {
  return readdirSync(corpus).sort().flatMap((set) => readdirSync(path.join(corpus, set))
    .filter((f) => /\.(png|jpg|webp)$/.test(f))
    .filter((f) => existsSync(path.join(corpus, set, f.replace(/\.\w+$/, '.txt'))))
    .sort()
    .map((f) => ({ set, file: f, path: path.join(corpus, set, f),
      expected: readFileSync(path.join(corpus, set, f.replace(/\.\w+$/, '.txt')), 'utf8') })));
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[Math.floor(s.length / 2)] : NaN; };

/** Decodes the corpus with the three decoders on `page` (the bench server at `url`). */
export async function qrBench(page, url) {
  page.on('pageerror', (e) => console.error('page error:', e));
  await page.goto(`${url}/bench/qr.html`);
  await page.waitForFunction(() => window.benchInit, null, { timeout: 60000 });
  const init = await page.evaluate(() => window.benchInit);
  const chromiumVersion = await page.evaluate(() => navigator.userAgent.match(/Chrom(?:e|ium)\/([\d.]+)/)?.[1] ?? '?');

  const all = cases();
  const wechat = process.env.GRADCAP_QR_WECHAT ? JSON.parse(readFileSync(process.env.GRADCAP_QR_WECHAT, 'utf8')) : null;
  const names = ['gradcap', 'zxing-wasm', 'jsqr', ...(wechat ? ['wechat', 'chained'] : [])];
  // Warm up every decoder once before timing.
  await page.evaluate(([b, t]) => window.benchImage(b, t), [readFileSync(all[0].path).toString('base64'), 'image/png']);
  const results = [];
  for (const c of all) {
    const type = contentType(c.file);
    const out = await page.evaluate(([b, t]) => window.benchImage(b, t), [readFileSync(c.path).toString('base64'), type]);
    if (wechat) {
      out.wechat = wechat.results[`${c.set}/${c.file}`] ?? { texts: [], ms: NaN };
      // zxing-cpp first, WeChat's when it reads nothing.
      const first = out['zxing-wasm'];
      out.chained = first.texts.length ? first : { texts: out.wechat.texts, ms: first.ms + out.wechat.ms };
    }
    const ok = (texts) => texts.some((t) => t === c.expected || t === c.expected.replace(/\n$/, ''));
    results.push({ ...c, out: Object.fromEntries(names.map((n) => [n, { ok: ok(out[n].texts),
      wrong: out[n].texts.length > 0 && !ok(out[n].texts), ms: out[n].ms }])) });
  }
  const sets = [...new Set(results.map((r) => r.set)), 'all'];
  const table = sets.map((set) => {
    const rs = results.filter((r) => set === 'all' || r.set === set);
    return { set, images: rs.length, ...Object.fromEntries(names.map((n) => [n, {
      rate: rs.filter((r) => r.out[n].ok).length / rs.length,
      wrong: rs.filter((r) => r.out[n].wrong).length,
      medianMs: median(rs.map((r) => r.out[n].ms)),
    }])) };
  });
  const wrong = Object.fromEntries(names.map((n) => [n, results.filter((r) => r.out[n].wrong).map((r) => `${r.set}/${r.file}`)]));
  return { chromium: chromiumVersion, cpu: cpus()[0].model, init, table, wrong, results,
    wechat: wechat && { detector: wechat.detector, opencv: wechat.opencv } };
}

/** Prints the QR table. */
export function printQr({ chromium, init, table, wrong, wechat }) {
  const names = ['gradcap', 'zxing-wasm', 'jsqr', ...(wechat ? ['wechat', 'chained'] : [])];
  const pct = (x) => `${(100 * x).toFixed(1)}%`.padStart(11);
  const ms = (x) => x.toFixed(2).padStart(11);
  console.log(`\nQR decoding, headless Chromium ${chromium} on ${cpus()[0].model} (${cpus().length} cores)`);
  console.log(`init: gradcap ${init.gradcap.toFixed(1)} ms, zxing-wasm ${init['zxing-wasm'].toFixed(1)} ms`);
  if (wechat) {
    console.log(`wechat: OpenCV ${wechat.opencv} wechat_qrcode, ${wechat.detector} detector, natively in Python; ` +
      'chained: zxing-wasm, then wechat when it reads nothing');
  }
  console.log(`\n${'set'.padEnd(15)}   n ${names.map((n) => n.padStart(11)).join('')} | median ms ${names.filter((n) => n !== 'chained').map((n) => n.padStart(11)).join('')}`);
  for (const row of table) {
    const rates = names.map((n) => pct(row[n].rate)).join('');
    const times = names.filter((n) => n !== 'chained').map((n) => ms(row[n].medianMs)).join('');
    console.log(`${row.set.padEnd(15)}${String(row.images).padStart(4)} ${rates} |           ${times}`);
  }
  console.log('\nwrong text:', JSON.stringify(wrong));
}

// Run directly: its own server and browser.
if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { server, url } = await serve();
  const { page, close } = await launchChromium();
  page.on('pageerror', (e) => console.error('page error:', e));
  const out = await qrBench(page, url);
  await close();
  server.close();
  printQr(out);
  mkdirSync(path.join(root, 'target/bench'), { recursive: true });
  const name = process.env.GRADCAP_QR_OUT ?? 'qr.json';
  writeFileSync(path.join(root, 'target/bench', name), JSON.stringify(out, null, 1));
  console.log(`written: target/bench/${name}`);
}
