//! The gate between the checks and the shutter: it opens only after every enabled check has
//! passed on a run of consecutive frames and a hold-still countdown has run out, and closes again
//! only after a run of failing frames (hysteresis, so the shutter does not flicker).

use super::{first_failure, Check, CheckId, Rules};

/// Where the gate stands.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
#[serde(tag = "state", rename_all = "camelCase")]
pub enum GateState {
    /// Something must be fixed (or the passing run is still short).
    Waiting,
    /// Everything passes: hold still while the countdown runs.
    Holding {
        /// Milliseconds left.
        #[serde(rename = "remainingMs")]
        remaining_ms: f64,
    },
    /// The shutter is enabled.
    Ready,
}

/// The gate's answer for one frame.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verdict {
    /// The state after this frame.
    pub state: GateState,
    /// The check to tell the student about: the first failing one of this frame.
    pub hint: Option<CheckId>,
    /// Auto-capture fired on this frame: take the photo now.
    pub capture: bool,
}

/// Turns judged frames into the shutter's state.
#[derive(Debug, Clone)]
pub struct Gate {
    frames_to_open: u32,
    frames_to_close: u32,
    hold_ms: f64,
    auto_capture: bool,
    min_watch_ms: f64,
    passing: u32,
    failing: u32,
    state: GateState,
    hold_since: f64,
}

impl Gate {
    /// A closed gate following `rules`' frame counts, countdown and auto-capture switch.
    pub fn new(rules: &Rules) -> Gate {
        Gate {
            frames_to_open: rules.frames_to_open.max(1),
            frames_to_close: rules.frames_to_close.max(1),
            hold_ms: rules.hold_ms.max(0.0),
            auto_capture: rules.auto_capture,
            min_watch_ms: rules.min_watch_ms.max(0.0),
            passing: 0,
            failing: 0,
            state: GateState::Waiting,
            hold_since: 0.0,
        }
    }

    /// The state now.
    pub fn state(&self) -> GateState {
        self.state
    }

    /// Closes the gate (after a capture, or when the camera restarts).
    pub fn reset(&mut self) {
        (self.passing, self.failing, self.state) = (0, 0, GateState::Waiting);
    }

    /// Takes one frame's checks, judged at `now_ms` (any monotonic clock).
    ///
    /// ```
    /// use gradcap::checks::{Check, CheckId, Gate, GateState, Rules};
    /// let rules = Rules { frames_to_open: 2, hold_ms: 100.0, ..Rules::default() };
    /// let mut gate = Gate::new(&rules);
    /// let good = [Check { id: CheckId::FacePresent, pass: true, score: 90, value: None }];
    /// assert_eq!(gate.update(&good, 0.0).state, GateState::Waiting);
    /// assert_eq!(gate.update(&good, 33.0).state, GateState::Holding { remaining_ms: 100.0 });
    /// assert_eq!(gate.update(&good, 140.0).state, GateState::Ready);
    /// ```
    pub fn update(&mut self, checks: &[Check], now_ms: f64) -> Verdict {
        self.update_watched(checks, now_ms, f64::INFINITY)
    }

    /// [`Gate::update`] for video, where the face has been watched for `watched_ms` (the
    /// recapture evidence gathered over that run): the countdown lasts until the face has been
    /// watched for the rules' `min_watch_ms` too, so the shutter never opens before the motion
    /// and reflection cues have had their frames.
    ///
    /// ```
    /// use gradcap::checks::{Check, CheckId, Gate, GateState, Rules};
    /// let rules = Rules { frames_to_open: 1, hold_ms: 100.0, min_watch_ms: 500.0, ..Rules::default() };
    /// let mut gate = Gate::new(&rules);
    /// let good = [Check { id: CheckId::FacePresent, pass: true, score: 90, value: None }];
    /// assert_eq!(gate.update_watched(&good, 0.0, 0.0).state, GateState::Holding { remaining_ms: 500.0 });
    /// assert_eq!(gate.update_watched(&good, 200.0, 200.0).state, GateState::Holding { remaining_ms: 300.0 });
    /// assert_eq!(gate.update_watched(&good, 500.0, 500.0).state, GateState::Ready);
    /// ```
    pub fn update_watched(&mut self, checks: &[Check], now_ms: f64, watched_ms: f64) -> Verdict {
        let failure = first_failure(checks).map(|c| c.id);
        let pass = failure.is_none() && !checks.is_empty();
        if pass {
            (self.passing, self.failing) = (self.passing + 1, 0);
        } else {
            (self.passing, self.failing) = (0, self.failing + 1);
        }
        let was_ready = self.state == GateState::Ready;
        self.state = match self.state {
            _ if self.failing >= self.frames_to_close => GateState::Waiting,
            GateState::Waiting if self.passing >= self.frames_to_open => {
                self.hold_since = now_ms;
                self.countdown(now_ms, watched_ms)
            }
            GateState::Waiting => GateState::Waiting,
            GateState::Holding { .. } => self.countdown(now_ms, watched_ms),
            GateState::Ready => GateState::Ready,
        };
        let capture = self.auto_capture && !was_ready && self.state == GateState::Ready;
        Verdict { state: self.state, hint: failure, capture }
    }

    fn countdown(&self, now_ms: f64, watched_ms: f64) -> GateState {
        let remaining_ms = (self.hold_ms - (now_ms - self.hold_since)).max(self.min_watch_ms - watched_ms);
        if remaining_ms <= 0.0 {
            GateState::Ready
        } else {
            GateState::Holding { remaining_ms }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(pass: bool) -> Vec<Check> {
        vec![
            Check { id: CheckId::FacePresent, pass: true, score: 90, value: None },
            Check { id: CheckId::LightEven, pass, score: if pass { 80 } else { 20 }, value: Some(0.5) },
        ]
    }

    fn rules(auto_capture: bool) -> Rules {
        Rules { frames_to_open: 3, frames_to_close: 2, hold_ms: 100.0, auto_capture, ..Rules::default() }
    }

    #[test]
    fn opens_after_a_passing_run_and_the_countdown() {
        let mut gate = Gate::new(&rules(false));
        let states: Vec<GateState> =
            (0..6).map(|i| gate.update(&frame(true), i as f64 * 40.0).state).collect();
        assert_eq!(states[..2], [GateState::Waiting, GateState::Waiting]);
        assert_eq!(states[2], GateState::Holding { remaining_ms: 100.0 });
        assert_eq!(states[3], GateState::Holding { remaining_ms: 60.0 });
        assert_eq!(states[4], GateState::Holding { remaining_ms: 20.0 });
        assert_eq!(states[5], GateState::Ready);
    }

    #[test]
    fn one_bad_frame_does_not_flicker_but_a_run_closes_and_names_the_check() {
        let mut gate = Gate::new(&rules(false));
        for i in 0..6 {
            gate.update(&frame(true), i as f64 * 40.0);
        }
        let blip = gate.update(&frame(false), 240.0);
        assert_eq!((blip.state, blip.hint), (GateState::Ready, Some(CheckId::LightEven)));
        assert_eq!(gate.update(&frame(true), 280.0).state, GateState::Ready);
        gate.update(&frame(false), 320.0);
        let closed = gate.update(&frame(false), 360.0);
        assert_eq!((closed.state, closed.hint), (GateState::Waiting, Some(CheckId::LightEven)));
        assert_eq!(gate.update(&frame(true), 400.0).state, GateState::Waiting, "a new run is needed");
    }

    #[test]
    fn a_failing_run_during_the_countdown_restarts_it() {
        let mut gate = Gate::new(&rules(false));
        for i in 0..3 {
            gate.update(&frame(true), i as f64);
        }
        assert!(matches!(gate.state(), GateState::Holding { .. }));
        gate.update(&frame(false), 10.0);
        assert_eq!(gate.update(&frame(false), 20.0).state, GateState::Waiting);
    }

    #[test]
    fn auto_capture_fires_once_when_ready() {
        let mut gate = Gate::new(&rules(true));
        let fired: Vec<bool> = (0..10).map(|i| gate.update(&frame(true), i as f64 * 50.0).capture).collect();
        assert_eq!(fired.iter().filter(|&&f| f).count(), 1);
        assert!(!Gate::new(&rules(false)).update(&frame(true), 0.0).capture);
    }

    #[test]
    fn never_opens_without_checks() {
        let mut gate = Gate::new(&rules(false));
        for i in 0..10 {
            assert_eq!(gate.update(&[], i as f64 * 100.0).state, GateState::Waiting);
        }
    }
}
