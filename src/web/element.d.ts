// Types for gradcap's loader module (pkg/gradcap-element.js).
import type * as Module from './gradcap.js';

/** Frame-loop statistics reported by the component. */
export interface FrameLoopStats {
  frames: number;
  frameMs: number;
  frameMsAvg: number;
  fps: number;
  last: { width: number; height: number; meanLuma: number; leftLuma: number; rightLuma: number } | null;
  /** The face in the last frame, in frame pixels. */
  face: { score: number; box: [number, number, number, number] } | null;
  /** The shutter gate after the last portrait frame. */
  gate: { state: 'waiting' } | { state: 'holding'; remainingMs: number } | { state: 'ready' } | null;
  /** What the student was last told: a check id ("light.even"), "gate.hold", "gate.ready", "frame.dark"… */
  guidance: string | null;
}

/**
 * Thresholds of the photo checks (JSON in the `rules` attribute, or an object in the options);
 * missing fields keep their defaults. See `gradcap::checks::Rules` for every field.
 */
export interface Rules {
  disabled?: string[];
  maxRoll?: number;
  maxYaw?: number;
  maxPitch?: number;
  minOfiqScore?: number;
  faceWidth?: [number, number];
  eyeLine?: [number, number];
  crown?: [number, number];
  framesToOpen?: number;
  framesToClose?: number;
  holdMs?: number;
  /** How long the face must have been watched before the shutter opens, ms (default 2500). */
  minWatchMs?: number;
  autoCapture?: boolean;
  [threshold: string]: unknown;
}

/** Whether the SIMD build was chosen. */
export declare const simd: boolean;
/** Resolves to the loaded module; null in browsers without WebAssembly. */
export declare const ready: Promise<typeof Module> | null;
/** The loaded module (rejects with "wasm.unsupported" without WebAssembly). */
export declare function load(): Promise<typeof Module>;

/**
 * `<grad-capture lang="zh-CN|en" facing="back|front" rotation="0|90|180|270" max-fps="15" debug
 * rules='{"maxYaw": 8, "disabled": ["clothing.color"]}' auto-capture>`.
 * Events (bubbling, composed): ready, code, session, check, capture, upload-progress, uploaded
 * ({key, id, status, receipt}), reviewed ({id, status, reason}), verdict (a student back on a
 * code delivered before: {id, status: "pending" | "approved" | "rejected", reason?, sentAt?}),
 * error (detail.code is stable, e.g. "camera.denied"). States include "in-review", "approved" and
 * "rejected" for that return visit.
 */
export declare class GradCaptureElement extends HTMLElement {
  readonly state: string;
  readonly cameraActive: boolean;
  stats(): FrameLoopStats | null;
  retry(): void;
  /** The standard photo just taken: a 480×640 JPEG of 20–40 KB at 300 dpi. */
  readonly photo: Uint8Array | undefined;
  /** The full frame the photo was cut from, as a JPEG. */
  readonly original: Uint8Array | undefined;
}

declare global {
  interface HTMLElementTagNameMap {
    'grad-capture': GradCaptureElement;
  }
}
