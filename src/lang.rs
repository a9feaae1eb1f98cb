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
    /// While the photo is being sent.
    Uploading,
    /// The backend has the photo.
    Uploaded,
    /// Sending failed for now.
    UploadFailed,
    /// Confirm the photo (确认).
    Confirm,
    /// Before an error code.
    ErrorCode,
    /// The heading of the calibration view (图像校准).
    Review,
    /// Shown while the camera opens.
    OpeningCamera,
    /// While reading the capture code from the camera.
    ScanCode,
    /// The button that picks the saved code image from the album.
    FromAlbum,
    /// While decoding a picked image.
    ReadingImage,
    /// The picked image holds no (acceptable) code.
    NoCodeInImage,
    /// A code was read but is not a capture code this page accepts.
    WrongCode,
    /// The code was read (followed by the code).
    CodeRecognized,
    /// While binding the session: type or scan the session code.
    SessionPrompt,
    /// The button that confirms a typed session code.
    SessionConfirm,
    /// A typed session code that is not 8 digits.
    SessionInvalid,
    /// The models could not be loaded.
    ModelsFailed,
    /// The session exists but takes no more photos (then its name).
    SessionClosed,
    /// No such session (then the code entered).
    SessionUnknown,
    /// The backend could not be asked about the session.
    SessionUnreachable,
    /// The heading of the return visit's verdict.
    VerdictTitle,
    /// The return visit: the photo sent earlier is being reviewed (then when it was sent).
    InReview,
    /// The return visit: the photo sent earlier was approved.
    Approved,
    /// The return visit: the photo sent earlier was rejected (then the reviewer's reason).
    Rejected,
    /// Save the approved photo (下载照片).
    Download,
    /// Take a new photo to replace the earlier one (重新拍照).
    RetakeNew,
}

impl Label {
    /// The words in both languages.
    pub fn text(self) -> Text {
        let (zh, en) = match self {
            Label::Shutter => ("拍照", "Take photo"),
            Label::Retry => ("重试", "Try again"),
            Label::Retake => ("重拍", "Retake"),
            Label::Uploading => ("正在提交照片…", "Sending the photo…"),
            Label::Uploaded => ("照片已提交，请等待学校审核", "Photo sent: the school will review it"),
            Label::UploadFailed => (
                "提交失败：网络恢复后会自动重发，也可点击确认重试",
                "Sending failed: it is sent again when the connection returns, or press Confirm to retry",
            ),
            Label::Confirm => ("确认", "Confirm"),
            Label::ErrorCode => ("错误代码", "Error code"),
            Label::Review => ("图像校准", "Check your photo"),
            Label::OpeningCamera => ("正在打开摄像头…", "Opening the camera…"),
            Label::ScanCode => {
                ("请将学信网图像采集码对准取景框", "Hold your CHSI capture code inside the frame")
            }
            Label::FromAlbum => ("从相册选择采集码截图", "Choose the saved code from your photos"),
            Label::ReadingImage => ("正在识别图片中的采集码…", "Looking for the code in the picture…"),
            Label::NoCodeInImage => (
                "未识别到采集码，请长按保存原图后重试",
                "No code found. Long-press the code to save the original image, then try again",
            ),
            Label::WrongCode => (
                "这不是学信网图像采集码，请扫描学信档案中的图像采集码",
                "This is not a CHSI capture code. Scan the capture code from your CHSI account",
            ),
            Label::CodeRecognized => ("已识别采集码：", "Capture code read: "),
            Label::SessionPrompt => ("请输入或扫描8位采集场次码", "Type or scan the 8-digit session code"),
            Label::SessionConfirm => ("确定", "OK"),
            Label::SessionInvalid => ("采集场次码应为8位数字", "The session code has 8 digits"),
            Label::ModelsFailed => (
                "人脸识别模型加载失败，请检查网络后点击重试",
                "The face models could not be loaded: check the connection and tap Retry",
            ),
            Label::SessionClosed => ("该场次已结束采集：", "This session has closed: "),
            Label::SessionUnknown => {
                ("没有这个场次号，请核对后重新输入：", "No such session, check the code: ")
            }
            Label::SessionUnreachable => (
                "无法查询场次，请检查网络后重试",
                "Cannot look the session up: check the connection and try again",
            ),
            Label::VerdictTitle => ("照片审核结果", "Your photo's review"),
            Label::InReview => ("审核中，照片提交于 ", "Being reviewed; the photo was sent "),
            Label::Approved => ("已通过：这是学校收到的照片", "Approved: this is the photo the school has"),
            Label::Rejected => ("未通过，审核意见：", "Not accepted. The reviewer says: "),
            Label::Download => ("下载照片", "Download the photo"),
            Label::RetakeNew => ("重新拍照", "Take a new photo"),
        };
        Text { zh, en }
    }
}
