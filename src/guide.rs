//! Where the dashed guide oval goes, and how what the student sees maps onto camera pixels.
//!
//! The guide is laid out on the standard photo (480×640, docs/standard.md §3): the head fills the oval when the
//! crown is 70 px from the top and the eyes 260 px down — inside CHSI's ranges (crown 50–110, eyes
//! 200–300), which leaves the face about 210 px wide (180–300). On screen the photo frame is the
//! largest 3:4 rectangle that fits the view with a margin, centred.

/// Margin around the guide's photo frame on screen, as a share of the view's smaller side.
pub const GUIDE_MARGIN: f64 = 0.06;

/// The standard photo's size, width × height.
pub const PHOTO_SIZE: (u32, u32) = (480, 640);

/// A rectangle in some pixel space.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rect {
    /// Left edge.
    pub x: f64,
    /// Top edge.
    pub y: f64,
    /// Width.
    pub w: f64,
    /// Height.
    pub h: f64,
}

/// An axis-aligned ellipse.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Oval {
    /// Centre x.
    pub cx: f64,
    /// Centre y.
    pub cy: f64,
    /// Horizontal radius.
    pub rx: f64,
    /// Vertical radius.
    pub ry: f64,
}

impl Oval {
    /// Whether (`x`, `y`) lies inside or on the ellipse.
    pub fn contains(&self, x: f64, y: f64) -> bool {
        let dx = (x - self.cx) / self.rx;
        let dy = (y - self.cy) / self.ry;
        dx * dx + dy * dy <= 1.0
    }
}

/// The head oval in standard-photo pixels: crown at 70, chin at 426, 230 wide. The crown lies
/// 190 px above the eyes; on the portraits of `../shared/faces` the face is then about 210 px
/// wide and the chin about 165 px below the eyes.
pub const PHOTO_OVAL: Oval = Oval { cx: 240.0, cy: 248.0, rx: 115.0, ry: 178.0 };

/// Where the middle of the eyes goes on the standard photo: centred, 260 px down.
pub const PHOTO_EYES: [f64; 2] = [240.0, 260.0];

/// Where the crown goes on the standard photo, px from the top.
pub const PHOTO_CROWN: f64 = 70.0;

/// The guide as drawn in a view of `view_w`×`view_h` CSS pixels.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Guide {
    /// The 3:4 frame that stands for the standard photo.
    pub photo: Rect,
    /// The dashed head oval.
    pub oval: Oval,
}

impl Guide {
    /// Lays the guide out in a view, leaving `margin` (a fraction of the smaller side) around it.
    ///
    /// ```
    /// let g = gradcap::guide::Guide::layout(390.0, 844.0, 0.06);
    /// assert!((g.photo.w / g.photo.h - 0.75).abs() < 1e-9);
    /// assert!(g.oval.cx == 195.0 && g.oval.cy < 422.0, "centred, above the middle");
    /// ```
    pub fn layout(view_w: f64, view_h: f64, margin: f64) -> Guide {
        let pad = view_w.min(view_h) * margin;
        let (avail_w, avail_h) = ((view_w - 2.0 * pad).max(1.0), (view_h - 2.0 * pad).max(1.0));
        let (pw, ph) = (PHOTO_SIZE.0 as f64, PHOTO_SIZE.1 as f64);
        let scale = (avail_w / pw).min(avail_h / ph);
        let photo = Rect {
            x: (view_w - pw * scale) / 2.0,
            y: (view_h - ph * scale) / 2.0,
            w: pw * scale,
            h: ph * scale,
        };
        let oval = Oval {
            cx: photo.x + PHOTO_OVAL.cx * scale,
            cy: photo.y + PHOTO_OVAL.cy * scale,
            rx: PHOTO_OVAL.rx * scale,
            ry: PHOTO_OVAL.ry * scale,
        };
        Guide { photo, oval }
    }

    /// The same guide in the coordinates of an analysis frame that shows exactly the view, scaled
    /// to `frame_w`×`frame_h`.
    pub fn scaled_to(&self, view_w: f64, view_h: f64, frame_w: f64, frame_h: f64) -> Guide {
        let (sx, sy) = (frame_w / view_w, frame_h / view_h);
        let r = self.photo;
        Guide {
            photo: Rect { x: r.x * sx, y: r.y * sy, w: r.w * sx, h: r.h * sy },
            oval: Oval {
                cx: self.oval.cx * sx,
                cy: self.oval.cy * sy,
                rx: self.oval.rx * sx,
                ry: self.oval.ry * sy,
            },
        }
    }
}

/// The part of a `src_w`×`src_h` video that a view of `view_w`×`view_h` shows with
/// `object-fit: cover` (centred, cropped, never letter-boxed).
///
/// ```
/// use gradcap::guide::cover_crop;
/// // A landscape 640×480 camera in a portrait phone view shows a centred vertical strip.
/// let r = cover_crop(640.0, 480.0, 390.0, 844.0);
/// assert_eq!(r.h, 480.0);
/// assert!((r.w - 480.0 * 390.0 / 844.0).abs() < 1e-9);
/// assert!((r.x - (640.0 - r.w) / 2.0).abs() < 1e-9);
/// ```
pub fn cover_crop(src_w: f64, src_h: f64, view_w: f64, view_h: f64) -> Rect {
    let view_aspect = view_w / view_h;
    if src_w / src_h > view_aspect {
        let w = src_h * view_aspect;
        Rect { x: (src_w - w) / 2.0, y: 0.0, w, h: src_h }
    } else {
        let h = src_w / view_aspect;
        Rect { x: 0.0, y: (src_h - h) / 2.0, w: src_w, h }
    }
}

/// The size of the analysis frame for a visible region of `w`×`h` camera pixels: the same aspect,
/// the longer side at most `max_side`, never upscaled, at least 1×1.
pub fn analysis_size(w: f64, h: f64, max_side: u32) -> (u32, u32) {
    let scale = (max_side as f64 / w.max(h)).min(1.0);
    (((w * scale).round() as u32).max(1), ((h * scale).round() as u32).max(1))
}

/// A clockwise rotation to undo on frames that arrive turned (some Android webviews).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Rotation {
    /// Frames arrive upright.
    #[default]
    None,
    /// Turn frames 90° clockwise.
    Cw90,
    /// Turn frames 180°.
    Cw180,
    /// Turn frames 270° clockwise.
    Cw270,
}

impl Rotation {
    /// From degrees (any multiple of 90, negative allowed); other values mean none.
    pub fn from_degrees(deg: i32) -> Rotation {
        match deg.rem_euclid(360) {
            90 => Rotation::Cw90,
            180 => Rotation::Cw180,
            270 => Rotation::Cw270,
            _ => Rotation::None,
        }
    }

    /// The angle in degrees, clockwise.
    pub fn degrees(self) -> i32 {
        match self {
            Rotation::None => 0,
            Rotation::Cw90 => 90,
            Rotation::Cw180 => 180,
            Rotation::Cw270 => 270,
        }
    }

    /// The upright size of a `w`×`h` frame after this rotation.
    pub fn upright_size(self, w: f64, h: f64) -> (f64, f64) {
        match self {
            Rotation::Cw90 | Rotation::Cw270 => (h, w),
            Rotation::None | Rotation::Cw180 => (w, h),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_oval_matches_the_chsi_layout() {
        let crown = PHOTO_OVAL.cy - PHOTO_OVAL.ry;
        let width = 2.0 * PHOTO_OVAL.rx;
        assert!((50.0..=110.0).contains(&crown), "crown {crown}");
        assert!((180.0..=300.0).contains(&width), "face width {width}");
        assert_eq!(crown, PHOTO_CROWN, "the oval's top is where the crown goes");
        // The eyes sit about the middle of the head oval.
        assert!(
            (200.0..=300.0).contains(&PHOTO_EYES[1])
                && (PHOTO_EYES[1] - PHOTO_OVAL.cy).abs() < 0.1 * PHOTO_OVAL.ry
        );
    }

    #[test]
    fn guide_fits_phone_and_desktop_views() {
        for (w, h) in [(390.0, 844.0), (1280.0, 720.0), (320.0, 480.0)] {
            let g = Guide::layout(w, h, 0.05);
            assert!(g.photo.x >= 0.0 && g.photo.y >= 0.0, "{w}×{h}");
            assert!(g.photo.x + g.photo.w <= w + 1e-9 && g.photo.y + g.photo.h <= h + 1e-9);
            assert!((g.oval.cx - w / 2.0).abs() < 1e-9);
            assert!(g.oval.contains(g.oval.cx, g.oval.cy));
            assert!(!g.oval.contains(g.photo.x, g.photo.y), "corners are outside the oval");
        }
    }

    #[test]
    fn guide_scales_into_analysis_frames() {
        let g = Guide::layout(390.0, 844.0, 0.05).scaled_to(390.0, 844.0, 195.0, 422.0);
        let direct = Guide::layout(195.0, 422.0, 0.05);
        assert!((g.oval.cx - direct.oval.cx).abs() < 1e-9 && (g.oval.ry - direct.oval.ry).abs() < 1e-9);
    }

    #[test]
    fn cover_crop_handles_both_orientations() {
        let wide_view = cover_crop(480.0, 640.0, 1280.0, 720.0);
        assert_eq!((wide_view.x, wide_view.w), (0.0, 480.0));
        assert!((wide_view.h - 270.0).abs() < 1e-9 && (wide_view.y - 185.0).abs() < 1e-9);
        let same = cover_crop(640.0, 480.0, 320.0, 240.0);
        assert_eq!(same, Rect { x: 0.0, y: 0.0, w: 640.0, h: 480.0 });
    }

    #[test]
    fn analysis_size_caps_the_long_side_without_upscaling() {
        assert_eq!(analysis_size(1920.0, 1080.0, 640), (640, 360));
        assert_eq!(analysis_size(221.8, 480.0, 640), (222, 480));
        assert_eq!(analysis_size(0.2, 0.2, 640), (1, 1));
    }

    #[test]
    fn rotations_round_trip_degrees() {
        for deg in [0, 90, 180, 270] {
            assert_eq!(Rotation::from_degrees(deg).degrees(), deg);
        }
        assert_eq!(Rotation::from_degrees(-90), Rotation::Cw270);
        assert_eq!(Rotation::from_degrees(45), Rotation::None);
        assert_eq!(Rotation::Cw90.upright_size(640.0, 480.0), (480.0, 640.0));
    }
}
