// Types for gradcap's loader module (pkg/gradcap-element.js).
import { GradCapture, version } from './gradcap.js';

/** Frame-loop statistics reported by the component. */
export interface FrameLoopStats {
  frames: number;
  frameMs: number;
  frameMsAvg: number;
  fps: number;
  last: { width: number; height: number; meanLuma: number; leftLuma: number; rightLuma: number } | null;
}

/** Resolves once the WebAssembly module is loaded; null in browsers without WebAssembly. */
export declare const ready: Promise<unknown> | null;

/**
 * `<grad-capture lang="zh-CN|en" facing="back|front" rotation="0|90|180|270" max-fps="15" debug>`.
 * Events (bubbling, composed): ready, code, session, check, capture, upload-progress, uploaded,
 * error (detail.code is stable, e.g. "camera.denied").
 */
export declare class GradCaptureElement extends HTMLElement {
  readonly state: string;
  readonly cameraActive: boolean;
  stats(): FrameLoopStats | null;
  retry(): void;
}

declare global {
  interface HTMLElementTagNameMap {
    'grad-capture': GradCaptureElement;
  }
}

export { GradCapture, version };
