"""WeChat's QR decoder (OpenCV's wechat_qrcode, from PyPI's opencv-contrib-python-headless) on a QR
corpus laid out as bench/qr.mjs reads it (SET/NAME.png|jpg|webp beside SET/NAME.txt): writes
{"detector": ..., "results": {"SET/FILE": {"texts": [...], "ms": ...}}} as JSON for qr.mjs to
print beside the other decoders. Its CNN detector and super-resolution models are not on a package
registry; with GRADCAP_WECHAT_MODELS naming a folder holding detect.prototxt, detect.caffemodel,
sr.prototxt and sr.caffemodel they are used, otherwise the decoder runs with OpenCV's classic
detector and says so.

Usage: python3 bench/wechat_qr.py CORPUS OUT.json
"""

import json
import os
import sys
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, '..', 'target', 'tools', 'opencv'))
import cv2  # noqa: E402


def decoder():
    models = os.environ.get('GRADCAP_WECHAT_MODELS')
    names = ['detect.prototxt', 'detect.caffemodel', 'sr.prototxt', 'sr.caffemodel']
    if models and all(os.path.exists(os.path.join(models, n)) for n in names):
        return cv2.wechat_qrcode_WeChatQRCode(*(os.path.join(models, n) for n in names)), 'CNN'
    return cv2.wechat_qrcode_WeChatQRCode(), 'classic'


def timed(decode, image):
    """Decodes `image` repeatedly for 20 ms (at most 50 runs); the texts and the mean time. A code
    whose bytes are not UTF-8 (OpenCV's binding cannot hand them over) counts as no text."""
    runs, started = 0, time.perf_counter()
    while True:
        try:
            texts, _ = decode.detectAndDecode(image)
        except UnicodeDecodeError:
            texts = []
        runs += 1
        if time.perf_counter() - started >= 0.02 or runs >= 50:
            break
    return list(texts), (time.perf_counter() - started) * 1000 / runs


def main():
    corpus, out = sys.argv[1], sys.argv[2]
    decode, detector = decoder()
    cv2.setNumThreads(1)
    results = {}
    for set_name in sorted(os.listdir(corpus)):
        folder = os.path.join(corpus, set_name)
        for name in sorted(os.listdir(folder)):
            stem, ext = os.path.splitext(name)
            if ext not in ('.png', '.jpg', '.webp') or not os.path.exists(os.path.join(folder, stem + '.txt')):
                continue
            image = cv2.imread(os.path.join(folder, name), cv2.IMREAD_COLOR)
            texts, ms = timed(decode, image) if image is not None else ([], 0.0)
            results[f'{set_name}/{name}'] = {'texts': texts, 'ms': ms}
    with open(out, 'w') as f:
        json.dump({'detector': detector, 'opencv': cv2.__version__, 'results': results}, f)
    print(f'wechat_qrcode ({detector} detector, OpenCV {cv2.__version__}): {len(results)} images -> {out}')


main()
