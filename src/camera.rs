//! What the core knows about cameras: why opening one failed (in words a student understands),
//! which browser is asking, and which lens to pick. No browser types here; the shell passes names
//! and labels in as strings.

use crate::lang::{Lang, Text};

/// Why the camera could not be used. Each has a stable [`code`](CameraFailure::code).
///
/// A browser without WebAssembly never reaches this code: the component's loader script reports
/// that one itself, with the code `wasm.unsupported`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CameraFailure {
    /// The student or the browser refused camera access (`NotAllowedError`).
    PermissionDenied,
    /// The device has no camera (`NotFoundError`).
    NoCamera,
    /// Another app or tab holds the camera (`NotReadableError`).
    CameraBusy,
    /// No camera satisfies the requested constraints (`OverconstrainedError`).
    ConstraintsUnsatisfiable,
    /// The page is not a secure context (http on a LAN address), so the browser hides the camera.
    InsecureContext,
    /// The browser has no `navigator.mediaDevices.getUserMedia`.
    NoGetUserMedia,
    /// The camera stopped delivering frames (unplugged, or taken by the system).
    CameraEnded,
    /// Anything else the browser reported.
    Unknown,
}

/// The browser the page runs in, as far as its messages differ.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Browser {
    /// WeChat's built-in browser (iOS WKWebView or Android X5/XWeb).
    WeChat,
    /// Safari on iOS or macOS (and other iOS WebKit shells).
    Safari,
    /// Chrome, Edge and other Chromium browsers.
    Chromium,
    /// Firefox.
    Firefox,
    /// Anything else.
    Other,
}

impl Browser {
    /// Recognises the browser from its `navigator.userAgent`.
    ///
    /// ```
    /// use gradcap::camera::Browser;
    /// let wechat = "Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/107 Mobile MicroMessenger/8.0.40";
    /// assert_eq!(Browser::from_user_agent(wechat), Browser::WeChat);
    /// ```
    pub fn from_user_agent(ua: &str) -> Browser {
        if ua.contains("MicroMessenger") {
            Browser::WeChat
        } else if ua.contains("Firefox/") || ua.contains("FxiOS/") {
            Browser::Firefox
        } else if ua.contains("Chrome/") || ua.contains("Chromium/") || ua.contains("CriOS/") {
            Browser::Chromium
        } else if ua.contains("Safari/") || ua.contains("AppleWebKit/") {
            Browser::Safari
        } else {
            Browser::Other
        }
    }
}

impl CameraFailure {
    /// Every failure, in the order the documentation lists them.
    pub const ALL: [CameraFailure; 8] = [
        Self::PermissionDenied,
        Self::NoCamera,
        Self::CameraBusy,
        Self::ConstraintsUnsatisfiable,
        Self::InsecureContext,
        Self::NoGetUserMedia,
        Self::CameraEnded,
        Self::Unknown,
    ];

    /// Maps a `DOMException` name from `getUserMedia` (including old Chrome and Firefox aliases).
    pub fn from_dom_error(name: &str) -> CameraFailure {
        match name {
            "NotAllowedError" | "PermissionDeniedError" | "SecurityError" => Self::PermissionDenied,
            "NotFoundError" | "DevicesNotFoundError" => Self::NoCamera,
            "NotReadableError" | "TrackStartError" | "AbortError" => Self::CameraBusy,
            "OverconstrainedError" | "ConstraintNotSatisfiedError" => Self::ConstraintsUnsatisfiable,
            _ => Self::Unknown,
        }
    }

    /// The stable code pages switch on, e.g. `"camera.denied"`.
    pub fn code(self) -> &'static str {
        match self {
            Self::PermissionDenied => "camera.denied",
            Self::NoCamera => "camera.not_found",
            Self::CameraBusy => "camera.busy",
            Self::ConstraintsUnsatisfiable => "camera.constraints",
            Self::InsecureContext => "camera.insecure_context",
            Self::NoGetUserMedia => "camera.unsupported",
            Self::CameraEnded => "camera.ended",
            Self::Unknown => "camera.unknown",
        }
    }

    /// Whether a retry button can help. A denial cannot be re-asked by script in most browsers,
    /// but after the student changes the setting a retry does work, so it is offered too.
    pub fn retryable(self) -> bool {
        !matches!(self, Self::InsecureContext | Self::NoGetUserMedia)
    }

    /// What to tell the student, in `lang`, for the browser they are in.
    pub fn message(self, lang: Lang, browser: Browser) -> &'static str {
        self.text(browser).get(lang)
    }

    fn text(self, browser: Browser) -> Text {
        match self {
            Self::PermissionDenied => denied_text(browser),
            Self::NoCamera => Text {
                zh: "没有找到摄像头。请换一台带摄像头的手机或电脑后重试。",
                en: "No camera was found. Please use a phone or computer with a camera and try again.",
            },
            Self::CameraBusy => Text {
                zh: "摄像头正被其他应用占用。请关闭正在使用摄像头的应用（如视频通话、相机）后重试。",
                en: "The camera is in use by another app. Close apps that use the camera (video calls, the camera app) and try again.",
            },
            Self::ConstraintsUnsatisfiable => Text {
                zh: "摄像头不支持所需的拍摄设置。请点击重试，或换一个摄像头。",
                en: "The camera does not support the required settings. Tap retry or switch to another camera.",
            },
            Self::InsecureContext => Text {
                zh: "当前页面不是安全连接，浏览器不允许使用摄像头。请用 https:// 开头的地址打开本页面。",
                en: "This page is not on a secure connection, so the browser blocks the camera. Open the page at an https:// address.",
            },
            Self::NoGetUserMedia => Text {
                zh: "当前浏览器不支持调用摄像头。请在微信或手机系统浏览器（Safari、Chrome）中打开本页面。",
                en: "This browser cannot use the camera. Open the page in WeChat or the phone's own browser (Safari, Chrome).",
            },
            Self::CameraEnded => Text {
                zh: "摄像头已断开。请点击重试重新打开摄像头。",
                en: "The camera was disconnected. Tap retry to open it again.",
            },
            Self::Unknown => Text {
                zh: "调用摄像头失败。请点击重试，或关闭页面后重新打开。",
                en: "Could not open the camera. Tap retry, or close the page and open it again.",
            },
        }
    }
}

fn denied_text(browser: Browser) -> Text {
    match browser {
        Browser::WeChat => Text {
            zh: "摄像头权限被拒绝。请点击右上角 ··· → 设置 → 打开摄像头后重试。",
            en: "Camera access was denied. Tap ··· at the top right → Settings → turn on Camera, then try again.",
        },
        Browser::Safari => Text {
            zh: "摄像头权限被拒绝。请点击地址栏左侧的“大小”(aA) → 网站设置 → 相机 → 允许，然后重试。",
            en: "Camera access was denied. Tap “aA” in the address bar → Website Settings → Camera → Allow, then try again.",
        },
        Browser::Firefox => Text {
            zh: "摄像头权限被拒绝。请点击地址栏左侧的权限图标 → 允许使用摄像头，然后重试。",
            en: "Camera access was denied. Click the permissions icon in the address bar → allow the camera, then try again.",
        },
        Browser::Chromium | Browser::Other => Text {
            zh: "摄像头权限被拒绝。请点击地址栏左侧的锁形图标 → 网站设置 → 摄像头 → 允许，然后重试。",
            en: "Camera access was denied. Tap the lock icon in the address bar → Site settings → Camera → Allow, then try again.",
        },
    }
}

/// Which way the wanted camera faces.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Facing {
    /// The rear camera, held by a helper: the default for the portrait.
    #[default]
    Back,
    /// The front (selfie) camera, allowed for the desktop demo.
    Front,
}

impl Facing {
    /// The `facingMode` constraint value.
    pub fn facing_mode(self) -> &'static str {
        match self {
            Facing::Back => "environment",
            Facing::Front => "user",
        }
    }

    /// Reads an attribute value: `"front"`/`"user"` or anything else for the back camera.
    pub fn from_attribute(value: &str) -> Facing {
        match value.trim().to_ascii_lowercase().as_str() {
            "front" | "user" => Facing::Front,
            _ => Facing::Back,
        }
    }
}

/// Among the video inputs `enumerateDevices` lists (`(deviceId, label)` pairs), the index of the
/// main back lens: back-facing by label, not ultra-wide, telephoto, macro, depth or infrared.
/// `None` when the labels say nothing (before permission, or a desktop with unnamed webcams), so
/// the caller keeps what `facingMode: environment` gave.
///
/// ```
/// use gradcap::camera::main_back_camera;
/// let iphone = ["Back Ultra Wide Camera", "Back Camera", "Front Camera"];
/// assert_eq!(main_back_camera(&iphone), Some(1));
/// let android = ["camera2 1, facing front", "camera2 2, facing back", "camera2 0, facing back"];
/// assert_eq!(main_back_camera(&android), Some(2));
/// ```
pub fn main_back_camera<S: AsRef<str>>(labels: &[S]) -> Option<usize> {
    labels
        .iter()
        .enumerate()
        .filter_map(|(i, label)| back_lens_rank(label.as_ref()).map(|rank| (rank, i)))
        .min()
        .map(|(_, i)| i)
}

/// Lower is better; `None` for lenses that are not back-facing or not the main one.
fn back_lens_rank(label: &str) -> Option<(u8, u32)> {
    let l = label.to_lowercase();
    let back = ["back", "rear", "environment", "后置", "后摄"].iter().any(|w| l.contains(w));
    let odd = ["ultra", "wide angle", "tele", "macro", "depth", "infrared", " ir ", "超广角", "长焦", "微距"];
    if !back || odd.iter().any(|w| l.contains(w)) || l.ends_with(" ir") {
        return None;
    }
    // Multi-lens virtual cameras ("Dual Wide", "Triple") switch lenses themselves: second choice.
    let virtual_lens = ["dual", "triple"].iter().any(|w| l.contains(w)) as u8;
    // Android numbers its cameras: "camera2 0, facing back" is the main one.
    let number = l
        .split(|c: char| !c.is_ascii_digit())
        .filter(|s| !s.is_empty())
        .nth(usize::from(l.contains("camera2")))
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    Some((virtual_lens, number))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dom_errors_map_to_failures() {
        assert_eq!(CameraFailure::from_dom_error("NotAllowedError"), CameraFailure::PermissionDenied);
        assert_eq!(CameraFailure::from_dom_error("PermissionDeniedError"), CameraFailure::PermissionDenied);
        assert_eq!(CameraFailure::from_dom_error("NotFoundError"), CameraFailure::NoCamera);
        assert_eq!(CameraFailure::from_dom_error("NotReadableError"), CameraFailure::CameraBusy);
        assert_eq!(
            CameraFailure::from_dom_error("OverconstrainedError"),
            CameraFailure::ConstraintsUnsatisfiable
        );
        assert_eq!(CameraFailure::from_dom_error("TypeError"), CameraFailure::Unknown);
    }

    #[test]
    fn denial_guidance_depends_on_the_browser() {
        let d = CameraFailure::PermissionDenied;
        assert!(d.message(Lang::ZhCn, Browser::WeChat).contains("点击右上角 ··· → 设置 → 打开摄像头后重试"));
        assert!(d.message(Lang::ZhCn, Browser::Chromium).contains("网站设置"));
        assert!(d.message(Lang::En, Browser::Safari).contains("Website Settings"));
        assert_eq!(d.code(), "camera.denied");
    }

    #[test]
    fn every_failure_has_distinct_code_and_both_languages() {
        use CameraFailure::*;
        let all = [
            PermissionDenied,
            NoCamera,
            CameraBusy,
            ConstraintsUnsatisfiable,
            InsecureContext,
            NoGetUserMedia,
            CameraEnded,
            Unknown,
        ];
        let codes: std::collections::HashSet<_> = all.iter().map(|f| f.code()).collect();
        assert_eq!(codes.len(), all.len());
        for f in all {
            let zh = f.message(Lang::ZhCn, Browser::Other);
            assert!(zh.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{f:?} zh");
            let en = f.message(Lang::En, Browser::Other);
            assert!(!en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{f:?} en");
        }
        assert!(!InsecureContext.retryable() && PermissionDenied.retryable() && CameraBusy.retryable());
        assert!(InsecureContext.message(Lang::ZhCn, Browser::Other).contains("https"));
    }

    #[test]
    fn user_agents_are_recognised() {
        let ios_wechat = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 MicroMessenger/8.0.42";
        let safari = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Mobile/15E148 Safari/604.1";
        let chrome = "Mozilla/5.0 (Linux; Android 14) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36";
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0";
        assert_eq!(Browser::from_user_agent(ios_wechat), Browser::WeChat);
        assert_eq!(Browser::from_user_agent(safari), Browser::Safari);
        assert_eq!(Browser::from_user_agent(chrome), Browser::Chromium);
        assert_eq!(Browser::from_user_agent(firefox), Browser::Firefox);
        assert_eq!(Browser::from_user_agent("curl/8"), Browser::Other);
    }

    #[test]
    fn main_back_lens_is_preferred_over_odd_lenses() {
        let labels = ["Back Telephoto Camera", "Back Triple Camera", "Back Camera", "Front Camera"];
        assert_eq!(main_back_camera(&labels), Some(2));
        let only_virtual = ["Front Camera", "Back Dual Wide Camera", "Back Ultra Wide Camera"];
        assert_eq!(main_back_camera(&only_virtual), Some(1));
        let android_ir = ["camera2 4, facing back IR", "camera2 1, facing back", "camera2 3, facing back"];
        assert_eq!(main_back_camera(&android_ir), Some(1));
        assert_eq!(main_back_camera(&["后置超广角镜头", "后置摄像头"]), Some(1));
        assert_eq!(main_back_camera(&["", ""]), None, "labels hidden before permission");
        assert_eq!(main_back_camera(&["HD Webcam (046d:0825)"]), None);
        assert_eq!(main_back_camera::<&str>(&[]), None);
    }

    #[test]
    fn facing_reads_attributes() {
        assert_eq!(Facing::from_attribute("front"), Facing::Front);
        assert_eq!(Facing::from_attribute(" USER "), Facing::Front);
        assert_eq!(Facing::from_attribute(""), Facing::Back);
        assert_eq!(Facing::Back.facing_mode(), "environment");
    }
}
