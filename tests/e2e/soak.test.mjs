// A long session: the demo page left open on a well-framed face, frames analysed the whole time
// (face tracking, the checks, the gate). The frame time stays steady and neither the wasm memory
// nor the JS heap grows. GRADCAP_SOAK_SECONDS sets the length: scripts/test runs 60 s; docs/testing.md
// gives the figures of a full 30-minute run (GRADCAP_SOAK_SECONDS=1800).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { startServer, launchPhone, media, root } from './harness.mjs';

const SECONDS = Number(process.env.GRADCAP_SOAK_SECONDS ?? 60);
const WINDOWS = 6; // the run is judged in this many equal windows; the first one warms up
const portrait = path.join(media, 'variants', 'biden-frontal.png');
const skip = !existsSync(portrait) && 'no portrait variants (needs ../shared/faces and models/)';

let server;
before(async () => { server = await startServer(); });
after(() => server?.stop());

/** Runs in the page: keeps each analysed frame's time, and samples the memory on demand. */
function instrument() {
  window.soak = { frameMs: [] };
  let seen = 0;
  setInterval(() => {
    const s = document.querySelector('grad-capture')?.stats();
    if (s && s.frames > seen) {
      seen = s.frames;
      window.soak.frameMs.push(s.frameMs);
    }
  }, 20);
  window.soak.sample = async () => {
    const module = await (await import('/pkg/gradcap-element.js')).ready;
    const s = document.querySelector('grad-capture').stats();
    const times = window.soak.frameMs.splice(0);
    return { frames: s.frames, state: document.querySelector('grad-capture').state, times,
      wasm: module.wasmMemoryBytes(), js: performance.memory.usedJSHeapSize };
  };
}

const percentile = (xs, p) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
};

test(`a ${SECONDS} s session keeps a steady frame time and flat memory`, { skip, timeout: (SECONDS + 120) * 1000 }, async () => {
  const camera = 'soak-face.y4m';
  execFileSync(path.join(root, 'target/release/gradcap-fixtures'),
    ['guided', portrait, path.join(media, camera), '390', '699', '150']);
  const { context, page, close } = await launchPhone(camera, { args: ['--enable-precise-memory-info'] });
  try {
    const cdp = await context.newCDPSession(page);
    await page.addInitScript(instrument);
    await page.goto(`${server.url}/?steps=portrait`);
    await page.waitForFunction(() => document.querySelector('grad-capture').state === 'ready', null, { timeout: 30000 });
    const windows = [];
    for (let w = 0; w < WINDOWS; w++) {
      await page.waitForTimeout(SECONDS * 1000 / WINDOWS);
      await cdp.send('HeapProfiler.collectGarbage'); // the JS heap is compared after a full collection
      const s = await page.evaluate(() => window.soak.sample());
      windows.push({ frames: s.frames, state: s.state, p50: percentile(s.times, 0.5), p95: percentile(s.times, 0.95),
        analysed: s.times.length, wasmMB: s.wasm / 2 ** 20, jsMB: s.js / 2 ** 20 });
    }
    console.table(windows);
    mkdirSync(path.join(root, 'target'), { recursive: true });
    writeFileSync(path.join(root, 'target/soak.json'), JSON.stringify({ seconds: SECONDS, windows }, null, 2));

    const [warm, ...steady] = windows.slice(1);
    for (const w of steady) {
      assert.ok(w.analysed > 0.5 * warm.analysed, `frames kept coming: ${w.analysed} vs ${warm.analysed}`);
      assert.ok(w.p50 <= 1.5 * warm.p50 + 1, `median frame ${w.p50} ms vs ${warm.p50} ms at the start`);
      assert.equal(w.state, 'ready', 'the face stays judged ready the whole time');
    }
    // Wasm memory only ever grows in 64 KiB pages: after warming up it must not grow at all.
    assert.equal(windows.at(-1).wasmMB, warm.wasmMB, 'no wasm memory growth');
    // The JS heap after a full collection still wobbles by about 1 MB with what is in flight; its
    // floor over the last windows must not rise above its floor at the start.
    const floor = (ws) => Math.min(...ws.map((w) => w.jsMB));
    const [start, end] = [floor(windows.slice(1, 3)), floor(windows.slice(-2))];
    assert.ok(end - start < 1, `JS heap floor ${start.toFixed(2)} → ${end.toFixed(2)} MB`);
  } finally {
    await close();
  }
});
