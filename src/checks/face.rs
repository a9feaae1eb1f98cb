//! The checks that follow from the face alone: presence, a single face, pose, open eyes, closed
//! mouth, and holding still.

use super::ofiq::Measure;
use super::region::{level_quantile, Polygon};
use super::skin::Cheeks;
use super::{graded, teeth, Check, CheckId, Rules, Scene};
use crate::face::landmarks::{
    LEFT_EYE_BOTTOM, LEFT_EYE_TOP, LOWER_LIP_INNER, MOUTH_LEFT, MOUTH_RIGHT, RIGHT_EYE_BOTTOM, RIGHT_EYE_TOP,
    UPPER_LIP_INNER,
};
use crate::face::Face;
use crate::FrameView;

/// `face.present` and `face.single` (OFIQ SingleFacePresent: √(second largest face area ÷
/// largest)).
pub fn presence(scene: &Scene<'_>, rules: &Rules) -> Vec<Check> {
    let score = scene.face.map_or(0.0, |f| f.score as f64);
    let present = Check {
        id: CheckId::FacePresent,
        pass: scene.face.is_some(),
        score: (100.0 * score).round() as u8,
        value: Some(score),
    };
    let mut areas: Vec<f64> = scene.detections.iter().map(|d| (d.bbox[2] * d.bbox[3]) as f64).collect();
    areas.sort_by(|a, b| b.total_cmp(a));
    let unicity = match areas[..] {
        [] => 1.0,
        [_] => 0.0,
        [a1, a2, ..] => (a2 / a1).sqrt(),
    };
    let single = Measure::SingleFacePresent.score(unicity);
    let single = Check {
        id: CheckId::FaceSingle,
        pass: scene.face.is_some() && single >= rules.min_ofiq_score,
        score: single,
        value: Some(unicity),
    };
    vec![present, single]
}

fn angle(id: CheckId, degrees: f32, limit: f64) -> Check {
    let mut check = graded(id, (degrees as f64).abs(), 0.0, limit);
    check.value = Some(degrees as f64);
    check
}

/// `pose.roll`, `pose.yaw`, `pose.pitch` in degrees (pitch from level: see
/// [`Rules::level_pitch`]), against their limits.
pub fn pose(face: &Face, rules: &Rules) -> [Check; 3] {
    let p = face.measures.pose;
    [
        angle(CheckId::PoseRoll, p.roll, rules.max_roll),
        angle(CheckId::PoseYaw, p.yaw, rules.max_yaw),
        angle(CheckId::PosePitch, p.pitch - rules.level_pitch as f32, rules.max_pitch),
    ]
}

/// OFIQ's T metric: the distance from the middle of the eyes to the middle of the mouth.
fn t_metric(face: &Face) -> f64 {
    let (right, left) = (face.point(MOUTH_RIGHT), face.point(MOUTH_LEFT));
    let mouth = [(right[0] + left[0]) as f64 / 2.0, (right[1] + left[1]) as f64 / 2.0];
    let eyes = face.eyes_middle();
    (eyes[0] - mouth[0]).hypot(eyes[1] - mouth[1]).max(1e-6)
}

/// The eye openings as the mesh draws them: the upper lid from the outer corner to the inner,
/// then the lower lid back, for the right eye and the left.
const EYE_OPENINGS: [[usize; 14]; 2] = [
    [33, 246, 161, 160, 159, 158, 157, 173, 133, 155, 154, 153, 145, 144],
    [263, 466, 388, 387, 386, 385, 384, 398, 362, 382, 381, 380, 374, 373],
];

/// Pairs of upper and lower lid points across the middle of each eye.
const EYE_GAPS: [[(usize, usize); 3]; 2] =
    [[(160, 144), (159, 145), (158, 153)], [(387, 373), (386, 374), (385, 380)]];

/// An eye's openness: its lid gap over its width (the middle three pairs of lid points) times
/// the contrast inside its opening (10th to 90th percentile of luma over the median). An open
/// eye shows iris, pupil and white inside the lids; a closed one shows lid skin and a line of
/// lashes, which the mesh alone does not tell from a narrow open eye (on faces-real the lid gap
/// of closed eyes, 0.14–0.25, overlaps that of open ones from 0.19). `None` when the opening
/// holds too few pixels to measure.
fn eye_openness(frame: &FrameView<'_>, face: &Face, eye: usize) -> Option<f64> {
    let [outer, inner] = [EYE_OPENINGS[eye][0], EYE_OPENINGS[eye][8]];
    let width = face.distance(outer, inner).max(1e-6);
    let gap = EYE_GAPS[eye].iter().map(|&(a, b)| face.distance(a, b)).sum::<f64>() / 3.0 / width;
    // A histogram of whole luma levels: the percentiles without a sort.
    let (mut levels, mut count) = ([0u32; 256], 0u32);
    Polygon::of_mesh(&face.mesh, &EYE_OPENINGS[eye]).for_each_pixel(frame, |_, _, p| {
        levels[crate::frame::luma(p[0], p[1], p[2]).round().clamp(0.0, 255.0) as usize] += 1;
        count += 1;
    });
    if (count as usize) < MIN_EYE_PIXELS {
        return None;
    }
    let at = |q: f64| level_quantile(&levels, count, q);
    Some(gap * (at(0.9) - at(0.1)) / at(0.5).max(1.0))
}

/// Fewer pixels than this inside an eye opening cannot show whether it is open.
const MIN_EYE_PIXELS: usize = 12;

/// `eyes.open` on a still picture: the less open eye's [`eye_openness`], graded 100 at twice
/// `rules.min_eye_open`, 50 at it.
fn eyes_open(frame: &FrameView<'_>, face: &Face, rules: &Rules) -> Check {
    match (eye_openness(frame, face, 0), eye_openness(frame, face, 1)) {
        (Some(right), Some(left)) => {
            graded(CheckId::EyesOpen, right.min(left), 2.0 * rules.min_eye_open, rules.min_eye_open)
        }
        _ => super::unmeasured(CheckId::EyesOpen),
    }
}

/// `eyes.open` on a video frame: OFIQ EyesOpen (the smaller eyelid gap ÷ T). The contrast inside
/// the eye openings depends on how soft the picture is: on the component's downscaled camera
/// frames an open-eyed portrait measures 0.16–0.19 where its still measures 0.29, so video keeps
/// the mesh's measure, and the photo taken is judged as a still by the backend's re-check.
fn eyes_open_in_video(face: &Face, t: f64, rules: &Rules) -> Check {
    let gap =
        face.distance(RIGHT_EYE_TOP, RIGHT_EYE_BOTTOM).min(face.distance(LEFT_EYE_TOP, LEFT_EYE_BOTTOM)) / t;
    let score = Measure::EyesOpen.score(gap);
    Check { id: CheckId::EyesOpen, pass: score >= rules.min_ofiq_score, score, value: Some(gap) }
}

/// `eyes.open` (on a still, [`eyes_open`]; in video, [`eyes_open_in_video`]) and `mouth.closed`
/// (OFIQ MouthClosed: inner-lip gap ÷ T, at most `rules.max_mouth_gap`, and no teeth between the
/// lips).
pub fn features(
    frame: &FrameView<'_>,
    face: &Face,
    cheeks: &Cheeks,
    rules: &Rules,
    still: bool,
) -> [Check; 2] {
    let t = t_metric(face);
    let eyes = if still { eyes_open(frame, face, rules) } else { eyes_open_in_video(face, t, rules) };
    let mouth = face.distance(UPPER_LIP_INNER, LOWER_LIP_INNER) / t;
    // OFIQ's MouthClosed passes a gap up to ~0.2 of T, lips clearly apart; closed lips read
    // under 0.06 on the good real photographs (one 0.099), parted ones from 0.1.
    let gap = graded(CheckId::MouthClosed, mouth, 0.0, rules.max_mouth_gap);
    let mouth_score = Measure::MouthClosed.score(mouth).min(gap.score);
    let teeth = teeth::share(frame, &face.mesh, cheeks);
    let showing = teeth > rules.max_teeth;
    [
        eyes,
        Check {
            id: CheckId::MouthClosed,
            pass: mouth_score >= rules.min_ofiq_score && gap.pass && !showing,
            score: if showing { mouth_score.min(25) } else { mouth_score },
            value: Some(mouth),
        },
    ]
}

/// `motion.stable`: how far the eyes moved since the previous frame, as a share of the distance
/// between them. A still image does not move.
pub fn motion(face: &Face, previous: Option<&Face>, rules: &Rules) -> Check {
    let eyes = |f: &Face| {
        let [r, l] = [f.keypoints[0], f.keypoints[1]];
        [(r[0] + l[0]) as f64 / 2.0, (r[1] + l[1]) as f64 / 2.0]
    };
    let moved = previous.map_or(0.0, |p| {
        let (a, b) = (eyes(face), eyes(p));
        (a[0] - b[0]).hypot(a[1] - b[1]) / (face.measures.inter_eye as f64).max(1.0)
    });
    graded(CheckId::MotionStable, moved, 0.0, rules.max_motion)
}
