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
