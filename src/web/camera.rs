//! Opening and closing the camera.

use crate::camera::{main_back_camera, CameraFailure, Facing};
use js_sys::{Array, Object, Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{DomException, MediaDeviceInfo, MediaDeviceKind, MediaDevices, MediaStream, MediaStreamTrack};

/// The camera part of the component: the stream it holds, which opening is current (a
/// `getUserMedia` that answers late is recognised and stopped), and why it last failed.
pub(super) struct Camera {
    pub(super) browser: crate::camera::Browser,
    pub(super) stream: Option<MediaStream>,
    /// Bumped on every open and stop.
    pub(super) generation: u32,
    pub(super) on_track_ended: Option<wasm_bindgen::closure::Closure<dyn FnMut()>>,
    /// When the current stream was attached (`Date.now()`), for the upload's timing.
    pub(super) opened_at: f64,
    pub(super) failure: Option<CameraFailure>,
}

impl Camera {
    pub(super) fn new(browser: crate::camera::Browser) -> Camera {
        Camera { browser, stream: None, generation: 0, on_track_ended: None, opened_at: 0.0, failure: None }
    }

    /// Whether a track is live.
    pub(super) fn active(&self) -> bool {
        self.stream.as_ref().is_some_and(|s| {
            s.get_tracks().iter().any(|t| {
                t.dyn_into::<MediaStreamTrack>()
                    .is_ok_and(|t| t.ready_state() == web_sys::MediaStreamTrackState::Live)
            })
        })
    }

    /// Stops every track and forgets the stream; an opening still under way is no longer
    /// current.
    pub(super) fn stop(&mut self, video: &web_sys::HtmlVideoElement) {
        self.generation = self.generation.wrapping_add(1);
        if let Some(stream) = self.stream.take() {
            for track in stream.get_tracks().iter() {
                if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
                    track.set_onended(None);
                }
            }
            stop(&stream);
        }
        self.on_track_ended = None;
        video.set_src_object(None);
    }
}

/// Builds a plain object from key/value pairs.
fn object(entries: &[(&str, JsValue)]) -> JsValue {
    let obj = Object::new();
    for (key, value) in entries {
        let _ = Reflect::set(&obj, &JsValue::from_str(key), value);
    }
    obj.into()
}

fn failure_of(err: JsValue) -> CameraFailure {
    match err.dyn_ref::<DomException>() {
        Some(e) => CameraFailure::from_dom_error(&e.name()),
        None => Reflect::get(&err, &JsValue::from_str("name"))
            .ok()
            .and_then(|n| n.as_string())
            .map_or(CameraFailure::Unknown, |n| CameraFailure::from_dom_error(&n)),
    }
}

/// `navigator.mediaDevices`, or why the camera cannot be reached at all.
fn media_devices() -> Result<MediaDevices, CameraFailure> {
    let window = web_sys::window().ok_or(CameraFailure::NoGetUserMedia)?;
    if !window.is_secure_context() {
        return Err(CameraFailure::InsecureContext);
    }
    let navigator = window.navigator();
    let devices = Reflect::get(&navigator, &JsValue::from_str("mediaDevices")).unwrap_or(JsValue::UNDEFINED);
    let has_gum = Reflect::get(&devices, &JsValue::from_str("getUserMedia")).is_ok_and(|f| f.is_function());
    if devices.is_undefined() || !has_gum {
        return Err(CameraFailure::NoGetUserMedia);
    }
    devices.dyn_into().map_err(|_| CameraFailure::NoGetUserMedia)
}

async fn get_user_media(devices: &MediaDevices, video: JsValue) -> Result<MediaStream, CameraFailure> {
    let constraints = object(&[("audio", JsValue::FALSE), ("video", video)]);
    let promise = devices.get_user_media_with_constraints(constraints.unchecked_ref()).map_err(failure_of)?;
    let stream = JsFuture::from(promise).await.map_err(failure_of)?;
    stream.dyn_into().map_err(|_| CameraFailure::Unknown)
}

/// The size we ask for: enough for a sharp 480×640 portrait after cropping.
fn size_constraints() -> [(&'static str, JsValue); 2] {
    [
        ("width", object(&[("ideal", JsValue::from(1280))])),
        ("height", object(&[("ideal", JsValue::from(720))])),
    ]
}

/// The camera request the loader (`element.js`) made while the WebAssembly module was loading,
/// so that the camera's start overlaps the download: taken from the element (it serves once),
/// and only when it asked for the camera facing `facing`.
pub fn take_early(host: &web_sys::HtmlElement, facing: Facing) -> Option<Promise> {
    let early = Reflect::get(host, &JsValue::from_str("_earlyCamera")).ok()?.dyn_into::<Object>().ok()?;
    let _ = Reflect::delete_property(host, &JsValue::from_str("_earlyCamera"));
    let asked = Reflect::get(&early, &JsValue::from_str("facing")).ok()?.as_string()?;
    let stream: Promise = Reflect::get(&early, &JsValue::from_str("stream")).ok()?.dyn_into().ok()?;
    if Facing::from_attribute(&asked) != facing {
        // The attribute changed since: that stream is not the one wanted.
        wasm_bindgen_futures::spawn_local(async move {
            if let Ok(stream) = JsFuture::from(stream).await.and_then(|s| s.dyn_into::<MediaStream>()) {
                self::stop(&stream);
            }
        });
        return None;
    }
    Some(stream)
}

/// Opens the camera facing `facing` (taking the `early` request's stream when it got one). For
/// the back camera, when the device labels name several back lenses, switches to the main one
/// rather than an ultra-wide or infrared lens.
pub async fn open(facing: Facing, early: Option<Promise>) -> Result<MediaStream, CameraFailure> {
    let devices = media_devices()?;
    let early = match early {
        Some(promise) => JsFuture::from(promise).await.ok().and_then(|s| s.dyn_into::<MediaStream>().ok()),
        None => None,
    };
    // Without one (or when it failed), ask here: a failure then says why.
    let stream = match early {
        Some(stream) => stream,
        None => {
            let [width, height] = size_constraints();
            let mode = object(&[("ideal", JsValue::from_str(facing.facing_mode()))]);
            get_user_media(&devices, object(&[("facingMode", mode), width, height])).await?
        }
    };
    if facing != Facing::Back {
        return Ok(stream);
    }
    let Some(main) = main_back_lens(&devices).await else {
        return Ok(stream);
    };
    if current_device_id(&stream).as_deref() == Some(main.as_str()) {
        return Ok(stream);
    }
    stop(&stream);
    let [width, height] = size_constraints();
    let exact = object(&[("exact", JsValue::from_str(&main))]);
    match get_user_media(&devices, object(&[("deviceId", exact), width, height])).await {
        Ok(main_stream) => Ok(main_stream),
        Err(_) => {
            let [width, height] = size_constraints();
            let mode = object(&[("ideal", JsValue::from_str(facing.facing_mode()))]);
            get_user_media(&devices, object(&[("facingMode", mode), width, height])).await
        }
    }
}

/// The device id of the main back lens, when the labels tell.
async fn main_back_lens(devices: &MediaDevices) -> Option<String> {
    let list = JsFuture::from(devices.enumerate_devices().ok()?).await.ok()?;
    let inputs: Vec<MediaDeviceInfo> = Array::from(&list)
        .iter()
        .filter_map(|d| d.dyn_into::<MediaDeviceInfo>().ok())
        .filter(|d| d.kind() == MediaDeviceKind::Videoinput)
        .collect();
    let labels: Vec<String> = inputs.iter().map(|d| d.label()).collect();
    main_back_camera(&labels).map(|i| inputs[i].device_id())
}

fn current_device_id(stream: &MediaStream) -> Option<String> {
    let track: MediaStreamTrack = stream.get_video_tracks().get(0).dyn_into().ok()?;
    track.get_settings().get_device_id()
}

/// Stops every track of `stream`, so the camera light goes off.
pub fn stop(stream: &MediaStream) {
    for track in stream.get_tracks().iter() {
        if let Ok(track) = track.dyn_into::<MediaStreamTrack>() {
            track.stop();
        }
    }
}

/// Why a live track ended: the permission was revoked (where the browser can tell), or the
/// camera went away.
pub async fn why_ended() -> CameraFailure {
    let denied = async {
        let navigator = web_sys::window()?.navigator();
        let permissions = Reflect::get(&navigator, &JsValue::from_str("permissions")).ok()?;
        let query: js_sys::Function =
            Reflect::get(&permissions, &JsValue::from_str("query")).ok()?.dyn_into().ok()?;
        let promise = query.call1(&permissions, &object(&[("name", JsValue::from_str("camera"))])).ok()?;
        let status = JsFuture::from(js_sys::Promise::resolve(&promise)).await.ok()?;
        let state = Reflect::get(&status, &JsValue::from_str("state")).ok()?.as_string()?;
        Some(state == "denied")
    };
    match denied.await {
        Some(true) => CameraFailure::PermissionDenied,
        _ => CameraFailure::CameraEnded,
    }
}
