// gradcap's loader: defines <grad-capture> on top of the WebAssembly component.
// Import this module (it is copied into pkg/ by scripts/build-web); it loads the .wasm itself:
// the SIMD build where the browser has wasm SIMD, the scalar build elsewhere. Browsers without
// WebAssembly get a plain explanation instead of a blank box.

const NO_WASM = {
  code: 'wasm.unsupported',
  zh: '当前浏览器版本过旧，无法运行拍照程序。请升级微信或系统浏览器后重试。',
  en: 'This browser is too old to run the camera component. Update WeChat or your browser and try again.',
};

const hasWasm = typeof WebAssembly === 'object' && typeof WebAssembly.instantiate === 'function';

// A tiny module that uses v128 instructions: it validates only where wasm SIMD is supported.
const SIMD_PROBE = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 5, 1, 96, 0, 1, 123, 3, 2, 1, 0, 10, 10, 1, 8, 0,
  65, 0, 253, 15, 253, 98, 11]);

/** Whether this browser runs the SIMD build. */
export const simd = hasWasm && WebAssembly.validate(SIMD_PROBE);

/** Resolves to the loaded module (`{ GradCapture, FaceAnalyzer, decodeImage, version }`), or is
 * null when the browser has no WebAssembly. */
export const ready = hasWasm ? loadModule(simd ? './simd/' : './') : null;

// The .wasm is fetched at once, alongside its JavaScript glue rather than after it.
function loadModule(dir) {
  const wasm = fetch(new URL(`${dir}gradcap_bg.wasm`, import.meta.url));
  wasm.catch(() => {}); // a failed download is reported by the initialisation that awaits it
  return import(`${dir}gradcap.js`).then(async (module) => {
    await module.default({ module_or_path: wasm });
    return module;
  });
}

let loaded = false;
ready?.then(() => { loaded = true; }, () => {});

/** The loaded module, for pages that use the plain class: `const { GradCapture } = await load();` */
export function load() {
  return ready ?? Promise.reject(new Error(NO_WASM.code));
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
    ready.then((module) => {
      if (!this.isConnected) return;
      this._capture ??= new module.GradCapture(this, {});
      this._capture.connect();
    }, (err) => {
      console.error('gradcap: cannot load the WebAssembly module', err);
      this.#dropEarlyCamera();
      this.#showNoWasm();
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
