//! What the checks need from a face: the pose, how open the eyes and mouth are, the distance
//! between the eyes and the face contour, all from the mesh.

use super::mesh::POINTS;

/// Mesh indices of the points the measures use (MediaPipe's face mesh topology).
mod index {
    pub const RIGHT_EYE: [usize; 4] = [33, 133, 159, 145]; // outer, inner, upper lid, lower lid
    pub const LEFT_EYE: [usize; 4] = [263, 362, 386, 374];
    pub const MOUTH: [usize; 4] = [78, 308, 13, 14]; // inner corners, inner upper and lower lip
    /// The face oval, clockwise from the top of the forehead.
    pub const CONTOUR: [usize; 36] = [
        10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378, 400, 377, 152, 148,
        176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54, 103, 67, 109,
    ];
}

/// Head pose in degrees. Roll is the eye line's angle, positive when the head leans to the
/// image's right (clockwise); yaw and pitch come from the canonical face fitted to the mesh
/// ([`super::pose`]): yaw is positive when the face turns towards the image's right (its right
/// side recedes), pitch when the head tips down (its lower part recedes). Pitch is as the fit
/// reads it: a head level with the lens reads about [`crate::checks::Rules::level_pitch`].
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Pose {
    /// Rotation in the image plane.
    pub roll: f32,
    /// Turn left or right.
    pub yaw: f32,
    /// Nod up or down.
    pub pitch: f32,
}

/// The measures of one face.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Measures {
    /// Head pose.
    pub pose: Pose,
    /// Lid gap over eye width, right then left eye.
    pub eye_openness: [f32; 2],
    /// Inner-lip gap over mouth width.
    pub mouth_openness: f32,
    /// Distance between the eye centres, in pixels.
    pub inter_eye: f32,
    /// The face oval, in pixels.
    pub contour: Vec<[f32; 2]>,
    /// The turn read from the tilt of the plane through the face oval, degrees (signed as
    /// `pose.yaw`): the recapture cue compares it between views, on which its flat-motion
    /// thresholds were measured.
    #[serde(skip)]
    pub outline_yaw: f32,
}

fn distance(a: [f32; 3], b: [f32; 3]) -> f32 {
    (a[0] - b[0]).hypot(a[1] - b[1])
}

fn mid(a: [f32; 3], b: [f32; 3]) -> [f32; 3] {
    [(a[0] + b[0]) / 2.0, (a[1] + b[1]) / 2.0, (a[2] + b[2]) / 2.0]
}

fn openness(p: &[[f32; 3]], [corner_a, corner_b, upper, lower]: [usize; 4]) -> f32 {
    let width = distance(p[corner_a], p[corner_b]);
    if width > 0.0 {
        distance(p[upper], p[lower]) / width
    } else {
        0.0
    }
}

/// The slope `[dz/dx, dz/dy]` of the plane through the face oval's points (least squares), in
/// the face's own axes (x along the eye line, turned by `roll` degrees). The outline of a face
/// lies close to a plane; its tilt is the head's turn (yaw) and nod (pitch), steadier than any
/// two points' depths, and taken along the eye line a tilted head's turn does not leak into its
/// nod.
fn outline_slope(p: &[[f32; 3]], roll: f32) -> Option<[f32; 2]> {
    let (sin, cos) = (-(roll as f64).to_radians()).sin_cos();
    let turned = |q: [f32; 3]| {
        let (x, y) = (q[0] as f64, q[1] as f64);
        [cos * x - sin * y, sin * x + cos * y, q[2] as f64]
    };
    let n = index::CONTOUR.len() as f64;
    let (mut mx, mut my, mut mz) = (0.0, 0.0, 0.0);
    for &i in &index::CONTOUR {
        let [x, y, z] = turned(p[i]);
        (mx, my, mz) = (mx + x / n, my + y / n, mz + z / n);
    }
    let (mut sxx, mut sxy, mut syy, mut sxz, mut syz) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for &i in &index::CONTOUR {
        let [x, y, z] = turned(p[i]);
        let (x, y, z) = (x - mx, y - my, z - mz);
        (sxx, sxy, syy, sxz, syz) = (sxx + x * x, sxy + x * y, syy + y * y, sxz + x * z, syz + y * z);
    }
    let det = sxx * syy - sxy * sxy;
    (det.abs() > 1e-9)
        .then(|| [((sxz * syy - syz * sxy) / det) as f32, ((syz * sxx - sxz * sxy) / det) as f32])
}

impl Measures {
    /// Measures a mesh of [`POINTS`] points; `None` for anything else.
    pub fn of(points: &[[f32; 3]]) -> Option<Measures> {
        if points.len() != POINTS {
            return None;
        }
        let p = points;
        let right_eye = mid(p[index::RIGHT_EYE[0]], p[index::RIGHT_EYE[1]]);
        let left_eye = mid(p[index::LEFT_EYE[0]], p[index::LEFT_EYE[1]]);
        let roll = (left_eye[1] - right_eye[1]).atan2(left_eye[0] - right_eye[0]).to_degrees();
        let Pose { yaw, pitch, .. } = super::pose::of_mesh(p)?;
        let [outline_dzdx, _] = outline_slope(p, roll)?;
        Some(Measures {
            pose: Pose { roll, yaw, pitch },
            eye_openness: [openness(p, index::RIGHT_EYE), openness(p, index::LEFT_EYE)],
            mouth_openness: openness(p, index::MOUTH),
            inter_eye: distance(right_eye, left_eye),
            contour: index::CONTOUR.iter().map(|&i| [p[i][0], p[i][1]]).collect(),
            outline_yaw: outline_dzdx.atan().to_degrees(),
        })
    }
}
