//! Finding the face and its landmarks: a small engine for MediaPipe's `.tflite` models, the
//! BlazeFace detector and the 468-point face mesh.

pub mod detect;
pub mod engine;
pub mod tflite;
