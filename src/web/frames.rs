//! Reading camera frames: the part of the video the student sees, upright and downscaled, as RGBA.

use crate::guide::{analysis_size, cover_crop, Rotation};
use js_sys::Reflect;
use std::f64::consts::{FRAC_PI_2, PI};
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{CanvasRenderingContext2d, ContextAttributes2d, Document, HtmlCanvasElement, HtmlVideoElement};

/// `HAVE_CURRENT_DATA`: the video has a frame to draw.
pub(super) const HAVE_CURRENT_DATA: u16 = 2;

/// An off-screen canvas the frames are drawn into and read back from.
pub struct FrameReader {
    canvas: HtmlCanvasElement,
    ctx: CanvasRenderingContext2d,
}

/// What paces the frame loop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Clock {
    /// Not known yet: the video's frame callback is asked for, and a timer stands by in case it
    /// never comes (WebKitGTK has `requestVideoFrameCallback` but never calls it for a canvas's
    /// stream), judging frames meanwhile.
    Unknown,
    /// The video's own frames (`requestVideoFrameCallback`).
    Video,
    /// Animation frames: the video's frame callback did not come.
    Animation,
}

/// How long after the video has a frame its frame callback may take to come before animation
/// frames pace the loop, ms.
pub(super) const VIDEO_CLOCK_WAIT_MS: f64 = 500.0;

/// While the clock is not known, how often the timer standing by runs the loop, ms: the first
/// frames are judged at once rather than after [`VIDEO_CLOCK_WAIT_MS`] (WebKitGTK's first face
/// came ~0.8 s after its camera opened).
pub(super) const STAND_BY_TICK_MS: i32 = 33;

/// The frame loop: the reader, which loop is current (a tick from an older one does nothing),
/// what paces it, and its pace.
pub(super) struct FrameLoop {
    pub(super) reader: FrameReader,
    /// Bumped whenever the loop starts or stops.
    pub(super) loop_id: u32,
    pub(super) running: bool,
    pub(super) clock: Clock,
    /// When the timer standing by first found a frame in the video (the page's clock, ms).
    pub(super) video_since: Option<f64>,
    pub(super) stats: crate::pace::LoopStats,
}

impl FrameLoop {
    pub(super) fn new(reader: FrameReader) -> FrameLoop {
        FrameLoop {
            reader,
            loop_id: 0,
            running: false,
            clock: Clock::Unknown,
            video_since: None,
            stats: Default::default(),
        }
    }

    /// Starts a new loop (on a new stream, the clock found again); its id.
    pub(super) fn start(&mut self) -> u32 {
        self.loop_id = self.loop_id.wrapping_add(1);
        self.running = true;
        self.clock = Clock::Unknown;
        self.video_since = None;
        self.loop_id
    }

    /// Stops the loop (its pending tick will do nothing).
    pub(super) fn stop(&mut self) {
        self.loop_id = self.loop_id.wrapping_add(1);
        self.running = false;
    }

    /// Whether loop `id` is the one running.
    pub(super) fn is_current(&self, id: u32) -> bool {
        self.running && self.loop_id == id
    }
}

/// One frame read for analysis.
pub struct RawFrame {
    pub rgba: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl FrameReader {
    pub fn new(document: &Document) -> Result<FrameReader, JsValue> {
        let canvas: HtmlCanvasElement = document.create_element("canvas")?.dyn_into()?;
        let attrs = ContextAttributes2d::new();
        attrs.set_will_read_frequently(true);
        let ctx = canvas
            .get_context_with_context_options("2d", &attrs)?
            .ok_or("no 2d context")?
            .dyn_into::<CanvasRenderingContext2d>()?;
        Ok(FrameReader { canvas, ctx })
    }

    /// Reads what a `view_w`×`view_h` view shows of `video` (`object-fit: cover`), turned upright,
    /// with its longer side at most `max_side`. `None` while the video has no frame yet.
    pub fn read(
        &self,
        video: &HtmlVideoElement,
        (view_w, view_h): (f64, f64),
        rotation: Rotation,
        max_side: u32,
    ) -> Result<Option<RawFrame>, JsValue> {
        let (vw, vh) = (video.video_width() as f64, video.video_height() as f64);
        if video.ready_state() < HAVE_CURRENT_DATA || vw < 1.0 || vh < 1.0 || view_w < 1.0 || view_h < 1.0 {
            return Ok(None);
        }
        let (uw, uh) = rotation.upright_size(vw, vh);
        let crop = cover_crop(uw, uh, view_w, view_h);
        let (width, height) = analysis_size(crop.w, crop.h, max_side);
        if self.canvas.width() != width || self.canvas.height() != height {
            self.canvas.set_width(width);
            self.canvas.set_height(height);
        }
        self.ctx.set_transform(1.0, 0.0, 0.0, 1.0, 0.0, 0.0)?;
        self.ctx.scale(width as f64 / crop.w, height as f64 / crop.h)?;
        self.ctx.translate(-crop.x, -crop.y)?;
        draw_upright(&self.ctx, video, rotation, vw, vh)?;
        let data = self.ctx.get_image_data(0.0, 0.0, width as f64, height as f64)?;
        Ok(Some(RawFrame { rgba: data.data().0, width, height }))
    }
}

/// Draws `video` (`vw`×`vh`) onto `ctx` turned by `rotation`, its upright top-left at the origin.
pub fn draw_upright(
    ctx: &CanvasRenderingContext2d,
    video: &HtmlVideoElement,
    rotation: Rotation,
    vw: f64,
    vh: f64,
) -> Result<(), JsValue> {
    match rotation {
        Rotation::None => {}
        Rotation::Cw90 => {
            ctx.translate(vh, 0.0)?;
            ctx.rotate(FRAC_PI_2)?;
        }
        Rotation::Cw180 => {
            ctx.translate(vw, vh)?;
            ctx.rotate(PI)?;
        }
        Rotation::Cw270 => {
            ctx.translate(0.0, vw)?;
            ctx.rotate(-FRAC_PI_2)?;
        }
    }
    ctx.draw_image_with_html_video_element(video, 0.0, 0.0)
}

/// Asks for `callback` on the next video frame (`requestVideoFrameCallback`), or on the next
/// animation frame where the browser lacks it (or `animation`).
pub fn request_frame(
    video: &HtmlVideoElement,
    callback: &js_sys::Function,
    animation: bool,
) -> Result<(), JsValue> {
    let rvfc = Reflect::get(video, &JsValue::from_str("requestVideoFrameCallback"))?;
    match rvfc.dyn_ref::<js_sys::Function>() {
        Some(rvfc) if !animation => {
            rvfc.call1(video, callback)?;
        }
        _ => {
            web_sys::window().ok_or("no window")?.request_animation_frame(callback)?;
        }
    }
    Ok(())
}
