//! Finding the face and its landmarks: a small engine for MediaPipe's `.tflite` models, the
//! BlazeFace detector, the 468-point face mesh, and the measures the checks need.
//!
//! [`FaceFinder`] puts them together: on a still image it detects and meshes; in video it runs the
//! detector only while no face is tracked, then follows the face with the mesh from frame to frame.

pub mod detect;
pub mod engine;
mod flex;
mod kernels;
pub mod landmarks;
mod layers;
pub mod measures;
pub mod mesh;
pub mod models;
pub mod pack;
pub mod pose;
pub mod tflite;

use crate::{Error, FrameView};
use detect::{Detection, Detector};
use measures::Measures;
use mesh::{MeshModel, Roi};

/// Below this mesh presence the tracked face is lost and the detector runs again.
const MIN_PRESENCE: f32 = 0.5;

/// Below this mesh presence a detection is not taken for a face even when the mesh confirms no
/// other. The attention mesh reads every face of `../shared/faces-real` at 0.9999 or more, but a
/// face under a dark mask or half behind a hand lower (a flat black mask over a portrait 0.018,
/// a chin in a hand 0.019, a hand over the mouth 0.42) — a face to tell to uncover, not a
/// missing one — while a pattern of circles the detector took for a face reads 0.0002.
const MIN_COVERED_PRESENCE: f32 = 0.01;

/// Detections tried, largest first, until the mesh confirms one as a face.
const MAX_MESHED: usize = 3;

/// A face with everything the checks need, in image pixels.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Face {
    /// The detector's score (or, while tracking, the mesh's presence), 0–1.
    pub score: f32,
    /// `[x, y, w, h]` of the face box.
    #[serde(rename = "box")]
    pub bbox: [f32; 4],
    /// The detector's six keypoints (see [`Detection::keypoints`]).
    pub keypoints: [[f32; 2]; 6],
    /// The 468 mesh points `[x, y, z]`.
    pub mesh: Vec<[f32; 3]>,
    /// Head pose, eye and mouth openness, distance between the eyes, face contour.
    #[serde(flatten)]
    pub measures: Measures,
}

/// The detector and the mesh, with the face being tracked.
pub struct FaceFinder {
    detector: Detector,
    mesh: MeshModel,
    tracked: Option<(Roi, Detection)>,
    detections: Vec<Detection>,
}

impl FaceFinder {
    /// Loads both models from the bytes of their `.tflite` files.
    pub fn new(detector: &[u8], mesh: &[u8]) -> Result<FaceFinder, Error> {
        Ok(FaceFinder {
            detector: Detector::new(detector)?,
            mesh: MeshModel::new(mesh)?,
            tracked: None,
            detections: Vec::new(),
        })
    }

    /// All faces the detector finds, best first (for the single-face check).
    pub fn detect_all(&mut self, frame: &FrameView<'_>) -> Result<Vec<Detection>, Error> {
        self.detector.detect(frame)
    }

    /// Every face the detector found the last time it ran (on a frame with no tracked face, or
    /// on [`FaceFinder::redetect`]).
    pub fn detections(&self) -> &[Detection] {
        &self.detections
    }

    /// Runs the detector on `frame` while a face is tracked, so that a second face walking in is
    /// seen; the tracked face is kept.
    pub fn redetect(&mut self, frame: &FrameView<'_>) -> Result<(), Error> {
        self.detections = self.detector.detect(frame)?;
        Ok(())
    }

    /// The main face of a still image (detected afresh, nothing tracked).
    pub fn still(&mut self, frame: &FrameView<'_>) -> Result<Option<Face>, Error> {
        self.tracked = None;
        self.next(frame)
    }

    /// The face in the next video frame: followed from the last frame's mesh when there is one,
    /// detected otherwise.
    pub fn next(&mut self, frame: &FrameView<'_>) -> Result<Option<Face>, Error> {
        if let Some((roi, detection)) = self.tracked.take() {
            if let Some((face, true)) = self.mesh_face(frame, roi, detection, None)? {
                return Ok(Some(face));
            }
        }
        // The student is the face nearest the camera: the largest one that the mesh confirms
        // (a detection on a wall, a poster's pattern or a building is not a face).
        self.detections = self.detector.detect(frame)?;
        let area = |d: &Detection| d.bbox[2] * d.bbox[3];
        let mut tried = Vec::new();
        // The largest face the mesh doubted but did not refuse (covered, perhaps): taken when it
        // confirms none.
        let mut doubted = None;
        for _ in 0..MAX_MESHED {
            // The largest not tried yet (no sort: the detections are few).
            let next = (0..self.detections.len())
                .filter(|i| !tried.contains(i))
                .max_by(|&a, &b| area(&self.detections[a]).total_cmp(&area(&self.detections[b])));
            let Some(i) = next else { break };
            tried.push(i);
            let detection = self.detections[i].clone();
            let score = detection.score;
            match self.mesh_face(frame, Roi::from_detection(&detection), detection, Some(score))? {
                Some((face, true)) => return Ok(Some(face)),
                Some((face, false)) => {
                    doubted.get_or_insert(face);
                }
                None => {}
            }
        }
        Ok(doubted)
    }

    /// The face the mesh finds in `roi`, and whether it confirms it (its presence at least
    /// [`MIN_PRESENCE`]); `None` below [`MIN_COVERED_PRESENCE`] or without a plausible geometry.
    /// Only a confirmed face is followed to the next frame.
    fn mesh_face(
        &mut self,
        frame: &FrameView<'_>,
        roi: Roi,
        detection: Detection,
        detected_score: Option<f32>,
    ) -> Result<Option<(Face, bool)>, Error> {
        let mesh = self.mesh.run(frame, roi)?;
        let confirmed = mesh.presence >= MIN_PRESENCE;
        if mesh.presence < MIN_COVERED_PRESENCE {
            return Ok(None);
        }
        let Some(measures) = Measures::of(&mesh.points) else { return Ok(None) };
        if confirmed {
            self.tracked = Roi::from_mesh(&mesh.points).map(|next| (next, detection.clone()));
        }
        let (x0, y0, x1, y1) =
            mesh.points.iter().fold((f32::MAX, f32::MAX, f32::MIN, f32::MIN), |(a, b, c, d), p| {
                (a.min(p[0]), b.min(p[1]), c.max(p[0]), d.max(p[1]))
            });
        let (bbox, keypoints) = match detected_score {
            Some(_) => (detection.bbox, detection.keypoints),
            None => ([x0, y0, x1 - x0, y1 - y0], keypoints_from_mesh(&mesh.points)),
        };
        let face = Face {
            score: detected_score.unwrap_or(mesh.presence),
            bbox,
            keypoints,
            mesh: mesh.points,
            measures,
        };
        Ok(Some((face, confirmed)))
    }
}

/// The detector's six keypoints, estimated from the mesh while tracking: eye centres, nose tip,
/// mouth centre and the face sides near the ears.
fn keypoints_from_mesh(p: &[[f32; 3]]) -> [[f32; 2]; 6] {
    let mid = |a: usize, b: usize| [(p[a][0] + p[b][0]) / 2.0, (p[a][1] + p[b][1]) / 2.0];
    let at = |a: usize| [p[a][0], p[a][1]];
    [mid(33, 133), mid(263, 362), at(1), mid(13, 14), at(234), at(454)]
}
