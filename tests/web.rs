//! Browser tests: the component in headless Chromium with a fake camera that plays
//! `/tmp/gradcap-test/halves.y4m` (left half luma 60, right half 190; made by `gradcap-fixtures`,
//! passed to Chromium by `webdriver.json`). Run by `scripts/test`.
#![cfg(target_arch = "wasm32")]

use gradcap::web::GradCapture;
use js_sys::{Promise, Reflect};
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use wasm_bindgen_test::*;
use web_sys::HtmlElement;

wasm_bindgen_test_configure!(run_in_browser);

/// The fake camera's halves after Chromium's BT.601 video-range conversion.
const LEFT_LUMA: f64 = (60.0 - 16.0) * 255.0 / 219.0;
const RIGHT_LUMA: f64 = (190.0 - 16.0) * 255.0 / 219.0;

async fn sleep(ms: i32) {
    let promise = Promise::new(&mut |resolve, _| {
        web_sys::window()
            .unwrap()
            .set_timeout_with_callback_and_timeout_and_arguments_0(&resolve, ms)
            .unwrap();
    });
    JsFuture::from(promise).await.unwrap();
}

fn number(obj: &JsValue, path: &[&str]) -> f64 {
    let value = path.iter().fold(obj.clone(), |v, key| Reflect::get(&v, &JsValue::from_str(key)).unwrap());
    value.as_f64().unwrap_or(f64::NAN)
}

/// Options that skip the capture-code step: these tests are about the camera and the frame loop.
fn portrait_only() -> JsValue {
    let options = js_sys::Object::new();
    Reflect::set(&options, &"steps".into(), &"portrait".into()).unwrap();
    options.into()
}

fn host(width: u32, height: u32) -> HtmlElement {
    let document = web_sys::window().unwrap().document().unwrap();
    let host: HtmlElement = document.create_element("div").unwrap().dyn_into().unwrap();
    host.style().set_property("width", &format!("{width}px")).unwrap();
    host.style().set_property("height", &format!("{height}px")).unwrap();
    document.body().unwrap().append_child(&host).unwrap();
    host
}

/// Waits (at most 15 s) until the component has analysed more than `after` frames.
async fn frames_after(capture: &GradCapture, after: f64) -> JsValue {
    for _ in 0..300 {
        let stats = capture.stats();
        if number(&stats, &["frames"]) > after {
            return stats;
        }
        sleep(50).await;
    }
    panic!("no frames analysed after {after} (state {})", capture.state());
}

fn shutter_disabled(host: &HtmlElement) -> bool {
    host.shadow_root().unwrap().get_element_by_id("shutter").unwrap().has_attribute("disabled")
}

#[wasm_bindgen_test]
async fn fake_camera_frames_reach_the_core_and_stop_with_the_component() {
    let host = host(390, 700);
    let capture = GradCapture::new(host.clone(), portrait_only()).unwrap();
    assert_eq!(capture.state(), "idle");
    capture.connect();
    let stats = frames_after(&capture, 3.0).await;
    assert_eq!(capture.state(), "framing");
    assert!(capture.camera_active());
    assert!(shutter_disabled(&host), "no frame is ready until the face checks pass");
    let (left, right) = (number(&stats, &["last", "leftLuma"]), number(&stats, &["last", "rightLuma"]));
    assert!((left - LEFT_LUMA).abs() < 6.0, "left {left}");
    assert!((right - RIGHT_LUMA).abs() < 6.0, "right {right}");
    let (w, h) = (number(&stats, &["last", "width"]), number(&stats, &["last", "height"]));
    assert!((w / h - 390.0 / 700.0).abs() < 0.02, "analysed {w}×{h} shows what the view shows");

    capture.disconnect();
    assert_eq!(capture.state(), "stopped");
    assert!(!capture.camera_active(), "every track stops when the component is removed");
    let frozen = number(&capture.stats(), &["frames"]);
    sleep(300).await;
    assert_eq!(number(&capture.stats(), &["frames"]), frozen, "the frame loop stops too");

    capture.connect();
    frames_after(&capture, frozen).await;
    assert!(capture.camera_active(), "re-attaching reopens the camera");
    capture.disconnect();
    host.remove();
}

#[wasm_bindgen_test]
async fn switching_cameras_reopens_the_stream_and_keeps_framing() {
    let host = host(390, 700);
    let capture = GradCapture::new(host.clone(), portrait_only()).unwrap();
    capture.connect();
    let before = number(&frames_after(&capture, 1.0).await, &["frames"]);
    capture.set_option("facing", Some("front".into()));
    assert_eq!(capture.state(), "opening");
    frames_after(&capture, before).await;
    assert_eq!(capture.state(), "framing");
    assert!(capture.camera_active());
    capture.disconnect();
    host.remove();
}

#[wasm_bindgen_test]
async fn rotated_frames_are_turned_upright_before_analysis() {
    let host = host(390, 700);
    let options = portrait_only();
    Reflect::set(&options, &"rotation".into(), &"90".into()).unwrap();
    let capture = GradCapture::new(host.clone(), options).unwrap();
    capture.connect();
    let stats = frames_after(&capture, 3.0).await;
    // Turned a quarter, the camera's left/right halves become top/bottom: both sides now mix them.
    let (left, right) = (number(&stats, &["last", "leftLuma"]), number(&stats, &["last", "rightLuma"]));
    assert!((left - right).abs() < 8.0, "left {left} right {right}");
    let (w, h) = (number(&stats, &["last", "width"]), number(&stats, &["last", "height"]));
    assert!(h > w, "upright portrait frame, got {w}×{h}");
    capture.disconnect();
    host.remove();
}

#[wasm_bindgen_test]
async fn english_labels_and_no_failure_panel_when_the_camera_opens() {
    let host = host(320, 480);
    let options = portrait_only();
    Reflect::set(&options, &"lang".into(), &"en".into()).unwrap();
    let capture = GradCapture::new(host.clone(), options).unwrap();
    capture.connect();
    frames_after(&capture, 1.0).await;
    let root = host.shadow_root().unwrap();
    assert!(root.get_element_by_id("failure").unwrap().has_attribute("hidden"));
    assert_eq!(root.get_element_by_id("shutter").unwrap().text_content().unwrap(), "Take photo");
    capture.disconnect();
    host.remove();
}

#[wasm_bindgen_test]
async fn by_default_the_capture_code_comes_first() {
    let host = host(390, 700);
    let capture = GradCapture::new(host.clone(), JsValue::UNDEFINED).unwrap();
    capture.connect();
    frames_after(&capture, 2.0).await;
    assert_eq!(capture.state(), "code", "no code in the fake camera's frames: still scanning");
    let guidance = host.shadow_root().unwrap().get_element_by_id("guidance").unwrap().text_content().unwrap();
    assert!(guidance.contains("采集码"), "{guidance}");
    capture.disconnect();
    host.remove();
}

#[wasm_bindgen_test]
fn a_malformed_code_pattern_is_refused() {
    let options = js_sys::Object::new();
    Reflect::set(&options, &"codePattern".into(), &"([".into()).unwrap();
    assert!(GradCapture::new(host(100, 100), options.into()).is_err());
}
