//! The browser shell: the only code that touches `web_sys`/`js_sys`. It opens the camera, moves
//! frames into the core, and draws, announces or sends what the core returns.

mod camera;
mod code;
mod component;
mod dom;
mod frames;

pub use component::GradCapture;

use wasm_bindgen::prelude::*;

/// Installs the panic hook once, when the module is instantiated.
#[wasm_bindgen(start)]
pub fn start() {
    console_error_panic_hook::set_once();
}

/// The component's version.
#[wasm_bindgen]
pub fn version() -> String {
    crate::VERSION.to_string()
}
