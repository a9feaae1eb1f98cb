//! Head pose from the mesh: the rotation that best carries MediaPipe's canonical face onto the
//! mesh's points (weighted orthogonal Procrustes, solved with Horn's quaternion method).
//!
//! The canonical face and the weights are the 33 landmarks of the Procrustes basis in MediaPipe's
//! face geometry (`geometry_pipeline_metadata_landmarks.binarypb`, Apache-2.0): the points that
//! move least with expression (eye corners, nose, cheek bones, jaw), in centimetres, x towards the
//! image's right for a frontal face, y up, z towards the camera. The mesh's depth is taken at
//! [`DEPTH_SCALE`] of its x and y scale: on the 220 photographs of `../shared/faces-real` that
//! scale brings the pitch read here to FaceLandmarker's (median difference +0.1°; at 1.0 it is
//! +2.1°, the mesh model's depth being deeper than the canonical face's).

use super::measures::Pose;

/// `(mesh index, weight, canonical [x, y, z])` of the Procrustes basis.
const CANONICAL: [(usize, f64, [f64; 3]); 33] = [
    (4, 0.07091, [0.0, -0.4632, 7.587]),
    (6, 0.0321, [0.0, 2.473, 5.789]),
    (10, 0.0084466, [0.0, 8.262, 4.482]),
    (33, 0.058724, [-4.446, 2.664, 3.173]),
    (54, 0.0076671, [-6.279, 6.615, 1.426]),
    (67, 0.0090781, [-3.524, 8.006, 3.729]),
    (117, 0.0097919, [-5.259, 0.9458, 2.974]),
    (119, 0.014565, [-3.301, 0.8616, 3.873]),
    (121, 0.018591, [-1.821, 1.468, 4.224]),
    (127, 0.005198, [-7.743, 2.365, -2.005]),
    (129, 0.12063, [-1.786, -0.9783, 4.85]),
    (132, 0.00556, [-7.271, -2.891, -2.252]),
    (133, 0.053286, [-1.856, 2.585, 3.758]),
    (136, 0.06689, [-5.085, -7.179, 0.7147]),
    (143, 0.014817, [-6.408, 2.236, 1.561]),
    (147, 0.014263, [-6.235, -1.944, 1.664]),
    (198, 0.025462, [-1.247, 0.2303, 5.681]),
    (205, 0.047252, [-3.833, -1.537, 4.138]),
    (263, 0.058724, [4.446, 2.664, 3.173]),
    (284, 0.0076671, [6.279, 6.615, 1.426]),
    (297, 0.0090781, [3.524, 8.006, 3.729]),
    (346, 0.0097919, [5.259, 0.9458, 2.974]),
    (348, 0.014565, [3.301, 0.8616, 3.873]),
    (350, 0.018591, [1.821, 1.468, 4.224]),
    (356, 0.005198, [7.743, 2.365, -2.005]),
    (358, 0.12063, [1.786, -0.9783, 4.85]),
    (361, 0.00556, [7.271, -2.891, -2.252]),
    (362, 0.053286, [1.856, 2.585, 3.758]),
    (365, 0.06689, [5.085, -7.179, 0.7147]),
    (372, 0.014817, [6.408, 2.236, 1.561]),
    (376, 0.014263, [6.235, -1.944, 1.664]),
    (420, 0.025462, [1.247, 0.2303, 5.681]),
    (425, 0.047252, [3.833, -1.537, 4.138]),
];

/// The mesh's depth relative to its x and y scale, for the fit (see the module's documentation).
pub const DEPTH_SCALE: f64 = 0.8;

/// A unit quaternion `[w, x, y, z]` as a rotation matrix (rows).
fn rotation([w, x, y, z]: [f64; 4]) -> [[f64; 3]; 3] {
    [
        [w * w + x * x - y * y - z * z, 2.0 * (x * y - w * z), 2.0 * (x * z + w * y)],
        [2.0 * (x * y + w * z), w * w - x * x + y * y - z * z, 2.0 * (y * z - w * x)],
        [2.0 * (x * z - w * y), 2.0 * (y * z + w * x), w * w - x * x - y * y + z * z],
    ]
}

/// The eigenvector of the largest eigenvalue of a symmetric 4×4 matrix: power iteration on the
/// matrix shifted by a bound on its eigenvalues' size (Gershgorin's), so that the largest one
/// leads. Horn's matrix for a good fit has one eigenvalue well apart, and 200 steps are plenty:
/// the unit test reads a turned canonical face back within half a degree, and the 220 photos of
/// faces-real read the same poses as the Jacobi solution this replaced (docs/checks.md).
fn largest_eigenvector(a: [[f64; 4]; 4]) -> [f64; 4] {
    let bound = a.iter().map(|row| row.iter().map(|v| v.abs()).sum::<f64>()).fold(0.0, f64::max);
    let mut v = [1.0, 0.1, 0.01, 0.001];
    for _ in 0..200 {
        let mut next = [0.0; 4];
        for (i, row) in a.iter().enumerate() {
            next[i] = bound * v[i] + row.iter().zip(&v).map(|(m, x)| m * x).sum::<f64>();
        }
        let norm = next.iter().map(|x| x * x).sum::<f64>().sqrt();
        if norm.is_nan() || norm <= 0.0 {
            break;
        }
        v = next.map(|x| x / norm);
    }
    v
}

/// The rotation carrying the canonical face onto `points` (mesh pixels: x right, y down, z
/// smaller nearer), least squares over the basis with its weights.
fn fit(points: &[[f32; 3]]) -> Option<[[f64; 3]; 3]> {
    let mesh = |i: usize| {
        let p = points.get(i)?;
        Some([p[0] as f64, -(p[1] as f64), -(p[2] as f64) * DEPTH_SCALE])
    };
    let total: f64 = CANONICAL.iter().map(|c| c.1).sum();
    let (mut mc, mut mq) = ([0.0; 3], [0.0; 3]);
    for &(i, w, c) in &CANONICAL {
        let q = mesh(i)?;
        for k in 0..3 {
            mc[k] += w * c[k] / total;
            mq[k] += w * q[k] / total;
        }
    }
    // s[a][b] = Σ w (c_a − c̄_a)(q_b − q̄_b)
    let mut s = [[0.0; 3]; 3];
    for &(i, w, c) in &CANONICAL {
        let q = mesh(i)?;
        for a in 0..3 {
            for b in 0..3 {
                s[a][b] += w * (c[a] - mc[a]) * (q[b] - mq[b]);
            }
        }
    }
    let [[sxx, sxy, sxz], [syx, syy, syz], [szx, szy, szz]] = s;
    let n = [
        [sxx + syy + szz, syz - szy, szx - sxz, sxy - syx],
        [syz - szy, sxx - syy - szz, sxy + syx, szx + sxz],
        [szx - sxz, sxy + syx, -sxx + syy - szz, syz + szy],
        [sxy - syx, szx + sxz, syz + szy, -sxx - syy + szz],
    ];
    let q = largest_eigenvector(n);
    let norm = q.iter().map(|v| v * v).sum::<f64>().sqrt();
    (norm > 0.0 && norm.is_finite()).then(|| rotation(q.map(|v| v / norm)))
}

/// The head pose of a mesh: yaw and pitch from the fitted rotation's forward axis (positive when
/// the face turns towards the image's right, and when it tips down), roll from its cross axis
/// (positive clockwise). `None` without the basis's points or when the fit fails.
pub fn of_mesh(points: &[[f32; 3]]) -> Option<Pose> {
    let r = fit(points)?;
    let forward = [r[0][2], r[1][2], r[2][2]];
    let across = [r[0][0], r[1][0]];
    Some(Pose {
        roll: (-across[1]).atan2(across[0]).to_degrees() as f32,
        yaw: forward[0].atan2(forward[2]).to_degrees() as f32,
        pitch: (-forward[1]).atan2(forward[0].hypot(forward[2])).to_degrees() as f32,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical face nodded by `pitch` about x, then turned by `yaw` about y, as mesh pixels
    /// (30 px a centimetre, y down, z smaller nearer, depth at the mesh's scale).
    fn turned(yaw: f64, pitch: f64) -> Vec<[f32; 3]> {
        let (sy, cy) = yaw.to_radians().sin_cos();
        let (sp, cp) = pitch.to_radians().sin_cos();
        let mut points = vec![[0.0f32; 3]; 468];
        for &(i, _, [x, y, z]) in &CANONICAL {
            // Nodded first (tipping down turns the forward axis towards −y), then turned.
            let (y, z) = (cp * y - sp * z, sp * y + cp * z);
            let (x, z) = (cy * x + sy * z, -sy * x + cy * z);
            points[i] =
                [(300.0 + 30.0 * x) as f32, (300.0 - 30.0 * y) as f32, (-30.0 * z / DEPTH_SCALE) as f32];
        }
        points
    }

    #[test]
    fn the_fit_reads_back_a_turned_canonical_face() {
        for (yaw, pitch) in [(0.0, 0.0), (10.0, 0.0), (-12.0, 5.0), (0.0, -15.0), (20.0, 20.0)] {
            let pose = of_mesh(&turned(yaw, pitch)).unwrap();
            assert!((pose.yaw as f64 - yaw).abs() < 0.5, "yaw {yaw}: {pose:?}");
            assert!((pose.pitch as f64 - pitch).abs() < 0.5, "pitch {pitch}: {pose:?}");
            // Turned about one axis only, the face does not roll.
            assert!(pose.roll.abs() < 0.5 || (yaw != 0.0 && pitch != 0.0), "{pose:?}");
        }
    }

    #[test]
    fn a_mesh_without_the_basis_has_no_pose() {
        assert!(of_mesh(&[[0.0; 3]; 10]).is_none());
    }
}
