//! The frame loop's pace and what it reports: when the next frame is due under the rate cap, the
//! moving averages of the work a frame takes and of the rate, and the last frame's outcome, as
//! the component's `stats()` gives them to the page (its debug panel, the tests).

use crate::analysis::FrameStats;
use crate::checks::GateState;
use crate::face::Face;

/// The weight of the newest frame in the moving averages.
const NEWEST: f64 = 0.1;

/// How early a frame may come against the rate cap: display clocks tick a little unevenly.
const SLACK: f64 = 0.9;

/// The face in the last frame, as the page sees it.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct FaceSummary {
    /// The detector's score.
    pub score: f32,
    /// `[x, y, w, h]` in frame pixels.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
}

impl FaceSummary {
    /// The summary of `face`.
    pub fn of(face: &Face) -> FaceSummary {
        FaceSummary { score: face.score, bbox: face.bbox }
    }
}

/// What the last standard photo cost in the page, ms by stage, from the shutter.
#[derive(Debug, serde::Serialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct PhotoCost {
    /// Reading the full-resolution frame from the video.
    pub read_ms: f64,
    /// Making the photo: the cut, the face found again, the person found twice and refined.
    pub make_ms: f64,
    /// Composing it on the standard's background and size, and the JPEG.
    pub encode_ms: f64,
    /// The self-check: the face and the person found again on the photo, and its measures.
    pub check_ms: f64,
}

/// Timing and statistics of the frame loop.
#[derive(Debug, serde::Serialize, Default, Clone, Copy, PartialEq)]
#[serde(rename_all = "camelCase")]
pub struct LoopStats {
    /// Frames analysed since the component was created.
    pub frames: u64,
    /// The face in the last frame: `{score, box}` in frame pixels, or null.
    pub face: Option<FaceSummary>,
    /// Milliseconds the last frame's work took (read + analysis).
    pub frame_ms: f64,
    /// Moving average of `frame_ms`.
    pub frame_ms_avg: f64,
    /// Analysed frames per second (moving average).
    pub fps: f64,
    /// The last frame's statistics.
    pub last: Option<FrameStats>,
    /// The shutter gate after the last portrait frame.
    pub gate: Option<GateState>,
    /// What the student was last told: a check id, `gate.hold`, `gate.ready`, `frame.dark`, …
    pub guidance: Option<&'static str>,
    /// The last standard photo's cost by stage (null before the first).
    pub photo: Option<PhotoCost>,
    /// The rehearsal of the photo's making after the models loaded
    /// ([`crate::photo::rehearsal`]): ms of each step that ran, in order.
    pub rehearsal: Option<[f64; 5]>,
    /// When the last frame was analysed (the display's clock, ms); 0 before the first.
    #[serde(skip)]
    pub last_at: f64,
}

impl LoopStats {
    /// Whether a frame at `now` (ms) is due under a cap of `max_fps` analysed frames a second.
    ///
    /// ```
    /// let mut stats = gradcap::pace::LoopStats::default();
    /// assert!(stats.due(1000.0, 15.0), "the first frame is always due");
    /// stats.record(1000.0, 5.0);
    /// assert!(!stats.due(1030.0, 15.0) && stats.due(1062.0, 15.0));
    /// ```
    pub fn due(&self, now: f64, max_fps: f64) -> bool {
        self.last_at <= 0.0 || now - self.last_at >= SLACK * 1000.0 / max_fps
    }

    /// Counts a frame analysed at `now` whose work took `elapsed` ms.
    pub fn record(&mut self, now: f64, elapsed: f64) {
        let gap = if self.last_at > 0.0 { now - self.last_at } else { 0.0 };
        self.frames += 1;
        self.frame_ms = elapsed;
        self.frame_ms_avg = if self.frames == 1 { elapsed } else { average(self.frame_ms_avg, elapsed) };
        if gap > 0.0 {
            let rate = 1000.0 / gap;
            self.fps = if self.fps == 0.0 { rate } else { average(self.fps, rate) };
        }
        self.last_at = now;
    }
}

fn average(old: f64, new: f64) -> f64 {
    (1.0 - NEWEST) * old + NEWEST * new
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_averages_follow_the_frames_and_the_cap_holds_the_rate() {
        let mut stats = LoopStats::default();
        // A display at 60 Hz, the cap at 15 frames a second: every fourth tick is analysed.
        let (mut now, mut analysed) = (1000.0, 0);
        for _ in 0..240 {
            if stats.due(now, 15.0) {
                stats.record(now, 8.0);
                analysed += 1;
            }
            now += 1000.0 / 60.0;
        }
        assert_eq!((analysed, stats.frames), (60, 60), "4 s at 15 fps");
        assert!((stats.fps - 15.0).abs() < 0.01, "fps {}", stats.fps);
        assert_eq!((stats.frame_ms, stats.frame_ms_avg), (8.0, 8.0));
        // A slow frame moves the average a tenth of the way.
        stats.record(now, 18.0);
        assert!((stats.frame_ms_avg - 9.0).abs() < 1e-9, "{}", stats.frame_ms_avg);
    }

    #[test]
    fn the_first_frame_sets_the_averages() {
        let mut stats = LoopStats::default();
        stats.record(500.0, 12.0);
        assert_eq!((stats.frames, stats.frame_ms_avg, stats.fps, stats.last_at), (1, 12.0, 0.0, 500.0));
        stats.record(600.0, 12.0);
        assert_eq!(stats.fps, 10.0, "the first gap sets the rate");
    }
}
