//! JPEG for the standard photo: 24-bit colour, the dpi in the JFIF header, and the quality
//! searched so that the file lands within the standard's size (CHSI's 20–40 KB at quality 60 or
//! better; [`super::standard::Standard::encode`]).

use crate::{Error, ErrorKind, FrameView};
use image::codecs::jpeg::{JpegEncoder, PixelDensity};

/// The resolution [`encode`] writes in the JFIF header (CHSI's).
pub const DPI: u16 = 300;

/// A JPEG file and the quality it was written at.
#[derive(Debug, Clone, PartialEq)]
pub struct Jpeg {
    /// The file.
    pub bytes: Vec<u8>,
    /// Its quality, 1–100.
    pub quality: u8,
}

/// Encodes `frame` (RGBA; alpha dropped) at `quality`, with a 300 dpi JFIF header.
pub fn encode(frame: &FrameView<'_>, quality: u8) -> Result<Jpeg, Error> {
    encode_at(frame, quality, DPI)
}

/// Encodes `frame` at `quality` with `dpi` in the JFIF header.
pub fn encode_at(frame: &FrameView<'_>, quality: u8, dpi: u16) -> Result<Jpeg, Error> {
    let (w, h) = (frame.width(), frame.height());
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        for p in frame.row(y).chunks_exact(4) {
            rgb.extend_from_slice(&p[..3]);
        }
    }
    let mut bytes = Vec::new();
    let mut encoder = JpegEncoder::new_with_quality(&mut bytes, quality);
    encoder.set_pixel_density(PixelDensity::dpi(dpi));
    encoder
        .encode(&rgb, w, h, image::ExtendedColorType::Rgb8)
        .map_err(|e| Error::new(ErrorKind::ImageEncode, e.to_string()))?;
    Ok(Jpeg { bytes, quality })
}

/// The best quality (at least `min_quality`) whose file is at most `max` bytes, with `dpi` in the
/// header. A picture so plain that even quality 100 is under the standard's smallest size is
/// returned at 100, and one so busy that `min_quality` is over `max` at `min_quality`; the caller
/// sees the size.
pub fn encode_within(frame: &FrameView<'_>, min_quality: u8, max: usize, dpi: u16) -> Result<Jpeg, Error> {
    let encode = |quality| encode_at(frame, quality, dpi);
    let lowest = encode(min_quality)?;
    if lowest.bytes.len() > max {
        return Ok(lowest);
    }
    // Binary search over quality for the last one that fits.
    let (mut fits, mut over) = (lowest, 101u8);
    while over - fits.quality > 1 {
        let mid = fits.quality + (over - fits.quality) / 2;
        let jpeg = encode(mid)?;
        if jpeg.bytes.len() <= max {
            fits = jpeg;
        } else {
            over = mid;
        }
    }
    Ok(fits)
}

/// The density a JFIF header declares: `(units, x, y)`, units 1 meaning dots per inch.
pub fn jfif_density(bytes: &[u8]) -> Option<(u8, u16, u16)> {
    let app0 = bytes.windows(5).position(|w| w == b"JFIF\0")?;
    let d = bytes.get(app0 + 7..app0 + 12)?;
    Some((d[0], u16::from_be_bytes([d[1], d[2]]), u16::from_be_bytes([d[3], d[4]])))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Frame;

    fn noise(w: u32, h: u32) -> Frame {
        let mut seed = 1u32;
        let data = (0..w * h * 4)
            .map(|i| {
                seed = seed.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
                if i % 4 == 3 {
                    255
                } else {
                    ((seed >> 24) as u8) / 4 + ((i / 4 % w) as u8 / 2)
                }
            })
            .collect();
        Frame::from_rgba(data, w, h).unwrap()
    }

    #[test]
    fn the_header_says_300_dpi() {
        let jpeg = encode(&Frame::filled(16, 16, [10, 200, 30, 255]).view(), 80).unwrap();
        assert_eq!(jfif_density(&jpeg.bytes), Some((1, 300, 300)));
        assert_eq!(&jpeg.bytes[..2], [0xff, 0xd8]);
    }

    #[test]
    fn the_search_picks_the_best_quality_that_fits() {
        let frame = noise(480, 640);
        let jpeg = encode_within(&frame.view(), 60, 40 * 1024, 300).unwrap();
        assert!(jpeg.quality >= 60);
        assert!(jpeg.bytes.len() <= 40 * 1024 || jpeg.quality == 60);
        if jpeg.quality < 100 {
            assert!(encode(&frame.view(), jpeg.quality + 1).unwrap().bytes.len() > 40 * 1024);
        }
        let at_72 = encode_within(&frame.view(), 60, 40 * 1024, 72).unwrap();
        assert_eq!(jfif_density(&at_72.bytes), Some((1, 72, 72)));
    }
}
