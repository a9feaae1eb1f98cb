//! The calibration view (图像校准): after the shutter, the standard photo exactly as the school
//! will receive it, the report of the checks, and 重拍 / 确认.

use super::component::Inner;
use super::notices::{announce, Announcement};
use crate::guide::cover_crop;
use crate::photo::jpeg;
use crate::photo::selfcheck::{Fault, SelfCheck};
use crate::photo::standard::Standard;
use crate::photo::{render, standard_photo, Placement, StandardPhoto};
use crate::{Frame, FrameView};
use wasm_bindgen::{Clamped, JsCast};
use web_sys::{CanvasRenderingContext2d, ImageData};

/// The photo taken, kept for the upload.
pub(crate) struct Captured {
    /// The upload's idempotency key, fixed at the shutter: every attempt to send this photo
    /// carries it.
    pub key: String,
    /// The upload's `meta` field, as JSON.
    pub meta: String,
    /// The standard photo as a JPEG.
    pub jpeg: jpeg::Jpeg,
    /// The full frame it was cut from (upright RGBA), kept beside it for the backend.
    pub original: Frame,
}

/// Cuts the standard photo from the full-resolution frame to the standard (`rules.standard`,
/// CHSI's by default), shows it with the report, and emits `capture` `{width, height, bytes,
/// quality, faults}`. Returns `false` when there was no frame or face. A photo that fails its
/// self-check is shown with the reason and cannot be confirmed: 重拍.
pub(super) fn take_photo(inner: &mut Inner) -> bool {
    let standard = inner.options.rules.standard.clone();
    let Some(made) = make(inner, &standard) else {
        web_sys::console::error_1(&"gradcap: cannot make the photo".into());
        return false;
    };
    let (photo, original, [read_ms, make_ms]) = made;
    let encoding = super::component::now_ms();
    let working = standard.photo(&photo);
    let sized = standard.sized(&working.view());
    let Ok(file) = standard.encode_sized(&sized.view()) else { return false };
    let checking = super::component::now_ms();
    let check = self_check(inner, &working.view(), &standard);
    let encode_ms = checking - encoding;
    let check_ms = super::component::now_ms() - checking;
    inner.frames.stats.photo = Some(crate::pace::PhotoCost { read_ms, make_ms, encode_ms, check_ms });
    show(inner, &sized.view(), &file, standard.dpi);
    // A person the frame does not show whole is never offered: the part is not invented.
    let incomplete = (!photo.beyond.whole()).then_some(Fault::Incomplete);
    let found = check.iter().flat_map(|c| c.faults.iter().copied());
    let faults: Vec<&'static str> = incomplete.into_iter().chain(found).map(Fault::id).collect();
    let fault = incomplete.or_else(|| check.as_ref().and_then(|c| c.faults.first().copied()));
    if let Some(fault) = fault {
        add_line(inner, fault.id(), fault.hint().get(inner.options.lang), false);
    }
    inner.dom.confirm.set_disabled(fault.is_some());
    let (width, height) = (sized.view().width(), sized.view().height());
    let facts = Announcement::Capture {
        width,
        height,
        bytes: file.bytes.len(),
        quality: file.quality,
        faults: &faults,
    };
    announce(&inner.dom.host, facts);
    let meta = meta(inner, &sized.view(), &file, &original);
    inner.delivery.captured = Some(Captured { key: super::upload::new_key(), meta, jpeg: file, original });
    true
}

/// The upload's metadata: codes, the checks' report, the photo's facts, the live stream's timing.
fn meta(inner: &Inner, photo: &FrameView<'_>, file: &jpeg::Jpeg, original: &Frame) -> String {
    use crate::upload::{Meta, PhotoFacts, StreamFacts};
    let flow = inner.flow.as_ref();
    let meta = Meta {
        capture_code: flow.and_then(|f| f.capture_code()).map(str::to_string),
        session_code: flow.and_then(|f| f.session_code()).map(str::to_string),
        source: Meta::LIVE.into(),
        report: inner.judge.last_checks.clone(),
        photo: PhotoFacts {
            width: photo.width(),
            height: photo.height(),
            bytes: file.bytes.len(),
            quality: file.quality,
        },
        stream: StreamFacts {
            frames: inner.stats_frames(),
            fps: inner.stats_fps(),
            width: original.view().width(),
            height: original.view().height(),
            live_ms: js_sys::Date::now() - inner.camera.opened_at,
        },
        liveness: inner.judge.portrait.judge().liveness(),
        device: web_sys::window().and_then(|w| w.navigator().user_agent().ok()).unwrap_or_default(),
        component_version: crate::VERSION.into(),
        captured_at: js_sys::Date::new_0().to_iso_string().into(),
        replaces: super::returning::replacing(inner).map(|e| e.id.clone()),
    };
    let serializer = serde_wasm_bindgen::Serializer::json_compatible();
    serde::Serialize::serialize(&meta, &serializer)
        .ok()
        .and_then(|v| js_sys::JSON::stringify(&v).ok())
        .and_then(|s| s.as_string())
        .unwrap_or_else(|| "{}".into())
}

/// The standard photo and the full frame, from the current video frame and the last face, with
/// the ms the frame's reading and the photo's making took.
fn make(inner: &mut Inner, standard: &Standard) -> Option<(StandardPhoto, Frame, [f64; 2])> {
    let reading = super::component::now_ms();
    let video = inner.dom.video.clone();
    let rotation = inner.options.rotation;
    let (uw, uh) = rotation.upright_size(video.video_width() as f64, video.video_height() as f64);
    let raw = inner.frames.reader.read(&video, (uw, uh), rotation, u32::MAX).ok()??;
    let full = Frame::from_rgba(raw.rgba, raw.width, raw.height).ok()?;
    let making = super::component::now_ms();
    let face = inner.judge.face.as_ref()?;
    let analysed = inner.stats_last_size()?;
    // The analysis frame is the part of the video the view shows (`object-fit: cover`), scaled.
    let (view_w, view_h) = inner.dom.view_size();
    let crop = cover_crop(uw, uh, view_w, view_h);
    let factor = crop.w / analysed.0 as f64;
    let mut placement = Placement::for_standard(face, standard).scaled(factor);
    placement.eyes = [placement.eyes[0] + crop.x, placement.eyes[1] + crop.y];
    let made = match inner.judge.segmenter.as_mut() {
        Some(segmenter) => {
            standard_photo(&full.view(), placement, inner.judge.faces.as_mut(), segmenter).ok()?
        }
        // Without the segmentation model the cut is shown as it is, background and all.
        None => {
            let cut = render(&full.view(), &placement);
            let mask = crate::photo::segment::Mask { width: 480, height: 640, values: vec![1.0; 480 * 640] };
            StandardPhoto { photo: cut.clone(), cut, placement, mask, beyond: Default::default() }
        }
    };
    Some((made, full, [making - reading, super::component::now_ms() - making]))
}

/// The working-size photo's self-check against `standard`, with the face and the person found
/// on it again; `None` without the models (the photo is then offered as it is).
fn self_check(inner: &mut Inner, photo: &FrameView<'_>, standard: &Standard) -> Option<SelfCheck> {
    let (faces, segmenter) = (inner.judge.faces.as_mut()?, inner.judge.segmenter.as_mut()?);
    SelfCheck::again(photo, faces, segmenter, standard).ok()
}

/// Adds a line to the report under the photo: `id` the check's or fault's name, `text` its words.
fn add_line(inner: &Inner, id: &str, text: &str, pass: bool) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else { return };
    let Ok(item) = document.create_element("li") else { return };
    item.set_text_content(Some(&format!("{} {text}", if pass { "✓" } else { "✗" })));
    let _ = item.set_attribute("data-check", id);
    let _ = item.set_attribute("class", if pass { "pass" } else { "fail" });
    let _ = inner.dom.report.append_child(&item);
}

/// Draws the photo into the calibration view and writes the report under it.
fn show(inner: &Inner, photo: &FrameView<'_>, file: &jpeg::Jpeg, dpi: u16) {
    let canvas = &inner.dom.photo;
    canvas.set_width(photo.width());
    canvas.set_height(photo.height());
    let pixels: Vec<u8> = (0..photo.height()).flat_map(|y| photo.row(y).to_vec()).collect();
    let drawn = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
        .zip(
            ImageData::new_with_u8_clamped_array_and_sh(Clamped(&pixels), photo.width(), photo.height()).ok(),
        )
        .map(|(ctx, data)| ctx.put_image_data(&data, 0.0, 0.0));
    if !matches!(drawn, Some(Ok(()))) {
        web_sys::console::error_1(&"gradcap: cannot show the photo".into());
    }
    let lang = inner.options.lang;
    let (pixels_word, quality_word) = match lang {
        crate::Lang::ZhCn => ("像素", "JPEG 质量"),
        crate::Lang::En => ("px", "JPEG quality"),
    };
    let facts = format!(
        "{}×{} {pixels_word} · {:.1} KB · {quality_word} {} · {} dpi",
        photo.width(),
        photo.height(),
        file.bytes.len() as f64 / 1024.0,
        file.quality,
        dpi
    );
    inner.dom.photo_facts.set_text_content(Some(&facts));
    inner.dom.report.set_inner_html("");
    for check in &inner.judge.last_checks {
        add_line(inner, check.id.id(), check.id.name().get(lang), check.pass);
    }
}
