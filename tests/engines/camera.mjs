// The camera the engine tests give a page: neither WebKitGTK's mock camera (a test pattern) nor
// Firefox's fake one (a flat colour) shows a face or a code, so every `getUserMedia` is answered
// with a 15-fps stream of a canvas showing a fixture's frame. The rest of the camera path — the
// stream on the <video>, the frame callbacks, the reading of frames, the tracks stopped — is the
// component's own.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { root, media, staffFetch } from '../e2e/harness.mjs';

/** The labelled portrait variants scripts/test writes (from ../shared/faces). */
export const variants = path.join(media, 'variants');
/** Why the tests that film the variants cannot run, or false. */
export const noFixtures = !existsSync(path.join(variants, 'biden-frontal.png')) && 'no portrait variants (needs ../shared/faces and models/)';

/** The first frame of the variant `photo` filmed so that it fills a component of `size` (CSS
 * pixels) as a student following the guide holds the phone; `engine` names the file. */
export function guidedFrame(photo, size, engine) {
  const file = path.join(media, `${engine}-guided-${photo.replace(/\.png$/, '')}.y4m`);
  execFileSync(path.join(root, 'target/release/gradcap-fixtures'), ['guided', path.join(variants, photo), file, ...size.map(String)]);
  return y4mFrame(file);
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
  const clamp = (x) => Math.max(0, Math.min(255, Math.round(x)));
  for (let j = 0; j < height; j++) {
    for (let i = 0; i < width; i++) {
      const Y = y[j * width + i];
      const c = (j >> 1) * cw + (i >> 1);
      const [U, V] = [u[c] - 128, v[c] - 128];
      const o = 4 * (j * width + i);
      rgba[o] = clamp(Y + 1.402 * V);
      rgba[o + 1] = clamp(Y - 0.344136 * U - 0.714136 * V);
      rgba[o + 2] = clamp(Y + 1.772 * U);
      rgba[o + 3] = 255;
    }
  }
  return { width, height, rgba };
}

/** A script, to run before the page's own, that refuses wasm SIMD (a browser without it): the
 * loader must pick the scalar build. */
export const NO_SIMD = `(() => {
  const validate = WebAssembly.validate;
  WebAssembly.validate = (bytes) => !new Uint8Array(bytes.buffer ?? bytes).includes(0xfd) && validate(bytes);
})();`;

/** In the page: the .wasm files it fetched, by path. */
export const wasmFetched = () => performance.getEntriesByType('resource').map((e) => new URL(e.name).pathname).filter((p) => p.endsWith('.wasm'));

/** In the page: ends the camera's video track as the system does (unplugged, taken by a call),
 * firing its ended event. */
export const endTrack = () => {
  const video = document.querySelector('grad-capture').shadowRoot.getElementById('video');
  const track = video.srcObject?.getVideoTracks()[0];
  if (!track) return false;
  track.dispatchEvent(new Event('ended'));
  return true;
};

/** A script, to run before the page's own, that loses the answer to the first upload: the
 * upload's request (the component's headers and body) reaches the server, and the page reloads
 * before the answer comes back, as when a student's phone drops the page mid-upload. Later loads
 * send as they are. */
export const RELOAD_MID_UPLOAD = `(() => {
  // How many times the page has loaded in this tab (for the test to see the reload).
  sessionStorage.setItem('gradcapLoads', String(Number(sessionStorage.getItem('gradcapLoads') ?? 0) + 1));
  const { open, setRequestHeader, send } = XMLHttpRequest.prototype;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    this.gradcapRequest = { method, url: new URL(url, location.href), headers: {} };
    return open.call(this, method, url, ...rest);
  };
  XMLHttpRequest.prototype.setRequestHeader = function (name, value) {
    if (this.gradcapRequest) this.gradcapRequest.headers[name] = value;
    return setRequestHeader.call(this, name, value);
  };
  XMLHttpRequest.prototype.send = function (body) {
    const r = this.gradcapRequest;
    if (r && r.method === 'POST' && r.url.pathname.endsWith('/captures') && !sessionStorage.getItem('gradcapReloaded')) {
      sessionStorage.setItem('gradcapReloaded', '1');
      fetch(r.url, { method: 'POST', headers: r.headers, body }).finally(() => location.reload());
      return undefined; // this request never answers: the page is gone first
    }
    return send.call(this, body);
  };
})();`;

/** A script, to run before the page's own, through which a test takes the page off the network
 * and back (neither driver can cut the engine's own): `gradcapOffline(true)` makes
 * `navigator.onLine` false and fires `offline`, `gradcapOffline(false)` the reverse with
 * `online`; `gradcapPosts` counts the uploads the page starts. */
export const OFFLINE_SWITCH = `(() => {
  let offline = false;
  Object.defineProperty(Navigator.prototype, 'onLine', { get: () => !offline, configurable: true });
  window.gradcapOffline = (on) => { offline = on; window.dispatchEvent(new Event(on ? 'offline' : 'online')); };
  window.gradcapPosts = 0;
  const { open } = XMLHttpRequest.prototype;
  XMLHttpRequest.prototype.open = function (method, url, ...rest) {
    if (method === 'POST' && new URL(url, location.href).pathname.endsWith('/captures')) window.gradcapPosts += 1;
    return open.call(this, method, url, ...rest);
  };
})();`;

/** Every capture the backend at `url` holds, as staff list them. */
export const storedCaptures = async (url) => (await (await (await staffFetch(url))('/api/captures?limit=200')).json()).items;

/** In the page: resolves to how many photos the IndexedDB outbox holds (0 without it). */
export const outboxSize = () => new Promise((resolve) => {
  const open = indexedDB.open('gradcap');
  open.onerror = () => resolve(0);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('outbox')) { db.close(); resolve(0); return; }
    const all = db.transaction('outbox').objectStore('outbox').count();
    all.onsuccess = () => { resolve(all.result); db.close(); };
  };
});

/** A script, to run before the page's own, that answers `getUserMedia` with `frame`. */
export function cameraScript(frame) {
  return `(() => {
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
}
