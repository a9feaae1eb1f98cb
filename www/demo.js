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

for (const name of ['ready', 'code', 'session', 'check', 'capture', 'upload-progress', 'uploaded', 'error']) {
  capture.addEventListener(name, (e) => note(`${name} ${JSON.stringify(e.detail ?? {})}`));
}

const params = new URLSearchParams(location.search);
// ?steps=portrait skips the capture code; ?steps=code,session,portrait adds the session.
if (params.get('steps')) capture.setAttribute('steps', params.get('steps'));
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
