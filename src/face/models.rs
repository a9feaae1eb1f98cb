//! The model files' names, as `scripts/fetch-models` writes them into `models/` and the
//! component fetches them from its `models` base URL: spelled here once.

/// The face detector (MediaPipe's BlazeFace, short range).
pub const DETECTOR: &str = "face_detection_short_range.tflite";
/// The 468-point face mesh with float weights (the native builds and the tests).
pub const MESH: &str = "face_landmark.tflite";
/// The same mesh with int8 weights, packed for the browser by `scripts/fetch-models`.
pub const MESH_Q8: &str = "face_landmark.q8.tflite";
/// The selfie segmentation that cuts the student from the old background (the native builds and
/// the tests).
pub const SEGMENTATION: &str = "selfie_segmentation.tflite";
/// The same segmentation with int8 weights, packed for the browser by `scripts/fetch-models`.
pub const SEGMENTATION_Q8: &str = "selfie_segmentation.q8.tflite";
/// MediaPipe's attention mesh (the 468 points with refined eyes and lips, and five points per
/// iris), with float weights: extracted by `scripts/fetch-models` for the native tests and
/// measurements; the component does not load it yet.
pub const ATTENTION_MESH: &str = "face_landmark_with_attention.tflite";
