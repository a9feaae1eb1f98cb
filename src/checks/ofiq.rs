//! OFIQ's quality mappings: from a measure's raw value to its 0–100 component score.
//!
//! Most measures use `Q = clamp(round(h·(a + s·sigmoid(x; x0, w))), 0, 100)` with
//! `sigmoid(x; x0, w) = 1 / (1 + exp((x0 − x) / w))`; a few use a mapping of their own. The
//! parameters are OFIQ 1.0's defaults; `tests/ofiq.rs` reproduces every raw→score pair of these
//! measures in OFIQ's published `expected_results.csv`.

/// `1 / (1 + exp((x0 − x) / w))`.
pub fn sigmoid(x: f64, x0: f64, w: f64) -> f64 {
    1.0 / (1.0 + ((x0 - x) / w).exp())
}

/// How a raw value becomes a score.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Mapping {
    /// `h·(a + s·sigmoid(x; x0, w))`.
    Sigmoid {
        /// Scale.
        h: f64,
        /// Shift.
        a: f64,
        /// Signed weight of the sigmoid.
        s: f64,
        /// Centre.
        x0: f64,
        /// Width.
        w: f64,
    },
    /// `100·x^p`.
    Power(f64),
    /// `100·sigmoid(x; lo, w)·(1 − sigmoid(x; hi, w))`: good between `lo` and `hi`.
    Band {
        /// Lower edge.
        lo: f64,
        /// Upper edge.
        hi: f64,
        /// Width of both edges.
        w: f64,
    },
    /// `100·sin(π·k·x / (k·x + 1))`.
    Sine(f64),
    /// `1 / (x + c)`.
    Reciprocal(f64),
    /// `k·x`.
    Linear(f64),
    /// `100·(1 − x)`.
    Complement,
    /// The sigmoid mapping applied to `|x − centre|`.
    Distance {
        /// The ideal raw value.
        centre: f64,
        /// The mapping of the distance from it.
        h: f64,
        /// Centre of the sigmoid.
        x0: f64,
        /// Width of the sigmoid.
        w: f64,
    },
}

impl Mapping {
    /// The 0–100 score of `raw`, rounded and clamped.
    pub fn score(self, raw: f64) -> u8 {
        let q = match self {
            Mapping::Sigmoid { h, a, s, x0, w } => h * (a + s * sigmoid(raw, x0, w)),
            Mapping::Power(p) => 100.0 * raw.max(0.0).powf(p),
            Mapping::Band { lo, hi, w } => 100.0 * sigmoid(raw, lo, w) * (1.0 - sigmoid(raw, hi, w)),
            Mapping::Sine(k) => 100.0 * (k * raw / (k * raw + 1.0) * std::f64::consts::PI).sin(),
            Mapping::Reciprocal(c) => 1.0 / (raw + c),
            Mapping::Linear(k) => k * raw,
            Mapping::Complement => 100.0 * (1.0 - raw),
            Mapping::Distance { centre, h, x0, w } => h * (1.0 - sigmoid((raw - centre).abs(), x0, w)),
        };
        if q.is_nan() {
            0
        } else {
            q.round().clamp(0.0, 100.0) as u8
        }
    }
}

/// The OFIQ measures the checks reuse.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Measure {
    /// Mean luminance gradient (Scharr) over the background, beside and above the head.
    BackgroundUniformity,
    /// Histogram intersection of the left and right face halves (阴阳脸).
    IlluminationUniformity,
    /// Mean face luminance, 0–1.
    LuminanceMean,
    /// Variance of the face luminance.
    LuminanceVariance,
    /// Share of dark (0–25) face pixels.
    UnderExposurePrevention,
    /// Share of clipped (247–255) face pixels.
    OverExposurePrevention,
    /// Entropy of the face luminance histogram, bits.
    DynamicRange,
    /// Smaller eyelid gap over the eye-to-mouth distance.
    EyesOpen,
    /// Inner-lip gap over the eye-to-mouth distance.
    MouthClosed,
    /// Eye-to-mouth distance over the image height.
    HeadSize,
    /// Distance between the eye centres, in pixels.
    InterEyeDistance,
    /// √(second largest face / largest face).
    SingleFacePresent,
}

impl Measure {
    /// Every measure this module maps.
    pub const ALL: [Measure; 12] = [
        Measure::BackgroundUniformity,
        Measure::IlluminationUniformity,
        Measure::LuminanceMean,
        Measure::LuminanceVariance,
        Measure::UnderExposurePrevention,
        Measure::OverExposurePrevention,
        Measure::DynamicRange,
        Measure::EyesOpen,
        Measure::MouthClosed,
        Measure::HeadSize,
        Measure::InterEyeDistance,
        Measure::SingleFacePresent,
    ];

    /// OFIQ's name for the measure (its column in `expected_results.csv`).
    pub fn name(self) -> &'static str {
        match self {
            Measure::BackgroundUniformity => "BackgroundUniformity",
            Measure::IlluminationUniformity => "IlluminationUniformity",
            Measure::LuminanceMean => "LuminanceMean",
            Measure::LuminanceVariance => "LuminanceVariance",
            Measure::UnderExposurePrevention => "UnderExposurePrevention",
            Measure::OverExposurePrevention => "OverExposurePrevention",
            Measure::DynamicRange => "DynamicRange",
            Measure::EyesOpen => "EyesOpen",
            Measure::MouthClosed => "MouthClosed",
            Measure::HeadSize => "HeadSize",
            Measure::InterEyeDistance => "InterEyeDistance",
            Measure::SingleFacePresent => "SingleFacePresent",
        }
    }

    /// OFIQ's mapping for the measure, with its default parameters.
    pub fn mapping(self) -> Mapping {
        let sigmoid = |h, a, s, x0, w| Mapping::Sigmoid { h, a, s, x0, w };
        match self {
            Measure::BackgroundUniformity => sigmoid(190.0, 1.0, -1.0, 10.0, 100.0),
            Measure::IlluminationUniformity => Mapping::Power(0.3),
            Measure::LuminanceMean => Mapping::Band { lo: 0.2, hi: 0.8, w: 0.05 },
            Measure::LuminanceVariance => Mapping::Sine(60.0),
            Measure::UnderExposurePrevention => sigmoid(120.0, 0.832, -1.0, 0.92, 0.05),
            Measure::OverExposurePrevention => Mapping::Reciprocal(0.01),
            Measure::DynamicRange => Mapping::Linear(12.5),
            Measure::EyesOpen => sigmoid(100.0, 0.0, 1.0, 0.02, 0.01),
            Measure::MouthClosed => sigmoid(100.0, 1.0, -1.0, 0.2, 0.06),
            Measure::HeadSize => Mapping::Distance { centre: 0.45, h: 200.0, x0: 0.0, w: 0.05 },
            Measure::InterEyeDistance => sigmoid(100.0, 0.0, 1.0, 70.0, 20.0),
            Measure::SingleFacePresent => Mapping::Complement,
        }
    }

    /// The 0–100 score OFIQ gives `raw`.
    ///
    /// ```
    /// use gradcap::checks::ofiq::Measure;
    /// assert_eq!(Measure::EyesOpen.score(0.07), 99);
    /// assert_eq!(Measure::MouthClosed.score(0.35), 8, "an open mouth");
    /// assert_eq!(Measure::IlluminationUniformity.score(0.141003), 56);
    /// assert_eq!(Measure::BackgroundUniformity.score(242.79), 17, "a busy background");
    /// ```
    pub fn score(self, raw: f64) -> u8 {
        self.mapping().score(raw)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scores_are_clamped_and_nan_is_zero() {
        assert_eq!(Measure::OverExposurePrevention.score(0.0), 100, "1 / 0.01 clamps to 100");
        assert_eq!(Measure::DynamicRange.score(9.0), 100);
        assert_eq!(Measure::SingleFacePresent.score(1.0), 0);
        assert_eq!(Measure::LuminanceMean.score(f64::NAN), 0);
    }

    #[test]
    fn luminance_mean_is_good_only_in_the_middle() {
        assert!(Measure::LuminanceMean.score(0.5) > 95);
        assert!(Measure::LuminanceMean.score(0.1) < 15 && Measure::LuminanceMean.score(0.9) < 15);
    }
}
