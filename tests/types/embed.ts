// An embedding written against the published types (pkg/gradcap-element.d.ts, pkg/gradcap.d.ts),
// type-checked by `tsc --noEmit -p tests/types` in scripts/test. The `@ts-expect-error` lines are
// uses the types must refuse: were a type loosened, tsc would fail on the unused directive.
import { load, type GradCaptureOptions, type GradCaptureState, type Rules } from '../../pkg/gradcap-element.js';

const capture = document.querySelector('grad-capture');
if (capture) {
  capture.addEventListener('reviewed', (e) => {
    const status: 'approved' | 'rejected' = e.detail.status;
    console.log(status, e.detail.reason ?? '');
  });
  capture.addEventListener('uploaded', (e) => console.log(e.detail.id, e.detail.receipt));
  capture.addEventListener('verdict', (e) => console.log(e.detail.status, e.detail.sentAt));
  capture.addEventListener('error', (e) => console.warn(e.detail.code, e.detail.message));
  capture.addEventListener('check', (e) => console.log(e.detail.id, e.detail.zh));
  capture.addEventListener('click', (e) => console.log(e.clientX));
  console.log(capture.state, capture.stats()?.fps, capture.photo?.length);

  // @ts-expect-error: `reviewed` says what staff decided, it has no error code
  capture.addEventListener('reviewed', (e) => e.detail.code);
}

const rules: Rules = { maxYaw: 8, disabled: ['clothing.color'], requireBlink: true };
// @ts-expect-error: a misspelt rule is refused
const misspelt: Rules = { maxYow: 8 };
// @ts-expect-error: a check id that does not exist
const unknown: Rules = { disabled: ['clothing.colour'] };
// @ts-expect-error: the camera faces back or front
const sideways: GradCaptureOptions = { facing: 'left' };

const options: GradCaptureOptions = {
  lang: 'en',
  facing: 'front',
  steps: 'code,portrait,upload',
  rules,
  endpoint: { base: '/api', headers: { Authorization: 'Bearer token' } },
  backoff: { attempts: 3 },
  getHeaders: async () => ({ 'X-Request': '1' }),
};
const { GradCapture } = await load();
const plain = new GradCapture(document.createElement('div'), options);
plain.connect();
plain.setOption('max-fps', '10');
const state: GradCaptureState = plain.state;
const fps: number | undefined = plain.stats()?.fps;
// @ts-expect-error: the plain class takes the element's options, typed
new GradCapture(document.createElement('div'), { facing: 'left' });
// @ts-expect-error: the state is one of the documented ones
const sleeping: GradCaptureState = 'sleeping';
// @ts-expect-error: a state is not any string
if (capture?.state === 'scanning') console.log('never');
console.log(misspelt, unknown, sideways, state, fps, sleeping);
