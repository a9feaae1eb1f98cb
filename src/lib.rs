//! gradcap — the camera component that helps a graduate take the CHSI degree-registration portrait
//! (学信网 毕业生学历图像采集) right the first time.
//!
//! The crate has a pure core and a thin browser shell:
//!
//! * the core ([`frame`], [`flow`], [`camera`], [`guide`], [`analysis`], [`lang`]) knows nothing of
//!   the browser, judges pixels through a borrowed [`FrameView`] and decides what happens next
//!   through the [`flow`] state machine; it is tested natively and shared with the `gradcap` CLI;
//! * the shell (`src/web/`, compiled only for `wasm32`) opens the camera, feeds frames into the core,
//!   and draws or announces what the core returns, as the `<grad-capture>` custom element.
//!
//! ```
//! use gradcap::{analysis::Analyzer, FrameView};
//!
//! // A 4×2 grey frame, RGBA.
//! let pixels = [128u8; 4 * 2 * 4];
//! let frame = FrameView::rgba(&pixels, 4, 2).unwrap();
//! let report = Analyzer::default().analyze(&frame);
//! assert_eq!(report.stats.width, 4);
//! assert!((report.stats.mean_luma - 128.0).abs() < 0.5);
//! assert!(!report.ready, "the shutter stays off until the photo is judged good");
//! ```
#![warn(missing_docs)]

pub mod analysis;
pub mod camera;
pub mod checks;
mod error;
pub mod events;
pub mod face;
pub mod flow;
pub mod frame;
pub mod guide;
pub mod lang;
pub mod pace;
pub mod photo;
pub mod qr;
pub mod upload;

pub use error::{Error, ErrorKind};
pub use frame::{Frame, FrameView};
pub use lang::Lang;

/// The component's version, sent with every upload and shown by the CLI.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

#[cfg(target_arch = "wasm32")]
pub mod web;
