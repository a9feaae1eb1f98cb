// The demo page: a <grad-capture> with switches for the camera, the language and debug output,
// and a log of the component's events.
import '/pkg/gradcap-element.js';

const capture = document.getElementById('capture');
const log = document.getElementById('log');
const stats = document.getElementById('stats');

function note(line) {
  const time = new Date().toLocaleTimeString();
  log.textContent = `${time} ${line}\n${log.textContent}`.slice(0, 4000);
}

for (const name of ['ready', 'code', 'session', 'check', 'capture', 'upload-progress', 'uploaded', 'reviewed', 'verdict', 'error']) {
  capture.addEventListener(name, (e) => note(`${name} ${JSON.stringify(e.detail ?? {})}`));
}

const params = new URLSearchParams(location.search);
// The demo sends confirmed photos to the reference backend that serves it (`/api`).
// ?steps=portrait skips the capture code; ?steps=code,session,portrait,upload adds the session.
capture.setAttribute('steps', params.get('steps') ?? 'code,portrait,upload');
// ?backoff={"baseMs":50} retries faster (the end-to-end tests).
if (params.get('backoff')) capture.setAttribute('backoff', params.get('backoff'));
// ?rules={"requireBlink":true} asks for a natural blink before the shutter turns on;
// ?rules={"requireDepth":true} for the phone to come closer and go back (liveness.depth).
if (params.get('rules')) capture.setAttribute('rules', params.get('rules'));

// A review result: shown as a notification where the student allowed them, and in the page.
capture.addEventListener('uploaded', () => {
  if (window.Notification && Notification.permission === 'default') Notification.requestPermission().catch(() => {});
});
capture.addEventListener('reviewed', (e) => {
  const { status, reason } = e.detail;
  const text = status === 'approved' ? '你的毕业生照片已审核通过' : `你的毕业生照片未通过审核：${reason ?? ''}`;
  document.getElementById('notice').textContent = text;
  if (window.Notification && Notification.permission === 'granted') new Notification('学历图像采集', { body: text });
});
const toggles = {
  front: (on) => capture.setAttribute('facing', on ? 'front' : 'back'),
  english: (on) => capture.setAttribute('lang', on ? 'en' : 'zh-CN'),
  debug: (on) => (on ? capture.setAttribute('debug', '') : capture.removeAttribute('debug')),
};
for (const [id, apply] of Object.entries(toggles)) {
  const box = document.getElementById(id);
  box.checked = params.has(id);
  apply(box.checked);
  box.addEventListener('change', () => apply(box.checked));
}

// The frame statistics, for the debug switch and for the end-to-end test.
setInterval(() => {
  const s = capture.stats();
  if (s) stats.value = JSON.stringify({ ...s, state: capture.state, cameraActive: capture.cameraActive });
}, 250);
