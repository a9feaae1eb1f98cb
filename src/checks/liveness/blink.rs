//! The optional active cue of `liveness.blink`: a natural blink. A print or a still screen never
//! blinks; a student does, about every few seconds, and can be asked to.
//!
//! A blink is the eyes' openness falling below half of what it has been over the last two
//! seconds and coming back above four fifths of it within 0.7 s (a blink lasts 0.1–0.4 s; eyes
//! kept shut longer are not one).

use std::collections::VecDeque;

/// How far back the open-eye baseline reaches, ms.
const BASELINE_MS: f64 = 2000.0;
/// Below this share of the baseline the eyes count as closed.
const CLOSED: f32 = 0.5;
/// Above this share of the baseline they count as open again.
const OPEN: f32 = 0.8;
/// The longest closing that still counts as a blink, ms.
const LONGEST_MS: f64 = 700.0;
/// Frames of history needed before a baseline is trusted.
const MIN_FRAMES: usize = 4;

/// The eyes' openness over the last moments, and when they last blinked.
#[derive(Debug, Clone, Default)]
pub struct Blinks {
    history: VecDeque<(f64, f32)>,
    eyes: Eyes,
    last: Option<f64>,
}

/// Where the eyes are in a blink; each closed state keeps the open baseline it is judged by.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
enum Eyes {
    #[default]
    Open,
    /// Closed since `at` ms.
    Closing { at: f64, base: f32 },
    /// Closed too long for a blink: nothing counts until they are open again.
    Shut { base: f32 },
}

impl Blinks {
    /// Takes the openness of both eyes at `now_ms` (the mean of the two, as from
    /// [`Measures::eye_openness`](crate::face::measures::Measures)).
    pub fn update(&mut self, now_ms: f64, openness: f32) {
        while self.history.front().is_some_and(|(t, _)| now_ms - t > BASELINE_MS) {
            self.history.pop_front();
        }
        let baseline = self.baseline();
        self.history.push_back((now_ms, openness));
        self.eyes = match self.eyes {
            Eyes::Open => match baseline {
                Some(base) if openness < CLOSED * base => Eyes::Closing { at: now_ms, base },
                _ => Eyes::Open,
            },
            Eyes::Closing { base, .. } | Eyes::Shut { base } if openness > OPEN * base => {
                if matches!(self.eyes, Eyes::Closing { at, .. } if now_ms - at <= LONGEST_MS) {
                    self.last = Some(now_ms);
                }
                Eyes::Open
            }
            Eyes::Closing { at, base } if now_ms - at > LONGEST_MS => Eyes::Shut { base },
            closed => closed,
        };
    }

    /// The median openness of the last two seconds, once there are enough frames.
    fn baseline(&self) -> Option<f32> {
        if self.history.len() < MIN_FRAMES {
            return None;
        }
        let mut values: Vec<f32> = self.history.iter().map(|(_, v)| *v).collect();
        values.sort_by(f32::total_cmp);
        Some(values[values.len() / 2]).filter(|b| *b > 0.0)
    }

    /// When the last blink ended, ms.
    pub fn last(&self) -> Option<f64> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Openness at 30 fps from `pattern` (one value a frame); the time of the last blink.
    fn run(pattern: &[f32]) -> Option<f64> {
        let mut blinks = Blinks::default();
        for (i, &v) in pattern.iter().enumerate() {
            blinks.update(i as f64 * 33.3, v);
        }
        blinks.last()
    }

    #[test]
    fn a_blink_is_seen_and_open_or_shut_eyes_are_not_one() {
        let open = [0.3f32; 30];
        let blink: Vec<f32> = open.iter().copied().chain([0.2, 0.05, 0.04, 0.12, 0.28]).chain(open).collect();
        let seen = run(&blink).expect("a blink");
        assert!((seen - 34.0 * 33.3).abs() < 1.0, "{seen}");
        assert_eq!(run(&open), None, "open eyes");
        // Small flutters of the openness are not a blink.
        let flutter: Vec<f32> = (0..60).map(|i| 0.3 + 0.05 * ((i % 3) as f32 - 1.0)).collect();
        assert_eq!(run(&flutter), None, "flutter");
        // Eyes kept shut for a second, then opened: not a blink.
        let shut: Vec<f32> = open.iter().copied().chain([0.03; 30]).chain(open).collect();
        assert_eq!(run(&shut), None, "eyes shut for a second");
    }
}
