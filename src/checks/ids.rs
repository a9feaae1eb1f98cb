//! The check ids of docs/standard.md §2 and what to tell the student when each fails.

use crate::lang::Text;

/// A check's stable id, as in docs/standard.md §2. The order of the variants is the order in which a student
/// should fix things: the first failing check gives the hint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
pub enum CheckId {
    /// One face is found.
    #[serde(rename = "face.present")]
    FacePresent,
    /// No second face of any size.
    #[serde(rename = "face.single")]
    FaceSingle,
    /// The camera films the student, not a photo of them on paper or a screen.
    #[serde(rename = "liveness.recapture")]
    LivenessRecapture,
    /// The face sits inside the dashed guide, centred.
    #[serde(rename = "face.in_guide")]
    FaceInGuide,
    /// The face has the CHSI size: width, eye line and crown where the standard photo wants them.
    #[serde(rename = "face.size")]
    FaceSize,
    /// The eye line is level.
    #[serde(rename = "pose.roll")]
    PoseRoll,
    /// The face is not turned aside.
    #[serde(rename = "pose.yaw")]
    PoseYaw,
    /// The head is neither up nor down.
    #[serde(rename = "pose.pitch")]
    PosePitch,
    /// Nothing over the face: no mask, scarf, phone or microphone in front of it.
    #[serde(rename = "face.uncovered")]
    FaceUncovered,
    /// The face is neither too dark nor too bright.
    #[serde(rename = "light.exposure")]
    LightExposure,
    /// No bright window or lamp behind the head.
    #[serde(rename = "light.backlight")]
    LightBacklight,
    /// Both halves of the face lit alike (no 阴阳脸).
    #[serde(rename = "light.even")]
    LightEven,
    /// No shadow under the lower face.
    #[serde(rename = "light.chin_shadow")]
    LightChinShadow,
    /// No shiny sweat highlights on the skin.
    #[serde(rename = "light.highlights")]
    LightHighlights,
    /// In focus, through a clean lens.
    #[serde(rename = "image.sharp")]
    ImageSharp,
    /// No reflections on glasses.
    #[serde(rename = "glasses.glare")]
    GlassesGlare,
    /// Eyebrows, eyes and ears not covered by hair.
    #[serde(rename = "hair.clear")]
    HairClear,
    /// Both eyes open.
    #[serde(rename = "eyes.open")]
    EyesOpen,
    /// Lips closed, no teeth.
    #[serde(rename = "mouth.closed")]
    MouthClosed,
    /// No striped clothing.
    #[serde(rename = "clothing.stripes")]
    ClothingStripes,
    /// Clothing that stands out from the light-blue background.
    #[serde(rename = "clothing.color")]
    ClothingColor,
    /// A natural blink in the last seconds (only when the integrator asks for it).
    #[serde(rename = "liveness.blink")]
    LivenessBlink,
    /// The face showed depth while the phone came closer and went back (only when the
    /// integrator asks for it).
    #[serde(rename = "liveness.depth")]
    LivenessDepth,
    /// The student holds still.
    #[serde(rename = "motion.stable")]
    MotionStable,
}

impl CheckId {
    /// Every check, in the order a student should fix them.
    pub const ALL: [CheckId; 24] = [
        CheckId::FacePresent,
        CheckId::FaceSingle,
        CheckId::LivenessRecapture,
        CheckId::FaceInGuide,
        CheckId::FaceSize,
        CheckId::PoseRoll,
        CheckId::PoseYaw,
        CheckId::PosePitch,
        CheckId::FaceUncovered,
        CheckId::LightExposure,
        CheckId::LightBacklight,
        CheckId::LightEven,
        CheckId::LightChinShadow,
        CheckId::LightHighlights,
        CheckId::ImageSharp,
        CheckId::GlassesGlare,
        CheckId::HairClear,
        CheckId::EyesOpen,
        CheckId::MouthClosed,
        CheckId::ClothingStripes,
        CheckId::ClothingColor,
        CheckId::LivenessBlink,
        CheckId::LivenessDepth,
        CheckId::MotionStable,
    ];

    /// The id string, e.g. `"mouth.closed"`.
    pub fn id(self) -> &'static str {
        match self {
            CheckId::FacePresent => "face.present",
            CheckId::FaceSingle => "face.single",
            CheckId::LivenessRecapture => "liveness.recapture",
            CheckId::FaceInGuide => "face.in_guide",
            CheckId::FaceSize => "face.size",
            CheckId::PoseRoll => "pose.roll",
            CheckId::PoseYaw => "pose.yaw",
            CheckId::PosePitch => "pose.pitch",
            CheckId::FaceUncovered => "face.uncovered",
            CheckId::LightExposure => "light.exposure",
            CheckId::LightBacklight => "light.backlight",
            CheckId::LightEven => "light.even",
            CheckId::LightChinShadow => "light.chin_shadow",
            CheckId::LightHighlights => "light.highlights",
            CheckId::ImageSharp => "image.sharp",
            CheckId::GlassesGlare => "glasses.glare",
            CheckId::HairClear => "hair.clear",
            CheckId::EyesOpen => "eyes.open",
            CheckId::MouthClosed => "mouth.closed",
            CheckId::ClothingStripes => "clothing.stripes",
            CheckId::ClothingColor => "clothing.color",
            CheckId::LivenessBlink => "liveness.blink",
            CheckId::LivenessDepth => "liveness.depth",
            CheckId::MotionStable => "motion.stable",
        }
    }

    /// The check with id string `id`.
    ///
    /// ```
    /// use gradcap::checks::CheckId;
    /// assert_eq!(CheckId::from_id("light.even"), Some(CheckId::LightEven));
    /// assert_eq!(CheckId::from_id("light.odd"), None);
    /// ```
    pub fn from_id(id: &str) -> Option<CheckId> {
        CheckId::ALL.into_iter().find(|c| c.id() == id)
    }

    /// A short name for reports, e.g. "光线均匀" / "Even light".
    pub fn name(self) -> Text {
        let (zh, en) = match self {
            CheckId::FacePresent => ("检测到人脸", "Face found"),
            CheckId::FaceSingle => ("仅一人", "One person"),
            CheckId::LivenessRecapture => ("本人实拍", "Live capture"),
            CheckId::FaceInGuide => ("头像居中", "Head centred"),
            CheckId::FaceSize => ("头像大小", "Head size"),
            CheckId::PoseRoll => ("头部端正", "Head level"),
            CheckId::PoseYaw => ("正对镜头", "Facing the camera"),
            CheckId::PosePitch => ("平视镜头", "Eyes level with the camera"),
            CheckId::FaceUncovered => ("面部无遮挡", "Face uncovered"),
            CheckId::LightExposure => ("亮度合适", "Exposure"),
            CheckId::LightBacklight => ("无逆光", "No backlight"),
            CheckId::LightEven => ("光线均匀", "Even light"),
            CheckId::LightChinShadow => ("下颌无阴影", "No chin shadow"),
            CheckId::LightHighlights => ("脸部无反光", "No shine"),
            CheckId::ImageSharp => ("照片清晰", "Sharp"),
            CheckId::GlassesGlare => ("眼镜无反光", "No glasses glare"),
            CheckId::HairClear => ("眉眼耳露出", "Brows, eyes, ears clear"),
            CheckId::EyesOpen => ("双眼睁开", "Eyes open"),
            CheckId::MouthClosed => ("嘴唇闭合", "Lips closed"),
            CheckId::ClothingStripes => ("无条纹服装", "No stripes"),
            CheckId::ClothingColor => ("服装非浅蓝", "Not light blue"),
            CheckId::LivenessBlink => ("自然眨眼", "Natural blink"),
            CheckId::LivenessDepth => ("近远立体", "Depth, near and far"),
            CheckId::MotionStable => ("保持稳定", "Steady"),
        };
        Text { zh, en }
    }

    /// What to tell the student when the check fails: one short sentence.
    pub fn hint(self) -> Text {
        let (zh, en) = match self {
            CheckId::FacePresent => (
                "请将面部置于虚线框内，正对镜头",
                "Place your face inside the dashed oval, looking at the camera",
            ),
            CheckId::FaceSingle => (
                "画面中只能有一张人脸，请其他人离开取景范围",
                "Only one face may be in the picture: ask others to step out",
            ),
            CheckId::LivenessRecapture => (
                "请勿翻拍照片，请本人面对摄像头实时拍照",
                "Do not photograph a photo or a screen: the student must face the camera in person",
            ),
            CheckId::FaceInGuide => (
                "请移动手机，让头像位于虚线框正中",
                "Move the phone so that your head sits in the middle of the dashed oval",
            ),
            CheckId::FaceSize => (
                "请调整距离，让脸部正好填满虚线框",
                "Move nearer or farther so that your face just fills the dashed oval",
            ),
            CheckId::PoseRoll => (
                "请摆正头部，保持两耳对称、肩膀平衡",
                "Hold your head straight, ears level and shoulders even",
            ),
            CheckId::PoseYaw => {
                ("请正对镜头，不要侧脸或侧身", "Face the camera directly, do not turn your head or body")
            }
            CheckId::PosePitch => {
                ("请平视镜头，不要低头或仰头", "Look straight into the camera, chin neither down nor up")
            }
            CheckId::FaceUncovered => (
                "请勿遮挡面部，摘下口罩，移开手机或其他物品",
                "Keep your face uncovered: take off a mask, move a phone or anything else away",
            ),
            CheckId::LightExposure => (
                "光线不合适，请到光线均匀、不过暗不过亮的地方拍摄",
                "The light is wrong: move where the light is even, neither too dark nor too bright",
            ),
            CheckId::LightBacklight => {
                ("请不要背对窗户或灯光，避免逆光", "Do not stand with a window or a lamp behind you")
            }
            CheckId::LightEven => (
                "脸部光线不均匀（阴阳脸），请面向光源",
                "One side of your face is in shadow: turn to face the light",
            ),
            CheckId::LightChinShadow => (
                "下巴附近有阴影，请让光线从正前方照亮脸部",
                "There is a shadow under your face: light it from the front",
            ),
            CheckId::LightHighlights => (
                "脸部有反光，请擦去汗水或油光后重拍",
                "Your skin shines: wipe off sweat or shine and try again",
            ),
            CheckId::ImageSharp => {
                ("照片不清晰，请擦净镜头并保持对焦", "The picture is blurred: wipe the lens and let it focus")
            }
            CheckId::GlassesGlare => (
                "眼镜反光，请调整角度或摘下眼镜",
                "Your glasses reflect the light: tilt them or take them off",
            ),
            CheckId::HairClear => {
                ("头发不得遮挡眉毛、眼睛和耳朵", "Keep your hair off your eyebrows, eyes and ears")
            }
            CheckId::EyesOpen => ("请自然睁开双眼", "Keep both eyes naturally open"),
            CheckId::MouthClosed => {
                ("请自然闭合嘴唇，不要露出牙齿", "Close your lips naturally, no teeth showing")
            }
            CheckId::ClothingStripes => ("请不要穿有条纹的衣服", "Do not wear striped clothing"),
            CheckId::ClothingColor => (
                "请避免穿浅蓝色衣服，以便与背景区分",
                "Avoid light-blue clothing: it must stand out from the blue background",
            ),
            CheckId::LivenessBlink => ("请自然地眨一下眼睛", "Blink once, naturally"),
            CheckId::LivenessDepth => ("请将手机缓慢靠近，再移远", "Move the phone slowly closer, then back"),
            CheckId::MotionStable => ("请保持不动", "Hold still"),
        };
        Text { zh, en }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_follow_the_fixing_order() {
        for (i, id) in CheckId::ALL.into_iter().enumerate() {
            assert_eq!(CheckId::from_id(id.id()), Some(id));
            assert!(i == 0 || CheckId::ALL[i - 1] < id, "ALL is sorted as the enum");
            let json = serde_json::to_string(&id).unwrap();
            assert_eq!(json, format!("\"{}\"", id.id()));
        }
    }
}
