// The report per engine (Chromium, Firefox's Gecko, Safari's WebKit): the browser tests record
// what they measured (`record`) into target/engines/figures.jsonl; run as a script with the TAP
// files of the runs, it prints and writes target/engines/report.md: for each engine the tests
// passed, failed and skipped, the frame time and rate of the portrait loop with a good face, and
// the standard photo's cost from the shutter, each with its ratio to Chromium's.
//
//   node tests/engines/report.mjs target/engines/e2e.tap target/engines/engines.tap
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dir = path.join(root, 'target/engines');
const figuresFile = path.join(dir, 'figures.jsonl');

/** Records `figures` (`frameMs`, `fps`, `photoMs`, …) measured in `engine`. */
export function record(engine, figures) {
  mkdirSync(dir, { recursive: true });
  appendFileSync(figuresFile, `${JSON.stringify({ engine, ...figures })}\n`);
}

/** The engine a test belongs to, by its name: the engine tests start with theirs. */
function engineOf(name) {
  const match = name.match(/^(Firefox|WebKit):/);
  return match ? match[1] : 'Chromium';
}

/** The top-level results of TAP `text`: `{ name, status }`, status `pass`, `fail` or `skip`. */
export function results(text) {
  const out = [];
  for (const line of text.split('\n')) {
    const m = line.match(/^(not ok|ok) \d+ - (.*?)(?: # (SKIP|TODO)\b.*)?$/);
    if (!m) continue;
    out.push({ name: m[2], status: m[1] === 'not ok' ? 'fail' : m[3] ? 'skip' : 'pass' });
  }
  return out;
}

const median = (xs) => {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

/** The report's Markdown from TAP texts and the recorded figures. */
export function report(taps, figures) {
  const engines = ['Chromium', 'Firefox', 'WebKit'];
  const counts = Object.fromEntries(engines.map((e) => [e, { pass: 0, fail: 0, skip: 0 }]));
  for (const r of taps.flatMap(results)) counts[engineOf(r.name)][r.status] += 1;
  const measured = (engine, key) => median(figures.filter((f) => f.engine === engine && Number.isFinite(f[key])).map((f) => f[key]));
  const cell = (engine, key, digits) => {
    const value = measured(engine, key);
    if (value === null) return 'not measured';
    const base = measured('Chromium', key);
    const ratio = engine !== 'Chromium' && base ? ` (${(value / base).toFixed(2)}×)` : '';
    return `${value.toFixed(digits)}${ratio}`;
  };
  let out = '| engine | passed | failed | skipped | ms a frame | frames a second | photo, ms from the shutter |\n|---|---|---|---|---|---|---|\n';
  for (const e of engines) {
    const c = counts[e];
    out += `| ${e} | ${c.pass} | ${c.fail} | ${c.skip} | ${cell(e, 'frameMs', 1)} | ${cell(e, 'fps', 1)} | ${cell(e, 'photoMs', 0)} |\n`;
  }
  out += '\nThe photo by stage, ms (`stats().photo`):\n\n| engine | reading the frame | making the photo | background, size, JPEG | self-check |\n|---|---|---|---|---|\n';
  for (const e of engines) {
    out += `| ${e} | ${cell(e, 'readMs', 0)} | ${cell(e, 'makeMs', 0)} | ${cell(e, 'encodeMs', 0)} | ${cell(e, 'checkMs', 0)} |\n`;
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const taps = process.argv.slice(2).filter((f) => existsSync(f)).map((f) => readFileSync(f, 'utf8'));
  const figures = existsSync(figuresFile)
    ? readFileSync(figuresFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l))
    : [];
  const table = report(taps, figures);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'report.md'), `# Browser tests by engine\n\n${table}`);
  console.log(table);
}
