//! Faces in the shell: loading the models and the debug drawing (the face is found in each frame
//! by the core's portrait pipeline).

use super::component::{dispatch, Inner};
use super::dom::Dom;
use crate::face::{Face, FaceFinder};
use crate::flow::Event;
// The model files, under the `models` base URL: the detector as MediaPipe ships it, the mesh with
// int8 weights (`gradcap pack-model`: half the download, points within 0.4 % of the face width),
// and the person segmentation for the standard photo's background, packed the same way (212 → 131
// KB gzipped; tests/composite.rs holds it to the same floors as the float weights).
use crate::face::models::{DETECTOR, MESH_Q8 as MESH, SEGMENTATION_Q8 as SEGMENTATION};
use js_sys::Uint8Array;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement, Response};

/// Starts downloading `url` (the request is sent at once; the bytes come with [`bytes_of`]).
fn start_fetch(url: &str) -> Result<(String, js_sys::Promise), JsValue> {
    let window = web_sys::window().ok_or("no window")?;
    Ok((url.to_string(), window.fetch_with_str(url)))
}

/// The body of a download [`start_fetch`] started.
async fn bytes_of((url, response): (String, js_sys::Promise)) -> Result<Vec<u8>, JsValue> {
    // A dropped connection or a CSP refusal rejects the fetch without naming the URL.
    let fetched =
        JsFuture::from(response).await.map_err(|e| JsValue::from_str(&format!("{url}: {}", reason(&e))))?;
    let response: Response = fetched.dyn_into()?;
    if !response.ok() {
        return Err(JsValue::from_str(&format!("{url}: HTTP {}", response.status())));
    }
    let buffer = JsFuture::from(response.array_buffer()?).await?;
    Ok(Uint8Array::new(&buffer).to_vec())
}

/// A failure's words: an `Error`'s message, a string as it is.
fn reason(e: &JsValue) -> String {
    e.dyn_ref::<js_sys::Error>()
        .map(|e| String::from(e.message()))
        .or_else(|| e.as_string())
        .unwrap_or_else(|| "failed".into())
}

/// Fetches the face models from the `models` base URL and builds the finder (until then frames
/// are judged without a face), then the segmentation; tells the flow when all are loaded or one
/// failed (the flow's `LoadModels`).
pub(super) fn load(rc: &Rc<RefCell<Inner>>) {
    let base = rc.borrow().options.models.clone();
    rc.borrow_mut().judge.model_failure = None;
    let weak = Rc::downgrade(rc);
    wasm_bindgen_futures::spawn_local(async move {
        let join = |name: &str| format!("{}/{name}", base.trim_end_matches('/'));
        let loaded = async {
            // Both downloads at once.
            let (detector, mesh) = (start_fetch(&join(DETECTOR))?, start_fetch(&join(MESH))?);
            let (detector, mesh) = (bytes_of(detector).await?, bytes_of(mesh).await?);
            FaceFinder::new(&detector, &mesh).map_err(|e| JsValue::from_str(&e.to_string()))
        };
        let result = loaded.await;
        let Some(rc) = weak.upgrade() else { return };
        if rc.borrow().options.models != base {
            return; // the `models` option changed meanwhile: its own load takes over
        }
        match result {
            Ok(finder) => rc.borrow_mut().judge.faces = Some(finder),
            Err(e) => {
                web_sys::console::error_2(&"gradcap: cannot load the face models".into(), &e);
                rc.borrow_mut().judge.model_failure = Some(reason(&e));
                dispatch(&rc, Event::ModelsFailed);
                return;
            }
        }
        drop(rc);
        // The segmentation model is needed only at the shutter: fetched after the face models.
        let segmenter = async {
            let bytes = bytes_of(start_fetch(&join(SEGMENTATION))?).await?;
            crate::photo::segment::Segmenter::new(&bytes).map_err(|e| JsValue::from_str(&e.to_string()))
        }
        .await;
        let Some(rc) = weak.upgrade() else { return };
        if rc.borrow().options.models != base {
            return;
        }
        match segmenter {
            Ok(segmenter) => {
                rc.borrow_mut().judge.segmenter = Some(segmenter);
                dispatch(&rc, Event::ModelsLoaded);
                drop(rc);
                rehearse(weak).await;
            }
            Err(e) => {
                web_sys::console::error_2(&"gradcap: cannot load the segmentation model".into(), &e);
                rc.borrow_mut().judge.model_failure = Some(reason(&e));
                dispatch(&rc, Event::ModelsFailed);
            }
        }
    });
}

/// Pause before each step of the rehearsal, ms: the frame loop and the page run between them.
const REHEARSAL_PAUSE_MS: f64 = 250.0;

/// Rehearses the photo's making once, a step at a time ([`crate::photo::rehearsal`]), so that the
/// shutter meets code an engine compiling in tiers (WebKit) has already optimised. Stops when the
/// component is gone, its models are not there or a photo has been taken meanwhile (the code is
/// warm).
async fn rehearse(weak: std::rc::Weak<RefCell<Inner>>) {
    use crate::photo::rehearsal::{Rehearsal, Step};
    let mut rehearsal = Rehearsal::default();
    let mut spent = [0.0; 5];
    for (i, step) in Step::ALL.into_iter().enumerate() {
        super::upload::sleep(REHEARSAL_PAUSE_MS).await;
        let Some(rc) = weak.upgrade() else { return };
        let mut inner = rc.borrow_mut();
        if inner.frames.stats.photo.is_some() {
            return;
        }
        let standard = inner.options.rules.standard.clone();
        let judge = &mut inner.judge;
        let (Some(segmenter), Some(faces)) = (judge.segmenter.as_mut(), judge.faces.as_mut()) else { return };
        let started = super::component::now_ms();
        if let Err(e) = rehearsal.run(step, segmenter, faces, &standard) {
            web_sys::console::warn_1(&format!("gradcap: the photo's rehearsal stopped: {e}").into());
            return;
        }
        spent[i] = super::component::now_ms() - started;
        inner.frames.stats.rehearsal = Some(spent);
    }
}

/// Draws the face box, the six keypoints and the mesh over the camera view (debug switch).
pub(super) fn draw(dom: &Dom, face: Option<&Face>, (fw, fh): (u32, u32)) {
    let canvas: &HtmlCanvasElement = &dom.debug_canvas;
    let (vw, vh) = dom.view_size();
    let (w, h) = (vw.round() as u32, vh.round() as u32);
    if canvas.width() != w || canvas.height() != h {
        canvas.set_width(w);
        canvas.set_height(h);
    }
    let Some(ctx) =
        canvas.get_context("2d").ok().flatten().and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    ctx.clear_rect(0.0, 0.0, vw, vh);
    let Some(face) = face else { return };
    // The analysis frame shows exactly the view, scaled.
    let (sx, sy) = (vw / fw as f64, vh / fh as f64);
    ctx.set_fill_style_str("rgba(80, 220, 255, 0.8)");
    for p in &face.mesh {
        ctx.fill_rect(p[0] as f64 * sx - 1.0, p[1] as f64 * sy - 1.0, 2.0, 2.0);
    }
    ctx.set_fill_style_str("#ff3b30");
    for p in &face.keypoints {
        ctx.fill_rect(p[0] as f64 * sx - 3.0, p[1] as f64 * sy - 3.0, 6.0, 6.0);
    }
    ctx.set_stroke_style_str("#ffcc00");
    ctx.set_line_width(2.0);
    let [x, y, bw, bh] = face.bbox.map(f64::from);
    ctx.stroke_rect(x * sx, y * sy, bw * sx, bh * sy);
}
