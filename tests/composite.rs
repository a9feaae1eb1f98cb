//! The standard photo's background replacement against known ground truth (issue 20): people
//! cut from the shared portraits along a known alpha (the pipeline's own on the original photo)
//! and put in front of rooms that trouble a segmentation — a bright window, a lamp beside the
//! head, a chandelier, a busy pattern, a skin-coloured wall — then standardized again. Measured:
//! the share of the background that comes out within 10 levels of the blue, the share of the
//! person left unchanged, the fringe along the outline (the self-check's), and the alpha's error
//! on the head's outline, each beside the same composite with the refinement stages left out.
//! Needs `models/` and `../shared/faces`; skips without.

mod common;

use common::{finder, model, photo};
use gradcap::photo::segment::{Mask, Segmenter};
use gradcap::photo::selfcheck::SelfCheck;
use gradcap::photo::standard::Standard;
use gradcap::photo::{compose, person_alpha, replace_background, standard_photo, Placement, BACKGROUND};
use gradcap::Frame;

/// A room behind the student, 480×640.
#[derive(Debug, Clone, Copy)]
enum Room {
    Window,
    Lamp,
    Chandelier,
    Pattern,
    SkinWall,
}

impl Room {
    const ALL: [Room; 5] = [Room::Window, Room::Lamp, Room::Chandelier, Room::Pattern, Room::SkinWall];

    fn colour(self, x: u32, y: u32) -> [f32; 3] {
        let (fx, fy) = (x as f32, y as f32);
        match self {
            // Bright panes between grey mullions over the top two thirds, a beige wall below.
            Room::Window if y < 430 => {
                if x % 160 < 12 || y % 140 < 12 {
                    [120.0, 120.0, 125.0]
                } else {
                    [250.0, 250.0, 248.0 - fy / 40.0]
                }
            }
            Room::Window => [200.0, 185.0, 160.0],
            // A lamp's glow beside the head on a beige wall.
            Room::Lamp => {
                let d = ((fx - 420.0).powi(2) + (fy - 180.0).powi(2)).sqrt();
                let glow = (1.0 - d / 170.0).max(0.0) * 90.0;
                [(165.0 + glow).min(255.0), (150.0 + glow).min(255.0), (120.0 + glow).min(255.0)]
            }
            // Small bright lights scattered over a dark room.
            Room::Chandelier => {
                let (cx, cy) = (
                    (x / 40) * 40 + hash(x / 40, y / 40) % 30 + 5,
                    (y / 40) * 40 + hash(y / 40, x / 40) % 30 + 5,
                );
                let d = ((fx - cx as f32).powi(2) + (fy - cy as f32).powi(2)).sqrt();
                if d < 2.0 + (hash(x / 40 + 7, y / 40) % 5) as f32 {
                    [255.0, 240.0, 200.0]
                } else {
                    [70.0, 50.0, 40.0]
                }
            }
            // Checks and stripes in green and red: nothing like the blue, nor like the person.
            Room::Pattern if ((x / 24) + (y / 24)) % 2 == 0 => [40.0, 160.0 + (y % 60) as f32, 60.0],
            Room::Pattern => [190.0, 70.0, 50.0 + (x % 40) as f32],
            // A wall of skin's colour, lit from one side.
            Room::SkinWall => [215.0 - fx / 24.0, 165.0 - fx / 30.0, 135.0 - fx / 36.0],
        }
    }
}

/// A fixed scatter, the same on every run.
fn hash(a: u32, b: u32) -> u32 {
    let mut h = a.wrapping_mul(0x9e37_79b9) ^ b.wrapping_mul(0x85eb_ca6b);
    h ^= h >> 13;
    h.wrapping_mul(0xc2b2_ae35) >> 8
}

/// `person` over `room` by `alpha`.
fn composite(person: &Frame, alpha: &Mask, room: Room) -> Frame {
    let mut data = Vec::with_capacity(480 * 640 * 4);
    for y in 0..640 {
        for x in 0..480 {
            let (a, p, r) = (alpha.at(x, y), person.view().pixel(x, y), room.colour(x, y));
            for k in 0..3 {
                data.push((p[k] as f32 * a + r[k] * (1.0 - a)).round() as u8);
            }
            data.push(255);
        }
    }
    Frame::from_rgba(data, 480, 640).unwrap()
}

/// What one standardized composite measured.
#[derive(Debug)]
struct Measured {
    /// Share of the true background within 10 levels of the blue.
    blue: f64,
    /// Share of the true person (alpha > 0.98) within 10 levels of the composite.
    kept: f64,
    /// Mean alpha error over the head's outline (above the eyes, the true alpha unsure or
    /// within 3 px of a change).
    hair_error: f64,
    /// The self-check's fringe pixels per outline pixel.
    fringe: f64,
    check: SelfCheck,
}

fn measure(
    out: &Frame,
    alpha: &Mask,
    shot: &Frame,
    truth: &Mask,
    finder: &mut gradcap::face::FaceFinder,
    segmenter: &mut Segmenter,
) -> Measured {
    let (mut bg, mut blue, mut fg, mut kept, mut head, mut error) = (0u32, 0u32, 0u32, 0u32, 0u32, 0.0);
    for y in 0..640 {
        for x in 0..480 {
            let (t, o, c) = (truth.at(x, y), out.view().pixel(x, y), shot.view().pixel(x, y));
            let near = |k: [u8; 4], l: [u8; 3]| (0..3).all(|i| (k[i] as i32 - l[i] as i32).abs() <= 10);
            if t < 0.02 {
                bg += 1;
                blue += u32::from(near(o, BACKGROUND));
            } else if t > 0.98 {
                fg += 1;
                kept += u32::from(near(o, [c[0], c[1], c[2]]));
            }
            let edge = (y.saturating_sub(3)..(y + 4).min(640)).any(|yy| {
                (x.saturating_sub(3)..(x + 4).min(480)).any(|xx| (truth.at(xx, yy) > 0.5) != (t > 0.5))
            });
            if y < 200 && (edge || (0.02..0.98).contains(&t)) {
                head += 1;
                error += (alpha.at(x, y) - t).abs() as f64;
            }
        }
    }
    let face = finder.still(&out.view()).unwrap();
    let check = SelfCheck::of(
        &out.view(),
        face.as_ref(),
        &segmenter.mask(&out.view()).unwrap(),
        &Standard::default(),
    );
    Measured {
        blue: blue as f64 / bg as f64,
        kept: kept as f64 / fg as f64,
        hair_error: error / head.max(1) as f64,
        fringe: check.fringe,
        check,
    }
}

#[test]
fn people_in_front_of_troublesome_rooms_come_out_on_a_clean_blue() {
    people_in_front_of_troublesome_rooms(gradcap::face::models::SEGMENTATION);
}

/// The same with the segmentation the browser loads, its weights packed as int8 (measured: worst
/// blue 0.9954, kept 0.985, fringe 0.096, mean hair error 0.136 — against 0.9955, 0.983, 0.088
/// and 0.138 with the float weights).
#[test]
fn the_browsers_packed_segmentation_holds_the_same_floors() {
    people_in_front_of_troublesome_rooms(gradcap::face::models::SEGMENTATION_Q8);
}

fn people_in_front_of_troublesome_rooms(model_file: &str) {
    let (Some(mut finder), Some(segmentation)) = (finder(), model(model_file)) else {
        return;
    };
    let mut segmenter = Segmenter::new(&segmentation).unwrap();
    let (mut worst, mut bare_worst) = ([1.0f64, 1.0, 0.0, 0.0], [1.0f64, 1.0, 0.0, 0.0]);
    let (mut runs, mut hair, mut bare_hair) = (0, 0.0, 0.0);
    for name in ["obama.jpg", "obama2.jpg", "biden.jpg", "astronaut.png"] {
        let Some(original) = photo(name) else {
            eprintln!("skipped: no ../shared/faces/{name}");
            continue;
        };
        let face = finder.still(&original.view()).unwrap().expect("a face");
        let made = standard_photo(&original.view(), Placement::of(&face), Some(&mut finder), &mut segmenter)
            .unwrap();
        for room in Room::ALL {
            let shot = composite(&made.cut, &made.mask, room);
            let raw = segmenter.mask(&shot.view()).unwrap();
            let alpha = person_alpha(&shot.view(), raw.clone(), &mut segmenter).unwrap();
            let out = compose(&shot.view(), &alpha);
            let full = measure(&out, &alpha, &shot, &made.mask, &mut finder, &mut segmenter);
            let bare_out = replace_background(&shot.view(), &raw);
            let bare = measure(&bare_out, &raw, &shot, &made.mask, &mut finder, &mut segmenter);
            eprintln!(
                "{name} {room:?}: blue {:.4} (bare {:.4}), kept {:.4} ({:.4}), hair alpha error {:.3} ({:.3}), fringe {:.3} ({:.3}), faults {:?} ({:?})",
                full.blue, bare.blue, full.kept, bare.kept, full.hair_error, bare.hair_error, full.fringe, bare.fringe,
                full.check.faults, bare.check.faults
            );
            assert!(
                full.check.pass(),
                "{name} {room:?}: the self-check turns a clean photo away: {:?}",
                full.check
            );
            hair += full.hair_error;
            bare_hair += bare.hair_error;
            for (w, m) in [(&mut worst, &full), (&mut bare_worst, &bare)] {
                *w = [w[0].min(m.blue), w[1].min(m.kept), w[2].max(m.hair_error), w[3].max(m.fringe)];
            }
            runs += 1;
        }
    }
    if runs == 0 {
        return;
    }
    let (hair, bare_hair) = (hair / runs as f64, bare_hair / runs as f64);
    eprintln!(
        "{model_file}, worst of {runs}: blue {:.4}, kept {:.4}, fringe {:.3}; mean hair error {hair:.3}",
        worst[0], worst[1], worst[3]
    );
    eprintln!(
        "without the refinement: blue {:.4}, kept {:.4}, fringe {:.3}; mean hair error {bare_hair:.3}",
        bare_worst[0], bare_worst[1], bare_worst[3]
    );
    // Measured: blue ≥ 0.9955, kept ≥ 0.983, fringe ≤ 0.088, hair error 0.14; with the model's
    // mask alone 0.990, 0.985, 0.577 and 0.16. Placed by the attention mesh (2026-12-07) the
    // photos are cut a few pixels differently and take in other parts of the rooms: worst blue
    // 0.9947 (obama2 before the pattern, both weights), the rest as before; the mask alone still
    // fails on its fringe (0.49).
    let floors = |w: [f64; 4], hair: f64| w[0] >= 0.994 && w[1] >= 0.98 && w[3] <= 0.15 && hair <= 0.15;
    assert!(floors(worst, hair), "{worst:?}, hair {hair:.3}");
    assert!(!floors(bare_worst, bare_hair), "the floors tell the refinement from none: {bare_worst:?}");
    assert!(hair < bare_hair, "the refined outline is nearer the truth: {hair:.3} vs {bare_hair:.3}");
}

/// The stages on a synthetic picture against golden images (±2 levels): a red disc on a striped
/// ground with a coarse mask shifted 2 px (the segmentation's blur), its refined alpha, and the
/// photo composed on the blue.
#[test]
fn the_stages_match_their_golden_images() {
    let (w, h) = (64u32, 64u32);
    let (mut data, mut coarse) = (Vec::new(), Vec::new());
    for y in 0..h {
        for x in 0..w {
            let (fx, fy) = (x as f64 + 0.5, y as f64 + 0.5);
            let d = ((fx - 32.0).powi(2) + (fy - 32.0).powi(2)).sqrt();
            let ground = if (x / 3) % 2 == 0 { [40, 200, 40] } else { [240, 240, 240] };
            let a = (16.5 - d).clamp(0.0, 1.0);
            let rgb: Vec<u8> = (0..3)
                .map(|k| ([220.0, 30.0, 30.0][k] * a + ground[k] as f64 * (1.0 - a)).round() as u8)
                .collect();
            data.extend(rgb);
            data.push(255);
            let shifted = ((fx - 34.0).powi(2) + (fy - 32.0).powi(2)).sqrt() - 16.0;
            coarse.push((0.5 - shifted / 6.0).clamp(0.0, 1.0) as f32);
        }
    }
    let frame = Frame::from_rgba(data, w, h).unwrap();
    let coarse = Mask { width: w, height: h, values: coarse };
    let alpha = gradcap::photo::refine::refine(&frame.view(), &coarse);
    let photo = compose(&frame.view(), &alpha);
    let grey = |m: &Mask| m.values.iter().map(|v| (v * 255.0).round() as u8).collect::<Vec<u8>>();
    let stages: [(&str, Vec<u8>, bool); 3] = [
        ("stage-mask", grey(&coarse), false),
        ("stage-alpha", grey(&alpha), false),
        ("stage-photo", photo.as_bytes().to_vec(), true),
    ];
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    for (name, pixels, rgba) in stages {
        let path = dir.join(format!("{name}.png"));
        if std::env::var_os("GRADCAP_BLESS").is_some() {
            if rgba {
                image::RgbaImage::from_raw(w, h, pixels.clone()).unwrap().save(&path).unwrap();
            } else {
                image::GrayImage::from_raw(w, h, pixels.clone()).unwrap().save(&path).unwrap();
            }
        }
        let golden = image::open(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let expected = if rgba { golden.into_rgba8().into_raw() } else { golden.into_luma8().into_raw() };
        assert_eq!(expected.len(), pixels.len(), "{name}");
        let worst = expected.iter().zip(&pixels).map(|(a, b)| (*a as i32 - *b as i32).abs()).max().unwrap();
        assert!(worst <= 2, "{name} differs from {} by up to {worst} levels", path.display());
    }
}

/// The self-check names what is wrong with a finished photo: obama.jpg standardized passes; with
/// a patch of the old room left beside the head it fails with photo.leftover (背景中有杂物…);
/// with the hair above the forehead painted over in blue, with photo.head_cut; with a white
/// halo 2 px wide around the outline (白边), with photo.fringe; with rows or columns drawn out
/// from the picture's edge, with photo.streaks.
#[test]
fn the_self_check_names_what_is_wrong() {
    use gradcap::photo::selfcheck::Fault;
    let (Some(mut finder), Some(segmentation), Some(original)) =
        (finder(), model(gradcap::face::models::SEGMENTATION), photo("obama.jpg"))
    else {
        return;
    };
    let mut segmenter = Segmenter::new(&segmentation).unwrap();
    let face = finder.still(&original.view()).unwrap().expect("a face");
    let made =
        standard_photo(&original.view(), Placement::of(&face), Some(&mut finder), &mut segmenter).unwrap();
    let mut check = |photo: &Frame| {
        let face = finder.still(&photo.view()).unwrap();
        SelfCheck::of(
            &photo.view(),
            face.as_ref(),
            &segmenter.mask(&photo.view()).unwrap(),
            &Standard::default(),
        )
    };
    let clean = check(&made.photo);
    assert!(clean.pass(), "{clean:?}");
    let edit = |paint: &dyn Fn(u32, u32, [u8; 4]) -> Option<[u8; 4]>| {
        let v = made.photo.view();
        let data = (0..640)
            .flat_map(|y| (0..480).flat_map(move |x| paint(x, y, v.pixel(x, y)).unwrap_or(v.pixel(x, y))));
        Frame::from_rgba(data.collect(), 480, 640).unwrap()
    };
    let cut = made.cut.view();
    let patched =
        edit(&|x, y, _| ((10..70).contains(&x) && (120..200).contains(&y)).then(|| cut.pixel(x, y)));
    let blue = [BACKGROUND[0], BACKGROUND[1], BACKGROUND[2], 255];
    let [top, forehead] = clean.head_top.unwrap();
    let bald = edit(&|_, y, _| ((y as f64) < forehead - 0.25 * (forehead - top)).then_some(blue));
    let is_blue = |p: [u8; 4]| (0..3).all(|k| (p[k] as i32 - BACKGROUND[k] as i32).abs() <= 10);
    let v = made.photo.view();
    let halo = edit(&|x, y, p| {
        let near_person = (y.saturating_sub(2)..(y + 3).min(640))
            .any(|yy| (x.saturating_sub(2)..(x + 3).min(480)).any(|xx| !is_blue(v.pixel(xx, yy))));
        (is_blue(p) && near_person).then_some([250, 250, 250, 255])
    });
    // The last 100 rows drawn down from row 540, and the 70 columns at the left drawn out from
    // column 70 below row 500: a picture's edge stretched to fill the photo.
    let drawn_down = edit(&|x, y, _| (y >= 540).then(|| v.pixel(x, 540)));
    let drawn_aside = edit(&|x, y, _| (x < 70 && y >= 500).then(|| v.pixel(70, y)));
    assert!(clean.streak >= 0.3, "the clean photo: {}", clean.streak);
    for (what, photo, fault) in [
        ("a patch of the room", patched, Fault::Leftover),
        ("the hair painted over", bald, Fault::HeadCut),
        ("a white halo", halo, Fault::Fringe),
        ("the bottom rows drawn down", drawn_down, Fault::Streaks),
        ("the left columns drawn aside", drawn_aside, Fault::Streaks),
    ] {
        let found = check(&photo);
        eprintln!("{what}: {found:?}");
        assert!(found.faults.contains(&fault), "{what}: {found:?}");
    }
    assert_eq!(Fault::Leftover.hint().zh, "背景中有杂物，请换一个简单的背景或靠近一些");
}
