//! The photo checks of SPEC §2: each has a stable id, a pass/fail, a 0–100 score, the raw value
//! and a hint in zh-CN and en. Where OFIQ (ISO/IEC 29794-5's reference implementation) defines
//! the measure, the score is OFIQ's mapping of it ([`ofiq`]).
//!
//! This module holds the checks that follow from the face alone (presence, a single face, pose,
//! eyes, mouth and teeth); the light, sharpness, clothing and placement checks and the gate that
//! turns checks into a ready shutter build on it.

mod exposure;
pub mod ofiq;
mod teeth;

use crate::face::detect::Detection;
use crate::face::Face;
use crate::lang::Text;
use crate::FrameView;
use ofiq::Measure;

/// A check's stable id, as in SPEC §2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
pub enum CheckId {
    /// One face is found.
    #[serde(rename = "face.present")]
    FacePresent,
    /// No second face of any size.
    #[serde(rename = "face.single")]
    FaceSingle,
    /// The eye line is level.
    #[serde(rename = "pose.roll")]
    PoseRoll,
    /// The face is not turned aside.
    #[serde(rename = "pose.yaw")]
    PoseYaw,
    /// The head is neither up nor down.
    #[serde(rename = "pose.pitch")]
    PosePitch,
    /// Both eyes open.
    #[serde(rename = "eyes.open")]
    EyesOpen,
    /// Lips closed, no teeth.
    #[serde(rename = "mouth.closed")]
    MouthClosed,
    /// The face is neither too dark nor too bright.
    #[serde(rename = "light.exposure")]
    LightExposure,
}

impl CheckId {
    /// The id string, e.g. `"mouth.closed"`.
    pub fn id(self) -> &'static str {
        match self {
            CheckId::FacePresent => "face.present",
            CheckId::FaceSingle => "face.single",
            CheckId::PoseRoll => "pose.roll",
            CheckId::PoseYaw => "pose.yaw",
            CheckId::PosePitch => "pose.pitch",
            CheckId::EyesOpen => "eyes.open",
            CheckId::MouthClosed => "mouth.closed",
            CheckId::LightExposure => "light.exposure",
        }
    }

    /// What to tell the student when the check fails.
    pub fn hint(self) -> Text {
        let (zh, en) = match self {
            CheckId::FacePresent => (
                "请将面部置于虚线框内，正对镜头",
                "Place your face inside the dashed oval, looking at the camera",
            ),
            CheckId::FaceSingle => (
                "画面中只能有一张人脸，请其他人离开取景范围",
                "Only one face may be in the picture: ask others to step out",
            ),
            CheckId::PoseRoll => (
                "请摆正头部，保持两耳对称、肩膀平衡",
                "Hold your head straight, ears level and shoulders even",
            ),
            CheckId::PoseYaw => {
                ("请正对镜头，不要侧脸或侧身", "Face the camera directly, do not turn your head or body")
            }
            CheckId::PosePitch => {
                ("请平视镜头，不要低头或仰头", "Look straight into the camera, chin neither down nor up")
            }
            CheckId::EyesOpen => ("请自然睁开双眼", "Keep both eyes naturally open"),
            CheckId::LightExposure => (
                "光线不合适，请到光线均匀、不过暗不过亮的地方拍摄",
                "The light is wrong: move where the light is even, neither too dark nor too bright",
            ),
            CheckId::MouthClosed => {
                ("请自然闭合嘴唇，不要露出牙齿", "Close your lips naturally, no teeth showing")
            }
        };
        Text { zh, en }
    }
}

/// The result of one check.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Check {
    /// Which check.
    pub id: CheckId,
    /// Whether the photo passes it.
    pub pass: bool,
    /// 0–100, higher is better.
    pub score: u8,
    /// The raw measure, when there is one.
    pub value: Option<f64>,
}

/// Limits of the face checks; the defaults follow ISO/IEC 19794-5 (pose) and OFIQ's mappings
/// (a score of 50 is the boundary).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FaceLimits {
    /// Largest eye-line angle, degrees (ISO/IEC 19794-5: 8°).
    pub max_roll: f64,
    /// Largest turn, degrees.
    pub max_yaw: f64,
    /// Largest nod, degrees.
    pub max_pitch: f64,
    /// Smallest OFIQ EyesOpen / MouthClosed / SingleFacePresent score that passes.
    pub min_score: u8,
    /// Largest share of tooth-coloured pixels between the lips.
    pub max_teeth: f64,
}

impl Default for FaceLimits {
    fn default() -> Self {
        FaceLimits { max_roll: 8.0, max_yaw: 5.0, max_pitch: 5.0, min_score: 50, max_teeth: 0.15 }
    }
}

/// Whether (`x`, `y`) lies inside the polygon (even-odd rule).
fn inside(poly: &[[f64; 2]], x: f64, y: f64) -> bool {
    let mut inside = false;
    let mut j = poly.len() - 1;
    for i in 0..poly.len() {
        let ([xi, yi], [xj, yj]) = (poly[i], poly[j]);
        if (yi > y) != (yj > y) && x < (xj - xi) * (y - yi) / (yj - yi) + xi {
            inside = !inside;
        }
        j = i;
    }
    inside
}

/// OFIQ's T metric: the distance from the middle of the eyes to the middle of the mouth.
fn t_metric(face: &Face) -> f64 {
    let p = &face.mesh;
    let mid = |a: usize, b: usize| [(p[a][0] + p[b][0]) as f64 / 2.0, (p[a][1] + p[b][1]) as f64 / 2.0];
    let (re, le, mouth) = (mid(33, 133), mid(263, 362), mid(78, 308));
    let eyes = [(re[0] + le[0]) / 2.0, (re[1] + le[1]) / 2.0];
    (eyes[0] - mouth[0]).hypot(eyes[1] - mouth[1]).max(1e-6)
}

fn gap(face: &Face, a: usize, b: usize) -> f64 {
    let (p, q) = (face.mesh[a], face.mesh[b]);
    ((p[0] - q[0]) as f64).hypot((p[1] - q[1]) as f64)
}

fn angle_check(id: CheckId, degrees: f32, limit: f64) -> Check {
    let v = degrees.abs() as f64;
    let score = (100.0 * (1.0 - v / (2.0 * limit))).round().clamp(0.0, 100.0) as u8;
    Check { id, pass: v <= limit, score, value: Some(degrees as f64) }
}

/// The face checks, most important first: presence, one face, pose, eyes, mouth, exposure.
/// `detections` are all the faces the detector found; `face` the main one with its mesh.
pub fn face_checks(
    frame: &FrameView<'_>,
    detections: &[Detection],
    face: Option<&Face>,
    limits: &FaceLimits,
) -> Vec<Check> {
    let mut checks = Vec::new();
    let present = face.is_some();
    let score = face.map_or(0.0, |f| f.score as f64);
    checks.push(Check {
        id: CheckId::FacePresent,
        pass: present,
        score: (100.0 * score).round() as u8,
        value: Some(score),
    });
    // OFIQ SingleFacePresent: √(second largest area / largest area).
    let mut areas: Vec<f64> = detections.iter().map(|d| (d.bbox[2] * d.bbox[3]) as f64).collect();
    areas.sort_by(|a, b| b.total_cmp(a));
    let unicity = match areas[..] {
        [] => 1.0,
        [_] => 0.0,
        [a1, a2, ..] => (a2 / a1).sqrt(),
    };
    let single = Measure::SingleFacePresent.score(unicity);
    checks.push(Check {
        id: CheckId::FaceSingle,
        pass: present && single >= limits.min_score,
        score: single,
        value: Some(unicity),
    });
    let Some(face) = face else { return checks };
    let pose = face.measures.pose;
    checks.push(angle_check(CheckId::PoseRoll, pose.roll, limits.max_roll));
    checks.push(angle_check(CheckId::PoseYaw, pose.yaw, limits.max_yaw));
    checks.push(angle_check(CheckId::PosePitch, pose.pitch, limits.max_pitch));
    let t = t_metric(face);
    let eyes = gap(face, 159, 145).min(gap(face, 386, 374)) / t;
    let eyes_score = Measure::EyesOpen.score(eyes);
    checks.push(Check {
        id: CheckId::EyesOpen,
        pass: eyes_score >= limits.min_score,
        score: eyes_score,
        value: Some(eyes),
    });
    let mouth = gap(face, 13, 14) / t;
    let mouth_score = Measure::MouthClosed.score(mouth);
    let teeth = teeth::share(frame, &face.mesh);
    let pass = mouth_score >= limits.min_score && teeth <= limits.max_teeth;
    let score = if teeth > limits.max_teeth { mouth_score.min(49) } else { mouth_score };
    checks.push(Check { id: CheckId::MouthClosed, pass, score, value: Some(mouth) });
    checks.extend(exposure::check(frame, face, limits.min_score));
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn point_in_polygon() {
        let square = [[0.0, 0.0], [10.0, 0.0], [10.0, 10.0], [0.0, 10.0]];
        assert!(inside(&square, 5.0, 5.0));
        assert!(!inside(&square, 15.0, 5.0));
        let triangle = [[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]];
        assert!(inside(&triangle, 2.0, 2.0) && !inside(&triangle, 8.0, 8.0));
    }
}
