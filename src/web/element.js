// gradcap's loader: defines <grad-capture> on top of the WebAssembly component.
// Import this module (it is copied into pkg/ by scripts/build-web); it loads the .wasm itself:
// the SIMD build where the browser has wasm SIMD, the scalar build elsewhere. Browsers without
// WebAssembly get a plain explanation instead of a blank box.

const NO_WASM = {
  code: 'wasm.unsupported',
  zh: '当前浏览器版本过旧，无法运行拍照程序。请升级微信或系统浏览器后重试。',
  en: 'This browser is too old to run the camera component. Update WeChat or your browser and try again.',
};

const LOAD_FAILED = {
  code: 'wasm.load',
  zh: '拍照程序加载失败，请检查网络后重试。',
  en: 'The camera component could not be loaded. Check the connection and try again.',
  retry: { zh: '重试', en: 'Try again' },
};

/** A failure to fetch or compile the module's files: which file, and why. */
class LoadError extends Error {
  constructor(url, reason) {
    super(`cannot load ${url}: ${reason}`);
    this.code = LOAD_FAILED.code;
    this.url = String(url);
  }
}

const hasWasm = typeof WebAssembly === 'object' && typeof WebAssembly.instantiate === 'function';

// A tiny module that uses v128 instructions: it validates only where wasm SIMD is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
  65, 0, 253, 15, 253, 98, 11]);

/** Whether this browser runs the SIMD build. */
export const simd = hasWasm && WebAssembly.validate(SIMD_PROBE);

/** The load under way, once something asked for the module. */
let current = null;

/** Starts loading the module, unless it is under way. */
function start() {
  current ??= loadModule();
  return current;
}

/** Resolves to the loaded module (`{ GradCapture, FaceAnalyzer, decodeImage, version }`), or is
 * null when the browser has no WebAssembly. The download starts when an element connects or
 * when this is awaited — a page that imports the package and shows no element fetches nothing.
 * After a failed load (`wasm.load`), 重试 loads it again and this follows the new attempt. */
export const ready = hasWasm
  ? { then: (ok, fail) => start().then(ok, fail), catch: (fail) => start().catch(fail), finally: (f) => start().finally(f) }
  : null;

// The .wasm is fetched at once, alongside its JavaScript glue rather than after it. The
// specifiers are literal (not built from a folder name) so that bundlers — Vite, webpack,
// Rollup, esbuild — see both builds and emit them, and a plain <script type="module"> finds them
// beside this file.
function loadModule() {
  const url = simd ? new URL('./simd/gradcap_bg.wasm', import.meta.url) : new URL('./gradcap_bg.wasm', import.meta.url);
  const wasm = fetch(url).then((response) => {
    if (!response.ok) throw new LoadError(url, `HTTP ${response.status}`);
    return response;
  }, (err) => { throw new LoadError(url, `${err?.message ?? err} (offline, or refused by the page's Content-Security-Policy connect-src)`); });
  wasm.catch(() => {}); // a failed download is reported by the initialisation that awaits it
  const glue = simd ? import('./simd/gradcap.js') : import('./gradcap.js');
  const module = glue.then(async (module) => {
    try {
      await module.default({ module_or_path: wasm });
    } catch (err) {
      if (err instanceof LoadError) throw err;
      // Fetched but not compiled: a page whose policy lacks 'wasm-unsafe-eval', or a server
      // that answered something else (an HTML page) in its place.
      throw new LoadError(url, `${err?.message ?? err} (the script-src of the page's Content-Security-Policy needs 'wasm-unsafe-eval')`);
    }
    return module;
  }, (err) => {
    throw err instanceof LoadError ? err : new LoadError(simd ? './simd/gradcap.js' : './gradcap.js', err?.message ?? String(err));
  });
  module.then(() => { loaded = true; }, () => {});
  return module;
}

let loaded = false;

/** Loads the module again after a failure; every element waiting on it connects when it arrives. */
function reload() {
  current = loadModule();
  for (const el of document.querySelectorAll('grad-capture')) if (el.isConnected) el.connectedCallback();
}

/** The loaded module, for pages that use the plain class: `const { GradCapture } = await load();` */
export function load() {
  return ready ? start() : Promise.reject(new Error(NO_WASM.code));
}

// Every attribute the component reads (`ATTRIBUTES` in options.rs; tests/contract.rs holds the
// two lists together): a change after the element is connected is passed on to it.
const OPTIONS = ['lang', 'facing', 'rotation', 'max-fps', 'debug', 'steps', 'code-pattern', 'models', 'rules',
  'auto-capture', 'standard', 'endpoint', 'backoff'];

export class GradCaptureElement extends HTMLElement {
  static get observedAttributes() { return OPTIONS; }

  connectedCallback() {
    if (!ready) {
      this.#showNoWasm();
      return;
    }
    if (!loaded && !this._capture) this.#askCameraEarly();
    const attempt = start();
    attempt.then((module) => {
      if (!this.isConnected || attempt !== current) return;
      this._capture ??= new module.GradCapture(this, {});
      this._capture.connect();
    }, (err) => {
      if (attempt !== current) return;
      console.error('gradcap: cannot load the WebAssembly module', err);
      this.#dropEarlyCamera();
      if (err instanceof LoadError) this.#showLoadFailure(err);
      else this.#showNoWasm();
    });
  }

  disconnectedCallback() {
    this.#dropEarlyCamera();
    this._capture?.disconnect();
  }

  // The camera is what takes longest to start (hundreds of milliseconds on a phone, more on the
  // browser's first use): asked for while the WebAssembly module is still loading, the two
  // overlap. The component takes this request as its first (with the same constraints as its
  // own; a failure is left for its own request to report).
  #askCameraEarly() {
    const devices = navigator.mediaDevices;
    if (this._earlyCamera || !window.isSecureContext || typeof devices?.getUserMedia !== 'function') return;
    const facing = this.getAttribute('facing') ?? 'back';
    const front = ['front', 'user'].includes(facing.trim().toLowerCase());
    const stream = devices.getUserMedia({ audio: false, video: {
      facingMode: { ideal: front ? 'user' : 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 },
    } });
    stream.catch(() => {});
    this._earlyCamera = { facing, stream };
  }

  // An early request the component did not take (removed before it loaded, or it failed to
  // load): its camera is stopped when it arrives.
  #dropEarlyCamera() {
    const early = this._earlyCamera;
    if (!early) return;
    delete this._earlyCamera;
    early.stream.then((s) => s.getTracks().forEach((t) => t.stop()), () => {});
  }

  attributeChangedCallback(name, oldValue, value) {
    if (oldValue !== value) this._capture?.setOption(name, value);
  }

  /** The flow's state: "opening", "failed", "framing", "ready", "review", … */
  get state() { return this._capture?.state ?? 'idle'; }
  /** Frame-loop statistics (frames, frameMs, fps, last frame's luma). */
  stats() { return this._capture?.stats() ?? null; }
  /** Whether a camera track is running. */
  get cameraActive() { return this._capture?.cameraActive ?? false; }
  /** Retries after a failure. */
  retry() { this._capture?.retry(); }

  /** The standard photo just taken (a JPEG as Uint8Array), or undefined. */
  get photo() { return this._capture?.photo; }

  /** The full frame the photo was cut from (JPEG), or undefined. */
  get original() { return this._capture?.original; }

  // The module's files did not arrive: said so (not "too old"), with 重试, and reported with the
  // URL and the reason.
  #showLoadFailure(err) {
    const en = (this.getAttribute('lang') || '').toLowerCase().startsWith('en');
    const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.textContent = en ? LOAD_FAILED.en : LOAD_FAILED.zh;
    const again = document.createElement('button');
    again.type = 'button';
    again.textContent = en ? LOAD_FAILED.retry.en : LOAD_FAILED.retry.zh;
    again.style.cssText = 'min-height:44px;padding:0 1.2em;font:inherit';
    again.onclick = () => { root.replaceChildren(); reload(); };
    root.replaceChildren(p, again);
    this.dispatchEvent(new CustomEvent('error', {
      bubbles: true, composed: true, detail: { code: LOAD_FAILED.code, message: err.message },
    }));
  }

  #showNoWasm() {
    const en = (this.getAttribute('lang') || '').toLowerCase().startsWith('en');
    const root = this.shadowRoot ?? this.attachShadow({ mode: 'open' });
    const p = document.createElement('p');
    p.setAttribute('role', 'alert');
    p.textContent = en ? NO_WASM.en : NO_WASM.zh;
    root.replaceChildren(p);
    this.dispatchEvent(new CustomEvent('error', {
      bubbles: true, composed: true, detail: { code: NO_WASM.code, message: p.textContent },
    }));
  }
}

if (!customElements.get('grad-capture')) {
  customElements.define('grad-capture', GradCaptureElement);
}
