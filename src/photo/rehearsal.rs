//! A rehearsal of the photo's making, on a drawn head, for engines that compile WebAssembly in
//! tiers. WebKit runs a function in its baseline tier until it has been used enough, and the code
//! that makes the photo (the segmentation model's operators, the person's outline, the edge
//! colours, the JPEG, the self-check's measures) runs nowhere else: the first photo took ~1.1 s
//! there, the next ones ~0.2 s. The shell runs these steps once, one at a time, while the student
//! frames the face, so that the shutter meets code already optimised. The result is thrown away.

use super::segment::{Mask, Segmenter};
use super::selfcheck::SelfCheck;
use super::standard::Standard;
use crate::face::FaceFinder;
use crate::guide::{PHOTO_EYES, PHOTO_SIZE};
use crate::Frame;

/// A 480×640 cut with a head on a wall (the model takes it for a person): enough for every step
/// to take its usual paths (a mask with an unsure band, colours on both sides of it).
pub fn cut() -> Frame {
    let (w, h) = PHOTO_SIZE;
    let mut rgba = Vec::with_capacity((w * h * 4) as usize);
    let mut noise = 0x2545_f491_u32;
    let [cx, eyes] = PHOTO_EYES;
    for y in 0..h {
        for x in 0..w {
            noise ^= noise << 13;
            noise ^= noise >> 17;
            noise ^= noise << 5;
            let grain = (noise >> 28) as f64 - 8.0;
            let (dx, fy) = (x as f64 - cx, y as f64);
            let inside = |ox: f64, oy: f64, rx: f64, ry: f64| {
                (((dx - ox) / rx).powi(2) + ((fy - oy) / ry).powi(2)).sqrt()
            };
            let face = inside(0.0, eyes + 25.0, 95.0, 125.0);
            let hair = inside(0.0, eyes - 10.0, 108.0, 150.0);
            let eye = inside(-40.0, eyes, 16.0, 8.0).min(inside(40.0, eyes, 16.0, 8.0));
            let neck = dx.abs() < 55.0 && fy > eyes + 100.0 && fy < 520.0;
            // Shoulders: a rounded slope from the neck down to the frame's sides.
            let shoulder_top = 470.0 + (dx.abs() - 50.0).max(0.0).powi(2) / 500.0;
            let colour: [f64; 3] = if eye < 1.0 {
                [40.0, 30.0, 30.0]
            } else if face < 1.0 && !(fy > eyes + 95.0 && fy < eyes + 105.0 && dx.abs() < 30.0) {
                let shade = 1.0 - 0.25 * face * face;
                [215.0 * shade, 170.0 * shade, 140.0 * shade]
            } else if face < 1.0 {
                [150.0, 70.0, 70.0] // the mouth
            } else if hair < 1.0 && fy < eyes + 60.0 {
                [35.0, 28.0, 25.0]
            } else if fy > shoulder_top {
                if dx.abs() < 40.0 - (fy - 500.0) * 0.1 {
                    [230.0, 230.0, 225.0]
                } else {
                    [70.0, 75.0, 92.0]
                }
            } else if neck {
                [195.0, 150.0, 122.0]
            } else {
                let light = 200.0 - fy * 0.08;
                [light, light * 0.95, light * 0.88]
            };
            rgba.extend(colour.map(|c| (c + grain).clamp(0.0, 255.0) as u8));
            rgba.push(255);
        }
    }
    Frame::from_rgba(rgba, w, h).expect("the drawn cut has its own size")
}

/// The steps, in order; each one is a fraction of the photo's cost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The segmentation of the cut.
    Segment,
    /// The person and only the person, at the cut's resolution.
    Person,
    /// The blue behind them, with the edge colours.
    Compose,
    /// The file at the standard's size and quality.
    Encode,
    /// The self-check of the photo: the face and the person found on it again, its measures.
    Check,
}

impl Step {
    /// Every step, in the order they run.
    pub const ALL: [Step; 5] = [Step::Segment, Step::Person, Step::Compose, Step::Encode, Step::Check];
}

/// What the rehearsal has made so far.
#[derive(Debug, Default)]
pub struct Rehearsal {
    cut: Option<Frame>,
    mask: Option<Mask>,
    photo: Option<Frame>,
}

impl Rehearsal {
    /// The photo composed so far (after [`Step::Compose`]).
    pub fn photo(&self) -> Option<&Frame> {
        self.photo.as_ref()
    }

    /// Runs `step` (the steps in [`Step::ALL`]'s order; a step whose input is missing does
    /// nothing).
    pub fn run(
        &mut self,
        step: Step,
        segmenter: &mut Segmenter,
        finder: &mut FaceFinder,
        standard: &Standard,
    ) -> Result<(), crate::Error> {
        let cut = self.cut.get_or_insert_with(cut);
        match step {
            Step::Segment => self.mask = Some(segmenter.mask(&cut.view())?),
            Step::Person => {
                if let Some(mask) = self.mask.take() {
                    self.mask = Some(super::person_alpha(&cut.view(), mask, segmenter)?);
                }
            }
            Step::Compose => {
                let background = standard.background;
                self.photo = self.mask.as_ref().map(|mask| super::compose_on(&cut.view(), mask, background));
            }
            Step::Encode => {
                if let Some(photo) = &self.photo {
                    standard.encode_sized(&standard.sized(&photo.view()).view())?;
                }
            }
            Step::Check => {
                if let Some(photo) = &self.photo {
                    SelfCheck::again(&photo.view(), finder, segmenter, standard)?;
                }
            }
        }
        Ok(())
    }
}
