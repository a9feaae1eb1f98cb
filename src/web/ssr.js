// gradcap's entry outside a browser (Node, server-side rendering in Next or Nuxt): importing the
// package there defines nothing and downloads nothing; the element is defined when the same
// import runs in the browser.

/** Whether the SIMD build was chosen: never, outside a browser. */
export const simd = false;

/** The loaded module: none outside a browser. */
export const ready = null;

/** Rejects: the component runs in a browser. */
export function load() {
  return Promise.reject(new Error('gradcap runs in a browser; import it on the client side'));
}

/** A stand-in so that `class X extends GradCaptureElement` and `instanceof` checks still parse. */
export class GradCaptureElement {}
