//! The standard the photo is made to, as one value: its size, background colour, file-size range,
//! lowest JPEG quality, dpi and head geometry. CHSI's (docs/standard.md §3) is the default; an
//! integrator gives another as JSON (the element's `standard` option, `gradcap photo --standard`,
//! `gradcap serve --standard`), and the live checks, the photo, its self-check, its file and the
//! backend's re-check all follow it.
//!
//! The photo is made and checked at a working size of 480 px wide, where the face is placed as
//! CHSI's layout places it (the crown 70 px from the top, the eyes 260 px down, centred); the
//! file is then scaled to the standard's size. So a standard keeps CHSI's 3:4 shape, and its crown
//! and eye-line ranges hold that placement: [`Standard::check`] refuses one that does not.
//!
//! ```
//! use gradcap::photo::standard::Standard;
//! let white: Standard = serde_json::from_str(r##"{"background": "#ffffff"}"##).unwrap();
//! assert_eq!(white.background, [255, 255, 255]);
//! assert_eq!(white.size, Standard::default().size);
//! let odd: Standard = serde_json::from_str(r#"{"size": [500, 500]}"#).unwrap();
//! assert!(odd.check().is_err());
//! ```

use super::jpeg::{self, Jpeg};
use super::Geometry;
use crate::face::detect::bilinear;
use crate::guide::{PHOTO_CROWN, PHOTO_EYES, PHOTO_SIZE};
use crate::{Frame, FrameView};

/// The width the photo is made and checked at, px (its height is 4/3 of it).
pub const WORKING_WIDTH: u32 = PHOTO_SIZE.0;

/// A photo standard. Missing fields in JSON keep CHSI's values.
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default, rename_all = "camelCase", deny_unknown_fields)]
pub struct Standard {
    /// Width × height, px (CHSI: 480×640). 3:4, 240–2400 px wide.
    pub size: [u32; 2],
    /// The background colour, RGB (CHSI: light blue, 100 197 255); JSON takes `[r, g, b]` or
    /// `"#rrggbb"`.
    #[serde(deserialize_with = "colour")]
    pub background: [u8; 3],
    /// The file's size range, bytes (CHSI: 20–40 KB).
    pub file_size: [usize; 2],
    /// The lowest JPEG quality (CHSI: 60).
    pub min_quality: u8,
    /// The resolution written in the file's header, dpi (CHSI: 300).
    pub dpi: u16,
    /// The crown's distance from the top, px of this standard's size (CHSI: 50–110).
    pub crown: [f64; 2],
    /// The eye line's distance from the top, px (CHSI: 200–300).
    pub eye_line: [f64; 2],
    /// The face's width, px (CHSI: 180–300).
    pub face_width: [f64; 2],
    /// The largest distance of the eyes' middle from the vertical centre line, as a share of
    /// the width (CHSI: 5 %).
    pub max_off_centre: f64,
    /// The largest angle of the eye line, degrees (CHSI: level, 1°).
    pub max_tilt: f64,
}

impl Default for Standard {
    fn default() -> Self {
        Standard {
            size: [PHOTO_SIZE.0, PHOTO_SIZE.1],
            background: super::BACKGROUND,
            file_size: [20 * 1024, 40 * 1024],
            min_quality: 60,
            dpi: 300,
            crown: [50.0, 110.0],
            eye_line: [200.0, 300.0],
            face_width: [180.0, 300.0],
            max_off_centre: 0.05,
            max_tilt: 1.0,
        }
    }
}

/// The standard's head geometry at the working size (480 px wide).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WorkingGeometry {
    /// The crown's range, px from the top.
    pub crown: [f64; 2],
    /// The eye line's range, px from the top.
    pub eye_line: [f64; 2],
    /// The face width's range, px.
    pub face_width: [f64; 2],
}

impl Standard {
    /// Why this standard cannot be made, if it cannot: a size that is not 3:4 or out of
    /// 240–2400 px wide, a range whose ends are reversed, a file-size range below 1 KB, a
    /// quality outside 1–100, or crown and eye-line ranges that leave out where the face is
    /// placed (the crown at 70/640 and the eyes at 260/640 of the height).
    pub fn check(&self) -> Result<(), String> {
        let [w, h] = self.size;
        if !(240..=2400).contains(&w) || w * 4 != h * 3 {
            return Err(format!("size {w}×{h}: a standard photo is 3:4 and 240–2400 px wide (e.g. 480×640)"));
        }
        let ranges = [("crown", self.crown), ("eyeLine", self.eye_line), ("faceWidth", self.face_width)];
        for (name, [low, high]) in ranges {
            if !(low.is_finite() && high.is_finite() && 0.0 <= low && low < high) {
                return Err(format!(
                    "{name} [{low}, {high}]: the range must run from a lower to a higher px"
                ));
            }
        }
        let [small, large] = self.file_size;
        if small > large || large < 1024 {
            return Err(format!(
                "fileSize [{small}, {large}]: the range must run upwards and allow at least 1 KB"
            ));
        }
        if !(1..=100).contains(&self.min_quality) || self.dpi == 0 {
            return Err(format!(
                "minQuality {} or dpi {}: quality is 1–100 and dpi above 0",
                self.min_quality, self.dpi
            ));
        }
        if !(self.max_off_centre > 0.0 && self.max_tilt > 0.0) {
            return Err("maxOffCentre and maxTilt must be above 0".into());
        }
        let g = self.working();
        let placed = [("crown", g.crown, PHOTO_CROWN), ("eyeLine", g.eye_line, PHOTO_EYES[1])];
        for (name, [low, high], at) in placed {
            if !(low..=high).contains(&at) {
                let at = at / self.to_working();
                return Err(format!("{name}: the face is placed with it at {at:.0} px, outside the range"));
            }
        }
        Ok(())
    }

    /// Working px per px of this standard.
    pub fn to_working(&self) -> f64 {
        f64::from(WORKING_WIDTH) / f64::from(self.size[0].max(1))
    }

    /// The head geometry at the working size.
    pub fn working(&self) -> WorkingGeometry {
        let s = self.to_working();
        let scaled = |[a, b]: [f64; 2]| [a * s, b * s];
        WorkingGeometry {
            crown: scaled(self.crown),
            eye_line: scaled(self.eye_line),
            face_width: scaled(self.face_width),
        }
    }

    /// Whether `geometry`, measured on a working-size photo, meets this standard.
    pub fn meets(&self, geometry: &Geometry) -> bool {
        let g = self.working();
        let within = |v: f64, [low, high]: [f64; 2]| (low..=high).contains(&v);
        let width = f64::from(WORKING_WIDTH);
        within(geometry.crown, g.crown)
            && within(geometry.eyes, g.eye_line)
            && within(geometry.face_width, g.face_width)
            && (geometry.centre - width / 2.0).abs() <= self.max_off_centre * width
            && geometry.roll.abs() <= self.max_tilt
    }

    /// The working-size photo of `made` on this standard's background: as made for CHSI's blue,
    /// composed again from the cut and its alpha for another colour.
    pub fn photo(&self, made: &super::StandardPhoto) -> Frame {
        if self.background == super::BACKGROUND {
            return made.photo.clone();
        }
        super::compose_on(&made.cut.view(), &made.mask, self.background)
    }

    /// The working-size photo scaled to this standard's size (as it is at CHSI's).
    pub fn sized(&self, working: &FrameView<'_>) -> Frame {
        resize(working, self.size[0], self.size[1])
    }

    /// A received photo of this standard's size scaled to the working size, where it is checked.
    pub fn at_working_size(&self, photo: &FrameView<'_>) -> Frame {
        resize(photo, PHOTO_SIZE.0, PHOTO_SIZE.1)
    }

    /// The file of a working-size photo: scaled to this standard's size ([`Standard::sized`]),
    /// then [`Standard::encode_sized`].
    pub fn encode(&self, working: &FrameView<'_>) -> Result<Jpeg, crate::Error> {
        self.encode_sized(&self.sized(working).view())
    }

    /// The file of a photo already at this standard's size: the best quality (at least
    /// [`Standard::min_quality`]) whose file is at most the largest size, with the dpi in its
    /// header ([`jpeg::encode_within`]).
    pub fn encode_sized(&self, sized: &FrameView<'_>) -> Result<Jpeg, crate::Error> {
        jpeg::encode_within(sized, self.min_quality, self.file_size[1], self.dpi)
    }

    /// Whether a file of `bytes` bytes is within the size range.
    pub fn size_ok(&self, bytes: usize) -> bool {
        (self.file_size[0]..=self.file_size[1]).contains(&bytes)
    }
}

/// `[r, g, b]` or `"#rrggbb"`.
fn colour<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<[u8; 3], D::Error> {
    struct Colour;
    impl<'de> serde::de::Visitor<'de> for Colour {
        type Value = [u8; 3];

        fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
            f.write_str("\"#rrggbb\" or [r, g, b]")
        }

        fn visit_str<E: serde::de::Error>(self, hex: &str) -> Result<[u8; 3], E> {
            let digits = hex.strip_prefix('#').unwrap_or(hex);
            let byte = |i: usize| digits.get(i..i + 2).and_then(|d| u8::from_str_radix(d, 16).ok());
            match (digits.len(), byte(0), byte(2), byte(4)) {
                (6, Some(r), Some(g), Some(b)) => Ok([r, g, b]),
                _ => Err(E::invalid_value(serde::de::Unexpected::Str(hex), &self)),
            }
        }

        fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<[u8; 3], A::Error> {
            let mut rgb = [0u8; 3];
            for (i, c) in rgb.iter_mut().enumerate() {
                *c = seq.next_element()?.ok_or_else(|| serde::de::Error::invalid_length(i, &self))?;
            }
            if seq.next_element::<u8>()?.is_some() {
                return Err(serde::de::Error::invalid_length(4, &self));
            }
            Ok(rgb)
        }
    }
    deserializer.deserialize_any(Colour)
}

/// `frame` (3:4, as the working photo and every standard are) scaled to `width`×`height`:
/// averaged down by [`crate::frame::downscale`] (which copies a frame already that size), or
/// enlarged bilinearly.
pub fn resize(frame: &FrameView<'_>, width: u32, height: u32) -> Frame {
    if width <= frame.width() {
        return crate::frame::downscale(frame, width.max(height));
    }
    let (sx, sy) = (frame.width() as f32 / width as f32, frame.height() as f32 / height as f32);
    let mut data = Vec::with_capacity((width * height * 4) as usize);
    for y in 0..height {
        for x in 0..width {
            let rgb = bilinear(frame, (x as f32 + 0.5) * sx - 0.5, (y as f32 + 0.5) * sy - 0.5);
            data.extend(rgb.map(|v| v.round().clamp(0.0, 255.0) as u8));
            data.push(255);
        }
    }
    Frame::from_rgba(data, width, height).expect("width×height RGBA")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chsi_is_the_default_and_passes_its_own_check() {
        let chsi = Standard::default();
        assert_eq!(chsi.check(), Ok(()));
        assert_eq!(chsi.working().crown, [50.0, 110.0]);
        let json = serde_json::to_string(&chsi).unwrap();
        assert_eq!(serde_json::from_str::<Standard>(&json).unwrap(), chsi);
    }

    #[test]
    fn a_standard_that_cannot_be_made_is_refused_with_its_reason() {
        let refused = |json: &str| serde_json::from_str::<Standard>(json).unwrap().check().unwrap_err();
        assert!(refused(r#"{"size": [413, 531]}"#).contains("3:4"));
        assert!(refused(r#"{"crown": [80, 110]}"#).contains("crown"), "the crown is placed at 70");
        assert!(refused(r#"{"eyeLine": [300, 200]}"#).contains("eyeLine"));
        assert!(refused(r#"{"fileSize": [40000, 20000]}"#).contains("fileSize"));
        assert!(serde_json::from_str::<Standard>(r##"{"background": "#12345"}"##).is_err());
        assert!(serde_json::from_str::<Standard>(r#"{"colour": [1, 2, 3]}"#).is_err());
        // Twice CHSI's size, its ranges doubled: the same placement, so it can be made.
        let double: Standard = serde_json::from_str(
            r#"{"size": [960, 1280], "crown": [100, 220], "eyeLine": [400, 600], "faceWidth": [360, 600]}"#,
        )
        .unwrap();
        assert_eq!(double.check(), Ok(()));
        assert_eq!(double.working().face_width, [180.0, 300.0]);
    }

    #[test]
    fn resizing_keeps_the_picture_and_does_not_alias() {
        // Stripes one pixel wide shrink to their mean grey, not to a beat pattern.
        let data: Vec<u8> = (0..480 * 640)
            .flat_map(|i| if i % 2 == 0 { [0, 0, 0, 255] } else { [255, 255, 255, 255] })
            .collect();
        let stripes = Frame::from_rgba(data, 480, 640).unwrap();
        let small = resize(&stripes.view(), 240, 320);
        assert!(small.as_bytes().chunks_exact(4).all(|p| (p[0] as i32 - 128).abs() <= 2), "mean grey");
        let flat = Frame::filled(480, 640, [10, 200, 30, 255]);
        let large = resize(&flat.view(), 720, 960);
        assert!(large.as_bytes().chunks_exact(4).all(|p| p == [10, 200, 30, 255]));
    }
}
