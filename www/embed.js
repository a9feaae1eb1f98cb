import '/pkg/gradcap-element.js';

const capture = document.querySelector('grad-capture');
capture.addEventListener('error', (e) => console.warn('gradcap error', e.detail.code));
capture.addEventListener('capture', () => console.log('photo confirmed'));
