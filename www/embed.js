import '/pkg/gradcap-element.js';

const capture = document.querySelector('grad-capture');
capture.addEventListener('error', (e) => console.warn('gradcap error', e.detail.code));
capture.addEventListener('capture', (e) => console.log('photo taken', e.detail.bytes, 'bytes'));
