//! The languages the component speaks to students in.

/// A user-facing language. Simplified Chinese is the default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Lang {
    /// 简体中文 (`zh-CN`), the default.
    #[default]
    ZhCn,
    /// English (`en`).
    En,
}

impl Lang {
    /// Reads a BCP 47 tag such as `"en-US"` or `"zh-CN"`; anything not English is Chinese.
    ///
    /// ```
    /// use gradcap::Lang;
    /// assert_eq!(Lang::from_tag("en-GB"), Lang::En);
    /// assert_eq!(Lang::from_tag("zh"), Lang::ZhCn);
    /// assert_eq!(Lang::from_tag(""), Lang::ZhCn);
    /// ```
    pub fn from_tag(tag: &str) -> Lang {
        let primary = tag.split(['-', '_']).next().unwrap_or("");
        if primary.eq_ignore_ascii_case("en") {
            Lang::En
        } else {
            Lang::ZhCn
        }
    }

    /// The tag to put in `lang` attributes.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::ZhCn => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// A sentence in both languages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Text {
    /// Simplified Chinese.
    pub zh: &'static str,
    /// English.
    pub en: &'static str,
}

impl Text {
    /// The sentence in `lang`.
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::ZhCn => self.zh,
            Lang::En => self.en,
        }
    }
}

/// The fixed words of the component's interface.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Label {
    /// The shutter button.
    Shutter,
    /// The retry button under a failure.
    Retry,
    /// Take another photo (重拍).
    Retake,
    /// Confirm the photo (确认).
    Confirm,
    /// Before an error code.
    ErrorCode,
    /// The heading of the calibration view (图像校准).
    Review,
    /// Shown while the camera opens.
    OpeningCamera,
}

impl Label {
    /// The words in both languages.
    pub fn text(self) -> Text {
        let (zh, en) = match self {
            Label::Shutter => ("拍照", "Take photo"),
            Label::Retry => ("重试", "Try again"),
            Label::Retake => ("重拍", "Retake"),
            Label::Confirm => ("确认", "Confirm"),
            Label::ErrorCode => ("错误代码", "Error code"),
            Label::Review => ("图像校准", "Check your photo"),
            Label::OpeningCamera => ("正在打开摄像头…", "Opening the camera…"),
        };
        Text { zh, en }
    }
}
