// The per-frame pipeline in the browser: the face followed from frame to frame, every photo check
// and the gate (what the component does with each portrait frame), and the capture-code scan, at
// 640×480 and 1280×720, with the scalar and the SIMD build; and the wasm and JS heaps over a long
// run. Driven by bench/all.mjs.
import init, { Pipeline, modelFiles, wasmMemoryBytes } from '/pkg/gradcap.js';
import simdInit, { Pipeline as SimdPipeline, wasmMemoryBytes as simdMemoryBytes } from '/pkg/simd/gradcap.js';

async function bytes(url) {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

/** `url` drawn to cover a `w`×`h` frame, as RGBA. */
async function frame(url, w, h) {
  const bitmap = await createImageBitmap(await (await fetch(url)).blob());
  const canvas = new OffscreenCanvas(w, h);
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  const scale = Math.max(w / bitmap.width, h / bitmap.height);
  const [dw, dh] = [bitmap.width * scale, bitmap.height * scale];
  ctx.drawImage(bitmap, (w - dw) / 2, (h - dh) / 2, dw, dh);
  return ctx.getImageData(0, 0, w, h).data;
}

const quantile = (xs, q) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.floor(q * s.length))]; };

let builds;
window.pipelineInit = (async () => {
  await init();
  const files = modelFiles();
  const [detector, mesh] = [await bytes(`/models/${files.detector}`), await bytes(`/models/${files.mesh}`)];
  await simdInit();
  builds = { scalar: { Pipeline, memory: wasmMemoryBytes }, simd: { Pipeline: SimdPipeline, memory: simdMemoryBytes } };
  for (const b of Object.values(builds)) b.models = [detector, mesh];
  document.getElementById('status').textContent = 'ready';
  return true;
})();

/** p50/p95 ms of the portrait pipeline over `n` frames (after 10 to settle), per build and size,
 * and of the code scan. `portrait`, `code`: URLs of the pictures. */
window.benchPipeline = async (portrait, code, n, sizes = [[640, 480], [1280, 720]], which = ['scalar', 'simd']) => {
  const out = {};
  for (const [w, h] of sizes) {
    const face = await frame(portrait, w, h);
    const qr = await frame(code, w, h);
    for (const name of which) {
      const b = builds[name];
      const p = new b.Pipeline(...b.models);
      const times = [];
      const scans = [];
      for (let i = 0; i < n + 10; i++) {
        const t0 = performance.now();
        p.portrait(face, w, h, t0);
        const t1 = performance.now();
        if (i >= 10) times.push(t1 - t0);
      }
      for (let i = 0; i < Math.min(n, 60) + 5; i++) {
        const t0 = performance.now();
        p.scan(qr, w, h);
        if (i >= 5) scans.push(performance.now() - t0);
      }
      p.free();
      out[`${name} ${w}×${h}`] = { p50: quantile(times, 0.5), p95: quantile(times, 0.95),
        scanP50: quantile(scans, 0.5), scanP95: quantile(scans, 0.95) };
    }
  }
  return out;
};

/** The wasm and JS heaps after 100 and after `n` portrait frames (SIMD build, 640×480). */
window.benchMemory = async (portrait, n) => {
  const face = await frame(portrait, 640, 480);
  const b = builds.simd;
  const p = new b.Pipeline(...b.models);
  const heap = () => ({ wasm: b.memory(), js: performance.memory?.usedJSHeapSize ?? null });
  let after100;
  for (let i = 1; i <= n; i++) {
    p.portrait(face, 640, 480, i * 66);
    if (i === 100) { globalThis.gc?.(); after100 = heap(); }
    if (i % 500 === 0) await new Promise((r) => setTimeout(r, 0));
  }
  globalThis.gc?.();
  const end = heap();
  p.free();
  return { after100, end, frames: n };
};
