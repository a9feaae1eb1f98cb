//! The component's options: element attributes, or keys of the plain class's options object.

use crate::camera::Facing;
use crate::checks::Rules;
use crate::flow::Steps;
use crate::guide::Rotation;
use crate::lang::Lang;
use crate::photo::standard::Standard;
use crate::upload::{Backoff, Endpoint};
use js_sys::Reflect;
use wasm_bindgen::JsValue;
use web_sys::HtmlElement;

/// Every option: its key in the constructor's options and its element attribute. The loader
/// (`element.js`) observes exactly these attributes and `docs/embedding.md` lists them (a test,
/// `tests/contract.rs`, holds the three together); `rules` is read before `auto-capture`, which
/// can only switch auto-capture on, and before `standard`, which replaces the rules' standard.
pub(super) const ATTRIBUTES: [(&str, &str); 13] = [
    ("lang", "lang"),
    ("facing", "facing"),
    ("rotation", "rotation"),
    ("maxFps", "max-fps"),
    ("debug", "debug"),
    ("steps", "steps"),
    ("codePattern", "code-pattern"),
    ("models", "models"),
    ("rules", "rules"),
    ("autoCapture", "auto-capture"),
    ("standard", "standard"),
    ("endpoint", "endpoint"),
    ("backoff", "backoff"),
];

/// What an integrator can set, as element attributes or as keys of the constructor's options.
pub(super) struct Options {
    pub(super) lang: Lang,
    pub(super) steps: Steps,
    pub(super) code_pattern: Option<String>,
    pub(super) models: String,
    pub(super) facing: Facing,
    pub(super) rotation: Rotation,
    pub(super) max_fps: f64,
    pub(super) max_side: u32,
    pub(super) debug: bool,
    /// The photo checks' thresholds, switched-off checks and the gate's settings, with the
    /// photo standard (`rules.standard`).
    pub(super) rules: Rules,
    /// The `standard` option, when given: it stands over the `rules`' own.
    pub(super) standard: Option<Standard>,
    /// Where confirmed photos and session lookups go.
    pub(super) endpoint: Endpoint,
    /// How uploads are retried.
    pub(super) backoff: Backoff,
    /// The integrator's `getHeaders()` (options only), for headers that change, such as tokens.
    pub(super) get_headers: Option<js_sys::Function>,
}

impl Options {
    /// Reads each option from `options` (camelCase key) or else from `host`'s attribute.
    pub(super) fn read(host: &HtmlElement, options: &JsValue) -> Options {
        let get = |key: &str, attr: &str| {
            let v = Reflect::get(options, &JsValue::from_str(key)).unwrap_or(JsValue::UNDEFINED);
            if v.is_undefined() || v.is_null() {
                host.get_attribute(attr)
            } else if v.is_object() {
                js_sys::JSON::stringify(&v).ok().and_then(|s| s.as_string())
            } else {
                v.as_string()
                    .or_else(|| v.as_f64().map(|n| n.to_string()))
                    .or_else(|| v.as_bool().map(|b| b.to_string()))
            }
        };
        let mut o = Options {
            lang: Lang::ZhCn,
            steps: Steps { capture_code: true, session: false, upload: false },
            code_pattern: None,
            models: "/models/".to_string(),
            facing: Facing::Back,
            rotation: Rotation::None,
            max_fps: 15.0,
            max_side: 640,
            debug: false,
            rules: Rules::default(),
            standard: None,
            endpoint: Endpoint::default(),
            backoff: Backoff::default(),
            get_headers: Reflect::get(options, &JsValue::from_str("getHeaders"))
                .ok()
                .and_then(|f| wasm_bindgen::JsCast::dyn_into::<js_sys::Function>(f).ok()),
        };
        for (key, attr) in ATTRIBUTES {
            let value = get(key, attr);
            // Without the attribute, `auto-capture` keeps what `rules` said.
            if value.is_some() || attr != "auto-capture" {
                o.set(attr, value.as_deref());
            }
        }
        o
    }

    /// Applies one attribute; unreadable values fall back to the default.
    pub(super) fn set(&mut self, attr: &str, value: Option<&str>) {
        match attr {
            "lang" => self.lang = Lang::from_tag(value.unwrap_or("")),
            "facing" => self.facing = Facing::from_attribute(value.unwrap_or("")),
            "rotation" => {
                self.rotation = Rotation::from_degrees(value.and_then(|v| v.trim().parse().ok()).unwrap_or(0))
            }
            "max-fps" => {
                self.max_fps = value
                    .and_then(|v| v.trim().parse().ok())
                    .filter(|f: &f64| *f > 0.0)
                    .unwrap_or(15.0)
                    .min(60.0)
            }
            "debug" => self.debug = value.is_some_and(|v| v != "false"),
            "steps" => {
                let parsed = value.map_or(Some(self.steps), Steps::parse);
                match parsed {
                    Some(steps) => self.steps = steps,
                    None => web_sys::console::warn_1(&"gradcap: unknown step in `steps`".into()),
                }
            }
            "code-pattern" => self.code_pattern = value.map(str::to_string),
            "models" => self.models = value.filter(|v| !v.is_empty()).unwrap_or("/models/").to_string(),
            "rules" => {
                let auto_capture = self.rules.auto_capture;
                self.rules = match value.map(parse_rules) {
                    None => Rules::default(),
                    Some(Ok(rules)) => rules,
                    Some(Err(e)) => {
                        web_sys::console::warn_1(&format!("gradcap: `rules` ignored: {e}").into());
                        Rules::default()
                    }
                };
                self.rules.auto_capture |= auto_capture;
                if let Some(standard) = &self.standard {
                    self.rules.standard = standard.clone();
                }
            }
            "standard" => {
                let had = self.standard.is_some();
                self.standard = value.map(parse_standard).and_then(|parsed| {
                    parsed
                        .map_err(|e| {
                            web_sys::console::warn_1(&format!("gradcap: `standard` ignored: {e}").into())
                        })
                        .ok()
                });
                // Without the attribute, the rules' own standard stays (CHSI's unless they gave one).
                if self.standard.is_some() || had {
                    self.rules.standard = self.standard.clone().unwrap_or_default();
                }
            }
            "auto-capture" => self.rules.auto_capture = value.is_some_and(|v| v != "false"),
            "endpoint" => {
                self.endpoint = match value.map(str::trim) {
                    None | Some("") => Endpoint::default(),
                    Some(json) if json.starts_with('{') => parse_json(json).unwrap_or_else(|e| {
                        web_sys::console::warn_1(&format!("gradcap: `endpoint` ignored: {e}").into());
                        Endpoint::default()
                    }),
                    Some(base) => Endpoint { base: base.to_string(), ..Endpoint::default() },
                }
            }
            "backoff" => {
                self.backoff = value.map_or(Ok(Backoff::default()), parse_json).unwrap_or_else(|e| {
                    web_sys::console::warn_1(&format!("gradcap: `backoff` ignored: {e}").into());
                    Backoff::default()
                })
            }
            _ => {}
        }
    }
}

/// Reads the `rules` option: JSON with [`Rules`]' camelCase fields, missing ones kept at their
/// defaults; a standard in it that cannot be made is refused.
fn parse_rules(json: &str) -> Result<Rules, String> {
    let rules: Rules = parse_json(json)?;
    rules.standard.check()?;
    Ok(rules)
}

/// Reads the `standard` option: JSON with [`Standard`]'s camelCase fields, missing ones CHSI's;
/// one that cannot be made is refused with its reason.
fn parse_standard(json: &str) -> Result<Standard, String> {
    let standard: Standard = parse_json(json)?;
    standard.check()?;
    Ok(standard)
}

/// Reads a JSON option into `T`.
fn parse_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, String> {
    let value = js_sys::JSON::parse(json).map_err(|_| "not JSON".to_string())?;
    serde_wasm_bindgen::from_value(value).map_err(|e| e.to_string())
}
