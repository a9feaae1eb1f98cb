//! The model files' names, as `scripts/fetch-models` writes them into `models/` and the
//! component fetches them from its `models` base URL: spelled here once.

/// The face detector (MediaPipe's BlazeFace, short range).
pub const DETECTOR: &str = "face_detection_short_range.tflite";
/// The face mesh the judge runs, with float weights (the native builds and the tests):
/// MediaPipe's attention mesh, the 468 points with eyelids and lips placed again from crops of
/// them (and five points per iris, which the judge does not use). Its lids tell closed eyes
/// from open ones where the plain mesh's do not (docs/checks.md).
pub const MESH: &str = "face_landmark_with_attention.tflite";
/// The same mesh for the browser, packed by `scripts/fetch-models`: int8 weights, and without
/// the two iris heads (`gradcap pack-model --drop`), which nothing reads.
pub const MESH_Q8: &str = "face_landmark_with_attention.q8.tflite";
/// The selfie segmentation that cuts the student from the old background (the native builds and
/// the tests).
pub const SEGMENTATION: &str = "selfie_segmentation.tflite";
/// The same segmentation with int8 weights, packed for the browser by `scripts/fetch-models`.
pub const SEGMENTATION_Q8: &str = "selfie_segmentation.q8.tflite";
/// MediaPipe's plain 468-point mesh (float weights), which the judge ran before the attention
/// mesh: extracted by `scripts/fetch-models` for the tests and measurements that compare the two.
pub const PLAIN_MESH: &str = "face_landmark.tflite";
