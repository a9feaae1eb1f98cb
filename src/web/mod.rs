//! The browser shell: the only code that touches `web_sys`/`js_sys`. It opens the camera, moves
//! frames into the core, and draws, announces or sends what the core returns.

mod camera;
mod code;
mod component;
mod dom;
mod faces;
mod frames;
mod judging;
mod notices;
mod options;
mod outbox;
mod returning;
mod review;
mod upload;

pub use component::GradCapture;

use wasm_bindgen::prelude::*;

/// Installs the panic hook once, when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// Decodes every QR code in an RGBA image (such as `ImageData.data`), trying every pass at
/// several scales: `[{text, corners: [[x, y] ×4]}]`, empty when there is none.
#[wasm_bindgen(js_name = decodeImage)]
pub fn decode_image(rgba: &[u8], width: u32, height: u32) -> Result<JsValue, JsError> {
    let frame = crate::FrameView::rgba(rgba, width, height).map_err(|e| JsError::new(&e.to_string()))?;
    serde_wasm_bindgen::to_value(&crate::qr::decode(&frame)).map_err(|e| JsError::new(&e.to_string()))
}

/// The face models in the browser, for pages and workers that want faces without the element.
#[wasm_bindgen]
pub struct FaceAnalyzer {
    finder: crate::face::FaceFinder,
    /// The main face of the last `analyze`, and every face the detector found there.
    last: Option<(crate::face::Face, Vec<crate::face::detect::Detection>)>,
}

#[wasm_bindgen]
impl FaceAnalyzer {
    /// Loads the detector and the mesh from the bytes of their `.tflite` files.
    #[wasm_bindgen(constructor)]
    pub fn new(detector: &[u8], mesh: &[u8]) -> Result<FaceAnalyzer, JsError> {
        let finder =
            crate::face::FaceFinder::new(detector, mesh).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(FaceAnalyzer { finder, last: None })
    }

    /// Every face the detector finds in an RGBA image: `[{score, box, keypoints}]`, best first.
    pub fn detect(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<JsValue, JsError> {
        let frame = crate::FrameView::rgba(rgba, width, height).map_err(|e| JsError::new(&e.to_string()))?;
        let found = self.finder.detect_all(&frame).map_err(|e| JsError::new(&e.to_string()))?;
        serde_wasm_bindgen::to_value(&found).map_err(|e| JsError::new(&e.to_string()))
    }

    /// The main face of a still RGBA image with its mesh and measures, or `null`.
    pub fn analyze(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<JsValue, JsError> {
        let frame = crate::FrameView::rgba(rgba, width, height).map_err(|e| JsError::new(&e.to_string()))?;
        let face = self.finder.still(&frame).map_err(|e| JsError::new(&e.to_string()))?;
        self.last = face.clone().map(|f| (f, self.finder.detections().to_vec()));
        serde_wasm_bindgen::to_value(&face).map_err(|e| JsError::new(&e.to_string()))
    }

    /// The photo checks of docs/standard.md §2 on an RGBA image judged as a still, with the face that the
    /// last `analyze` found (no face inference here): `[{id, pass, score, value}]`.
    pub fn judge(&self, rgba: &[u8], width: u32, height: u32, rules: JsValue) -> Result<JsValue, JsError> {
        let frame = crate::FrameView::rgba(rgba, width, height).map_err(|e| JsError::new(&e.to_string()))?;
        let rules: crate::checks::Rules = if rules.is_undefined() || rules.is_null() {
            crate::checks::Rules::default()
        } else {
            serde_wasm_bindgen::from_value(rules).map_err(|e| JsError::new(&e.to_string()))?
        };
        let (face, detections) = match &self.last {
            Some((face, detections)) => (Some(face), detections.as_slice()),
            None => (None, &[][..]),
        };
        let checks = crate::checks::judge(&crate::checks::Scene::still(frame, detections, face), &rules);
        serde_wasm_bindgen::to_value(&checks).map_err(|e| JsError::new(&e.to_string()))
    }
}

/// The component's per-frame work without the camera, for benchmarks and workers: the core's
/// [`Portrait`](crate::analysis::Portrait) pipeline the component runs (the face followed from
/// frame to frame, every check, the gate), or the capture-code scan.
#[wasm_bindgen]
pub struct Pipeline {
    finder: crate::face::FaceFinder,
    portrait: crate::analysis::Portrait,
    scanner: crate::qr::Scanner,
}

#[wasm_bindgen]
impl Pipeline {
    /// Loads the face models from the bytes of their `.tflite` files.
    #[wasm_bindgen(constructor)]
    pub fn new(detector: &[u8], mesh: &[u8]) -> Result<Pipeline, JsError> {
        let finder =
            crate::face::FaceFinder::new(detector, mesh).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(Pipeline {
            finder,
            portrait: crate::analysis::Portrait::new(crate::checks::Rules::default()),
            scanner: crate::qr::Scanner::default(),
        })
    }

    /// One portrait frame (RGBA) at `now_ms`, as the component judges it, the frame showing
    /// exactly the view (the guide laid out on it): the gate's state, `waiting`, `holding` or
    /// `ready`.
    pub fn portrait(&mut self, rgba: &[u8], width: u32, height: u32, now_ms: f64) -> Result<String, JsError> {
        let frame = crate::FrameView::rgba(rgba, width, height).map_err(|e| JsError::new(&e.to_string()))?;
        let guide = crate::guide::Guide::layout(width as f64, height as f64, crate::guide::GUIDE_MARGIN);
        let seen = self.portrait.frame(&frame, Some(&mut self.finder), guide, now_ms);
        if let Some(e) = seen.failure {
            return Err(JsError::new(&e.to_string()));
        }
        let state = seen.judgement.map(|j| j.verdict.state);
        Ok(match state {
            Some(crate::checks::GateState::Holding { .. }) => "holding",
            Some(crate::checks::GateState::Ready) => "ready",
            _ => "waiting",
        }
        .into())
    }

    /// One frame of the capture-code step (RGBA): the number of codes read.
    pub fn scan(&mut self, rgba: &[u8], width: u32, height: u32) -> Result<u32, JsError> {
        let frame = crate::FrameView::rgba(rgba, width, height).map_err(|e| JsError::new(&e.to_string()))?;
        Ok(self.scanner.scan(&frame).len() as u32)
    }
}

/// The size of this module's memory, bytes (to watch for growth).
#[wasm_bindgen(js_name = wasmMemoryBytes)]
pub fn wasm_memory_bytes() -> f64 {
    wasm_bindgen::memory()
        .unchecked_into::<js_sys::WebAssembly::Memory>()
        .buffer()
        .unchecked_into::<js_sys::ArrayBuffer>()
        .byte_length() as f64
}

/// The model files the browser loads from the `models` base URL, by role (`detector`, `mesh`,
/// `segmentation`): the names of [`crate::face::models`], for pages that load them themselves.
#[wasm_bindgen(js_name = modelFiles)]
pub fn model_files() -> js_sys::Object {
    use crate::face::models::{DETECTOR, MESH_Q8, SEGMENTATION_Q8};
    let files = js_sys::Object::new();
    for (role, file) in [("detector", DETECTOR), ("mesh", MESH_Q8), ("segmentation", SEGMENTATION_Q8)] {
        let _ = js_sys::Reflect::set(&files, &role.into(), &file.into());
    }
    files
}

/// The component's version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}
