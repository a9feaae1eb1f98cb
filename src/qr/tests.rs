use super::*;
use crate::Frame;
use rxing::{BarcodeFormat, EncodeHintValue, EncodeHints, Writer};

/// Draws `text` as a QR code: modules of `module` px, `margin` modules of quiet zone, placed at
/// (`x`, `y`) in a `w`×`h` frame of `background`; dark modules `ink`.
struct Drawing<'a> {
    text: &'a str,
    module: u32,
    margin: u32,
    at: (u32, u32),
    size: (u32, u32),
    ink: u8,
    background: u8,
}

impl Drawing<'_> {
    fn new(text: &str) -> Drawing<'_> {
        Drawing { text, module: 4, margin: 4, at: (10, 10), size: (320, 240), ink: 20, background: 235 }
    }

    fn frame(&self) -> Frame {
        let hints = EncodeHints::default().with(EncodeHintValue::Margin(self.margin.to_string()));
        let bits = rxing::qrcode::QRCodeWriter
            .encode_with_hints(self.text, &BarcodeFormat::QR_CODE, 0, 0, &hints)
            .unwrap();
        let (w, h) = self.size;
        let mut data = vec![self.background; (w * h * 4) as usize];
        for my in 0..bits.getHeight() {
            for mx in 0..bits.getWidth() {
                let v = if bits.get(mx, my) { self.ink } else { self.background };
                for py in 0..self.module {
                    for px in 0..self.module {
                        let (x, y) = (self.at.0 + mx * self.module + px, self.at.1 + my * self.module + py);
                        if x < w && y < h {
                            let i = ((y * w + x) * 4) as usize;
                            data[i..i + 3].fill(v);
                        }
                    }
                }
            }
        }
        for alpha in data.iter_mut().skip(3).step_by(4) {
            *alpha = 255;
        }
        Frame::from_rgba(data, w, h).unwrap()
    }
}

const CODE: &str = "CHSI-2026-ABCDEF123456";

#[test]
fn reads_a_plain_code_with_its_corners() {
    let frame = Drawing::new(CODE).frame();
    let codes = decode(&frame.view());
    assert_eq!(codes.len(), 1);
    assert_eq!(codes[0].text, CODE);
    // The code's modules start 4 modules (16 px) in from where it was drawn.
    let (x0, y0, x1, y1) = codes[0].bounds();
    assert!((x0 - 26.0).abs() < 3.0 && (y0 - 26.0).abs() < 3.0, "{:?}", codes[0].corners);
    assert!(x1 > x0 + 80.0 && y1 > y0 + 80.0);
}

#[test]
fn reads_a_code_that_fills_the_frame() {
    // A phone screen held close: modules of 14 px, the code edge to edge in a 480×480 frame.
    let d = Drawing { module: 14, margin: 1, at: (0, 0), size: (480, 480), ..Drawing::new(CODE) };
    let codes = decode(&d.frame().view());
    assert_eq!(codes.first().map(|c| c.text.as_str()), Some(CODE));
}

#[test]
fn reads_light_on_dark_and_tight_crops() {
    let inverted = Drawing { ink: 235, background: 20, ..Drawing::new(CODE) };
    assert_eq!(decode(&inverted.frame().view()).first().map(|c| c.text.clone()), Some(CODE.into()));
    // No quiet zone at all: the code is cropped to its edge, as in a tight screenshot.
    let tight = Drawing { margin: 0, at: (0, 0), size: (100, 100), module: 4, ..Drawing::new(CODE) };
    assert_eq!(decode(&tight.frame().view()).first().map(|c| c.text.clone()), Some(CODE.into()));
}

#[test]
fn reads_a_small_code_in_a_large_screenshot() {
    let d = Drawing { module: 3, at: (700, 1500), size: (1080, 2400), ..Drawing::new(CODE) };
    let codes = decode(&d.frame().view());
    assert_eq!(codes.first().map(|c| c.text.as_str()), Some(CODE));
    assert!(codes[0].bounds().1 > 1500.0, "corners are in the screenshot's pixels");
}

#[test]
fn blank_and_noisy_frames_have_no_code() {
    assert!(decode(&Frame::filled(200, 100, [128, 128, 128, 255]).view()).is_empty());
    let mut seed = 12345u32;
    let noise: Vec<u8> = (0..160 * 120 * 4)
        .map(|_| {
            seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
            (seed >> 16) as u8
        })
        .collect();
    assert!(decode(&FrameView::rgba(&noise, 160, 120).unwrap()).is_empty());
}

#[test]
fn the_scanner_looks_where_the_code_was_first() {
    let mut scanner = Scanner::default();
    let d = Drawing { at: (180, 90), size: (640, 480), ..Drawing::new(CODE) };
    let frame = d.frame();
    assert_eq!(scanner.scan(&frame.view()).len(), 1);
    let seen = scanner.last_seen().unwrap();
    assert!(seen.0 > 180.0 && seen.1 > 90.0);
    // The next frame: the same code moved a little is found in the remembered region.
    let moved = Drawing { at: (190, 96), ..d }.frame();
    let codes = scanner.scan(&moved.view());
    assert_eq!(codes.first().map(|c| c.text.as_str()), Some(CODE));
    assert!(codes[0].bounds().0 > 190.0, "corners map back to the full frame");
    // A frame without the code forgets the region.
    assert!(scanner.scan(&Frame::filled(640, 480, [200, 200, 200, 255]).view()).is_empty());
    assert!(scanner.last_seen().is_none());
}

#[test]
fn the_scanner_takes_its_passes_in_turn() {
    // A light-on-dark code needs the inverted pass: within one round of passes it is read.
    let inverted = Drawing { ink: 235, background: 20, ..Drawing::new(CODE) }.frame();
    let mut scanner = Scanner::default();
    let reads: Vec<bool> =
        (0..Pass::LIVE.len()).map(|_| !scanner.scan(&inverted.view()).is_empty()).collect();
    assert_eq!(reads.iter().filter(|&&r| r).count(), 1, "only the inverted pass reads it: {reads:?}");
}

#[test]
fn huge_images_are_decoded_within_the_memory_bound() {
    // 8200 px tall: shrunk by 3 before decoding; the code's modules (9 px) stay 3 px.
    let d = Drawing { module: 9, at: (300, 6000), size: (1200, 8200), ..Drawing::new(CODE) };
    let codes = decode(&d.frame().view());
    assert_eq!(codes.first().map(|c| c.text.as_str()), Some(CODE));
    assert!(codes[0].bounds().1 > 6000.0, "corners in the original image's pixels");
}

#[test]
fn validation_takes_any_text_or_a_whole_pattern() {
    assert!(Validation::default().accepts("x"));
    let v = Validation::pattern("[A-Z0-9]{6,32}").unwrap();
    assert!(v.accepts("ABC123") && !v.accepts("abc123") && !v.accepts("ABC"));
    assert!(!v.accepts("ABC123 and more"), "the whole text must match");
}

/// `frame` bowed like a sheet on a curved surface: rows further from the middle are stretched
/// sideways by up to `k`, and the whole is blurred a little, as a camera would see it.
fn bowed(frame: &Frame, k: f32) -> Frame {
    let v = frame.view();
    let (w, h) = (v.width(), v.height());
    let (cx, cy) = (w as f32 / 2.0, h as f32 / 2.0);
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        let t = (y as f32 - cy) / cy;
        for x in 0..w {
            let sx = cx + (x as f32 - cx) / (1.0 + k * t * t);
            let sy = y as f32 + k * 6.0 * ((x as f32 - cx) / cx).powi(2) * cy / 10.0;
            let (sx, sy) = (sx.clamp(0.0, w as f32 - 1.0) as u32, sy.clamp(0.0, h as f32 - 1.0) as u32);
            data.extend_from_slice(&v.pixel(sx, sy));
        }
    }
    Frame::from_rgba(data, w, h).unwrap()
}

#[test]
fn bent_codes_are_read_by_resampling_the_grid() {
    let flat = Drawing {
        module: 6,
        at: (30, 20),
        size: (300, 300),
        ..Drawing::new("https://gradcap.example/c/0123456789")
    }
    .frame();
    let mut reads = Vec::new();
    for k in [0.10, 0.12, 0.14] {
        let bent = bowed(&flat, k);
        let luma = Luma::from_frame(&bent.view());
        let plain: Vec<Pass> = Pass::ALL.iter().copied().filter(|p| p.resample == Resample::Off).collect();
        reads.push((k, !decode_luma(&luma, &plain).is_empty(), !decode(&bent.view()).is_empty()));
    }
    assert!(reads.iter().all(|&(_, plain, all)| all || !plain), "resampling never loses a read");
    assert!(reads.iter().any(|&(_, plain, all)| all && !plain), "some bend only resampling reads: {reads:?}");
}

/// Paints a square of `grey` with corners (`x0`, `y0`)–(`x1`, `y1`) over `frame`.
fn painted(frame: &Frame, (x0, y0, x1, y1): (u32, u32, u32, u32), grey: u8) -> Frame {
    let v = frame.view();
    let (w, h) = (v.width(), v.height());
    let mut data: Vec<u8> = (0..h).flat_map(|y| v.row(y).to_vec()).collect();
    for y in y0..y1.min(h) {
        for x in x0..x1.min(w) {
            let i = ((y * w + x) * 4) as usize;
            data[i..i + 3].fill(grey);
        }
    }
    Frame::from_rgba(data, w, h).unwrap()
}

#[test]
fn a_code_with_a_finder_covered_is_read_from_the_other_two() {
    // Modules of 4 px from (26, 26): the bottom-left finder is modules 0–6 down the left, from
    // module (n − 7); a grey thumb over it and its surroundings.
    let d = Drawing::new(CODE);
    let frame = d.frame();
    let side = decode(&frame.view())[0].side();
    let n = (side / 4.0).round() as u32;
    let finder = (26 - 4, 26 + (n - 8) * 4, 26 + 8 * 4, 26 + (n + 1) * 4);
    let covered = painted(&frame, finder, 150);
    assert_eq!(decode(&covered.view()).first().map(|c| c.text.clone()), Some(CODE.into()));
}
