//! The standard photo (docs/standard.md §3) from the real photos of `../shared/faces` and moved, scaled and
//! turned versions of them: its layout measured again on the written JPEG, its file size and
//! header, and the background replacement. Needs `models/` (scripts/fetch-models); skips without.

mod common;

use common::{finder, model, photo};
use gradcap::face::FaceFinder;
use gradcap::frame::{decode_image, DecodeLimits};
use gradcap::guide::PHOTO_CROWN;
use gradcap::photo::jpeg::jfif_density;
use gradcap::photo::segment::{Mask, Segmenter};
use gradcap::photo::standard::Standard;
use gradcap::photo::{replace_background, standard_photo, Geometry, Placement, BACKGROUND};
use gradcap::Frame;
use std::path::Path;

fn models() -> Option<(FaceFinder, Segmenter)> {
    let segmenter =
        Segmenter::new(&model(gradcap::face::models::SEGMENTATION)?).expect("the pinned model loads");
    Some((finder()?, segmenter))
}

/// `frame` scaled by `scale`, moved by (`dx`, `dy`) and turned by `degrees` about its centre,
/// on a canvas of its size (edges repeated).
fn moved(frame: &Frame, scale: f64, dx: f64, dy: f64, degrees: f64) -> Frame {
    let v = frame.view();
    let (w, h) = (v.width(), v.height());
    let (ow, oh) = (w, h);
    let (s, c) = degrees.to_radians().sin_cos();
    let mut data = Vec::with_capacity((ow * oh * 4) as usize);
    for y in 0..oh {
        for x in 0..ow {
            let (px, py) = (x as f64 - ow as f64 / 2.0 - dx, y as f64 - oh as f64 / 2.0 - dy);
            let (sx, sy) =
                ((c * px + s * py) / scale + w as f64 / 2.0, (-s * px + c * py) / scale + h as f64 / 2.0);
            let p = v.pixel(sx.clamp(0.0, w as f64 - 1.0) as u32, sy.clamp(0.0, h as f64 - 1.0) as u32);
            data.extend(p);
        }
    }
    Frame::from_rgba(data, ow, oh).unwrap()
}

/// Makes the photo, writes the JPEG, and measures the layout on the decoded file.
fn make(finder: &mut FaceFinder, segmenter: &mut Segmenter, frame: &Frame) -> (Vec<u8>, u8, Geometry) {
    let v = frame.view();
    let face = finder.still(&v).unwrap().unwrap_or_else(|| panic!("no face in {}×{}", v.width(), v.height()));
    let made = standard_photo(&frame.view(), Placement::of(&face), Some(finder), segmenter).unwrap();
    let file = Standard::default().encode(&made.photo.view()).unwrap();
    let written = decode_image(&file.bytes, DecodeLimits::default()).unwrap();
    assert_eq!((written.view().width(), written.view().height()), (480, 640));
    let again = finder.still(&written.view()).unwrap().expect("the face on the photo");
    (file.bytes, file.quality, Geometry::of(&again, Some(&made.mask)))
}

#[test]
fn photos_meet_the_chsi_layout_and_size_from_moved_scaled_and_turned_frames() {
    let Some((mut finder, mut segmenter)) = models() else { return };
    let mut made = 0;
    // obama2.jpg and obama3.jpg are left out: their heads are turned (yaw 12–15°), which
    // `pose.yaw` refuses before any photo is taken, and the eye line of a turned head measures
    // differently from one cut to the next (up to 1.2°).
    for name in ["biden.jpg", "obama.jpg", "astronaut.png"] {
        let Some(original) = photo(name) else {
            eprintln!("skipped: no ../shared/faces/{name}");
            continue;
        };
        for (scale, dx, dy, degrees) in
            [(1.0, 0.0, 0.0, 0.0), (0.8, 40.0, -30.0, 0.0), (1.1, -30.0, 20.0, 6.0)]
        {
            let frame = moved(&original, scale, dx, dy, degrees);
            let (bytes, quality, g) = make(&mut finder, &mut segmenter, &frame);
            let case = format!(
                "{name} ×{scale} ({dx}, {dy}) {degrees}°: {g:?}, {} bytes at q{quality}",
                bytes.len()
            );
            eprintln!("{case}");
            let chsi = Standard::default();
            assert!(chsi.meets(&g), "{case}");
            assert!(g.roll.abs() <= 1.0, "{case}");
            assert!(chsi.size_ok(bytes.len()), "{case}");
            assert!(quality >= chsi.min_quality, "{case}");
            assert_eq!(jfif_density(&bytes), Some((1, 300, 300)), "{case}");
            made += 1;
        }
    }
    eprintln!("{made} photos made");
}

/// A person cut from a real photo (where the model is sure) and pasted on a known, busy
/// background: the background must turn blue and the person stay as they were.
#[test]
fn a_known_background_turns_blue_and_the_person_is_kept() {
    let Some((mut finder, mut segmenter)) = models() else { return };
    let Some(original) = photo("obama2.jpg") else { return };
    let face = finder.still(&original.view()).unwrap().unwrap();
    let first = standard_photo(&original.view(), Placement::of(&face), None, &mut segmenter).unwrap();
    let (person, truth) = (first.cut, first.mask);
    // Checks and stripes in green and red: nothing like the blue, nor like the person.
    let background = |x: u32, y: u32| {
        if ((x / 24) + (y / 24)) % 2 == 0 {
            [40, 160 + (y % 60) as u8, 60]
        } else {
            [190, 70, 50 + (x % 40) as u8]
        }
    };
    let mut data = Vec::new();
    for y in 0..640 {
        for x in 0..480 {
            let m = truth.at(x, y);
            let p = person.view().pixel(x, y);
            let b = background(x, y);
            for k in 0..3 {
                data.push((p[k] as f32 * m + b[k] as f32 * (1.0 - m)).round() as u8);
            }
            data.push(255);
        }
    }
    let composite = Frame::from_rgba(data, 480, 640).unwrap();
    let mask = segmenter.mask(&composite.view()).unwrap();
    let out = replace_background(&composite.view(), &mask);
    let (mut bg, mut bg_blue, mut fg, mut fg_kept) = (0u32, 0u32, 0u32, 0u32);
    for y in 0..640 {
        for x in 0..480 {
            let m = truth.at(x, y);
            let (c, o) = (composite.view().pixel(x, y), out.view().pixel(x, y));
            if m < 0.02 {
                bg += 1;
                bg_blue += (0..3).all(|k| (o[k] as i32 - BACKGROUND[k] as i32).abs() <= 10) as u32;
            } else if m > 0.98 {
                fg += 1;
                fg_kept += (0..3).all(|k| (o[k] as i32 - c[k] as i32).abs() <= 10) as u32;
            }
        }
    }
    let (blue, kept) = (bg_blue as f64 / bg as f64, fg_kept as f64 / fg as f64);
    eprintln!("background {bg} px, {:.2} % blue; person {fg} px, {:.2} % kept", 100.0 * blue, 100.0 * kept);
    assert!(bg > 50_000 && fg > 50_000, "both regions are large");
    assert!(blue >= 0.98, "{:.3} of the background turned blue", blue);
    assert!(kept >= 0.98, "{:.3} of the person kept", kept);
}

/// The compositing itself, on a synthetic picture and mask, against a golden PNG: a soft edge
/// mixes towards the blue, the sure person keeps its colours exactly.
#[test]
fn background_replacement_matches_the_golden_image() {
    let (w, h) = (48, 64);
    let mut data = Vec::new();
    let mut values = Vec::new();
    for y in 0..h {
        for x in 0..w {
            data.extend([(x * 5) as u8, (y * 3) as u8, 120, 255]);
            let d = ((x as f32 - 24.0).powi(2) / 225.0 + (y as f32 - 30.0).powi(2) / 400.0).sqrt();
            values.push((1.5 - d).clamp(0.0, 1.0));
        }
    }
    let frame = Frame::from_rgba(data, w, h).unwrap();
    let out = replace_background(&frame.view(), &Mask { width: w, height: h, values });
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/background.png");
    if std::env::var_os("GRADCAP_BLESS").is_some() {
        image::RgbaImage::from_raw(w, h, out.as_bytes().to_vec()).unwrap().save(&golden).unwrap();
    }
    let expected = image::open(&golden).expect("tests/golden/background.png").into_rgba8();
    assert_eq!(expected.as_raw(), out.as_bytes(), "differs from {}", golden.display());
    assert_eq!(out.view().pixel(24, 30), frame.view().pixel(24, 30), "the sure person is untouched");
    assert_eq!(out.view().pixel(0, 0)[..3], BACKGROUND, "the sure background is the blue");
}

/// The person, and only the person: on each shared portrait standardized, what the segmentation
/// keeps below the chin is asked whether it is the student's clothes or the room, and the model
/// asked again with the blue behind. The suits, shirts and ties of four portraits keep their
/// pixels (the band below the chin within 3 % of the model's, the outline refined), while the
/// chandelier the model joined to obama3's shoulder (bottom left) is gone but for slivers along
/// the jacket's edge: the left strip keeps 28 % of the model's pixels, its shoulder (5,173 of
/// 18,578 measured; 7,485 before the light joined to the shoulder was dropped, 9,274 without the
/// drop spreading from what the pooled verdict dropped, two thirds with the first cleanup
/// alone), and every portrait's self-check passes. The same light painted back onto obama3's
/// photo, with the segmentation calling it the person as it did, fails the self-check
/// (`photo.leftover`).
#[test]
fn clutter_beside_the_shoulders_is_dropped_and_the_clothes_kept() {
    use gradcap::photo::selfcheck::{Fault, SelfCheck};
    let Some((mut finder, mut segmenter)) = models() else { return };
    let below_chin = |m: &Mask, x0: u32, x1: u32| {
        (450..640).flat_map(|y| (x0..x1).map(move |x| (x, y))).filter(|&(x, y)| m.at(x, y) > 0.5).count()
    };
    for name in ["obama.jpg", "obama2.jpg", "biden.jpg", "astronaut.png", "obama3.jpg"] {
        let Some(original) = photo(name) else { continue };
        let face = finder.still(&original.view()).unwrap().expect("a face");
        let made = standard_photo(&original.view(), Placement::of(&face), Some(&mut finder), &mut segmenter)
            .unwrap();
        let raw = segmenter.mask(&made.cut.view()).unwrap();
        let (before, after) = (below_chin(&raw, 0, 480), below_chin(&made.mask, 0, 480));
        let (left_before, left_after) = (below_chin(&raw, 0, 100), below_chin(&made.mask, 0, 100));
        let on_photo = finder.still(&made.photo.view()).unwrap();
        let check = SelfCheck::of(
            &made.photo.view(),
            on_photo.as_ref(),
            &segmenter.mask(&made.photo.view()).unwrap(),
            &Standard::default(),
        );
        eprintln!("{name}: below the chin {before} → {after} person pixels (left strip {left_before} → {left_after}); {check:?}");
        assert!(check.pass(), "{name}: {check:?}");
        if name == "obama3.jpg" {
            assert!(left_after as f64 <= 0.32 * left_before as f64, "{name}: {left_before} → {left_after}");
            // The blind spot the light's own check covers: a light patch joined to the jacket,
            // which the segmentation calls the person (as it did with obama3's chandelier).
            let view = made.photo.view();
            let mut rgba: Vec<u8> = (0..640).flat_map(|y| view.row(y).to_vec()).collect();
            let mut person = segmenter.mask(&view).unwrap();
            for y in 575..625 {
                for x in 0..60 {
                    let i = (y * 480 + x) as usize;
                    rgba[4 * i..4 * i + 3].copy_from_slice(&[214, 224, 236]);
                    person.values[i] = 1.0;
                }
            }
            let patched = gradcap::Frame::from_rgba(rgba, 480, 640).unwrap();
            let check = SelfCheck::of(&patched.view(), on_photo.as_ref(), &person, &Standard::default());
            assert!(check.faults.contains(&Fault::Leftover), "{name} with a light patch: {check:?}");
        } else {
            assert!(after as f64 >= 0.97 * before as f64, "{name}: the clothes are kept: {before} → {after}");
        }
    }
}

/// A thing of the room the segmentation joins to the head — a dark bar standing out of the hair
/// like the door frame on faces-real's `148_maskdet`, or reaching out beside the temple like the
/// object on `032_nuaa` — fails the self-check (`photo.leftover`, its outgrowth measured); the
/// same photo without it passes, its own outgrowth small.
#[test]
fn a_bar_standing_out_of_the_head_is_a_leftover() {
    use gradcap::photo::selfcheck::{Fault, SelfCheck, OUTGROWTH_MAX};
    let Some((mut finder, mut segmenter)) = models() else { return };
    let Some(original) = photo("obama.jpg") else { return };
    let face = finder.still(&original.view()).unwrap().expect("a face");
    let made =
        standard_photo(&original.view(), Placement::of(&face), Some(&mut finder), &mut segmenter).unwrap();
    let view = made.photo.view();
    let on_photo = finder.still(&view).unwrap().expect("a face on the photo");
    let person = segmenter.mask(&view).unwrap();
    let clean = SelfCheck::of(&view, Some(&on_photo), &person, &Standard::default());
    assert!(clean.pass() && clean.outgrowth <= OUTGROWTH_MAX / 2, "{clean:?}");
    let eyes = on_photo.eyes_middle()[1];
    let side = on_photo.mesh[454][0].max(on_photo.mesh[234][0]) as f64;
    // A bar 14 px wide from inside the hair above the brow up and out; another from the temple
    // out to the side, above the eyes.
    for (name, from, to) in [
        ("above the brows", [300.0, 110.0], [370.0, 30.0]),
        ("beside the temple", [side - 15.0, eyes - 22.0], [side + 100.0, eyes - 30.0]),
    ] {
        let mut rgba: Vec<u8> = (0..640).flat_map(|y| view.row(y).to_vec()).collect();
        let mut person = person.clone();
        for y in 0..640u32 {
            for x in 0..480u32 {
                let (px, py) = (x as f64 - from[0], y as f64 - from[1]);
                let (dx, dy) = (to[0] - from[0], to[1] - from[1]);
                let t = ((px * dx + py * dy) / (dx * dx + dy * dy)).clamp(0.0, 1.0);
                if (px - t * dx).hypot(py - t * dy) <= 7.0 {
                    let i = (y * 480 + x) as usize;
                    rgba[4 * i..4 * i + 3].copy_from_slice(&[40, 38, 36]);
                    person.values[i] = 1.0;
                }
            }
        }
        let barred = Frame::from_rgba(rgba, 480, 640).unwrap();
        let check = SelfCheck::of(&barred.view(), Some(&on_photo), &person, &Standard::default());
        assert!(
            check.faults.contains(&Fault::Leftover) && check.outgrowth > OUTGROWTH_MAX,
            "{name}: {check:?}"
        );
    }
}

#[test]
fn the_rehearsal_takes_the_drawn_head_for_a_person_and_makes_its_photo() {
    use gradcap::photo::rehearsal::{Rehearsal, Step};
    let Some((mut finder, mut segmenter)) = models() else { return };
    let standard = Standard::default();
    let mut rehearsal = Rehearsal::default();
    for step in Step::ALL {
        rehearsal.run(step, &mut segmenter, &mut finder, &standard).unwrap();
    }
    let photo = rehearsal.photo().expect("every step ran");
    let near_blue =
        |p: [u8; 4]| p[..3].iter().zip(BACKGROUND).all(|(&a, b)| (a as i32 - b as i32).abs() <= 10);
    let v = photo.view();
    // The room's corners went blue, the face and the neck stayed: the person's outline went
    // through the unsure band's paths, as a real photo's does.
    for (x, y) in [(10, 10), (470, 10), (10, 400), (470, 400)] {
        assert!(near_blue(v.pixel(x, y)), "the room at ({x}, {y}) is blue: {:?}", v.pixel(x, y));
    }
    for (x, y) in [(240, 300), (180, 260), (240, 470)] {
        assert!(!near_blue(v.pixel(x, y)), "the person at ({x}, {y}) is kept: {:?}", v.pixel(x, y));
    }
}

/// The part of `frame` from row `top` to row `bottom`.
fn rows(frame: &Frame, top: u32, bottom: u32) -> Frame {
    let v = frame.view();
    let data: Vec<u8> = (top..bottom).flat_map(|y| v.row(y).to_vec()).collect();
    Frame::from_rgba(data, v.width(), bottom - top).unwrap()
}

/// The photo's pixels whose place in a `width`×`height` picture lies more than
/// [`gradcap::photo::EDGE_SLACK`] photo pixels past its edge, worked out again from the
/// placement.
fn past_the_edge(placement: &Placement, width: u32, height: u32) -> Vec<(u32, u32)> {
    let slack = gradcap::photo::EDGE_SLACK / placement.scale;
    let (w, h) = (width as f64, height as f64);
    (0..640)
        .flat_map(|y| (0..480).map(move |x| (x, y)))
        .filter(|&(x, y)| {
            let [sx, sy] = placement.to_frame(x as f64 + 0.5, y as f64 + 0.5);
            sx < -slack || sy < -slack || sx > w + slack || sy > h + slack
        })
        .collect()
}

/// Where the photo reaches past the picture, it shows the standard's blue and nothing else —
/// never the picture's last row or column drawn out — and where the person would be there the
/// photo is reported incomplete (docs/photo.md "Nothing invented").
#[test]
fn nothing_past_the_pictures_edge_is_invented() {
    let Some((mut finder, mut segmenter)) = models() else { return };
    let Some(original) = photo("obama2.jpg") else { return };
    let face = finder.still(&original.view()).unwrap().unwrap();
    let whole =
        standard_photo(&original.view(), Placement::of(&face), Some(&mut finder), &mut segmenter).unwrap();
    assert!(whole.beyond.whole(), "the whole picture shows the whole person");
    let at = |y: f64| whole.placement.to_frame(240.0, y)[1];
    let height = original.view().height();

    // The picture ends a little below the chin: the shoulders are missing.
    let chin = face.mesh[gradcap::face::landmarks::CHIN][1] as f64;
    let cut = rows(&original, 0, (chin + 0.25 * (at(640.0) - chin)) as u32);
    let (w, h) = (cut.view().width(), cut.view().height());
    let face = finder.still(&cut.view()).unwrap().unwrap();
    let made = standard_photo(&cut.view(), Placement::of(&face), Some(&mut finder), &mut segmenter).unwrap();
    let past = past_the_edge(&made.placement, w, h);
    eprintln!(
        "cut below the chin: {} px past the edge, {:.1} % of the photo the person",
        past.len(),
        100.0 * made.beyond.missing_share()
    );
    assert!(past.len() > 20_000, "the photo reaches well past the picture's bottom");
    assert!(!made.beyond.whole() && made.beyond.sides[2], "the missing shoulders are reported at the bottom");
    assert!(made.beyond.missing_share() > 0.03, "{}", made.beyond.missing_share());
    for &(x, y) in &past {
        let p = made.photo.view().pixel(x, y);
        assert_eq!(&p[..3], &BACKGROUND, "({x}, {y}) past the edge is not the background");
    }

    // The picture starts 30 photo pixels above the crown: only background is missing, and the
    // photo is made, blue above the head.
    let top = at(PHOTO_CROWN - 30.0).max(0.0) as u32;
    let cut = rows(&original, top, height);
    let (w, h) = (cut.view().width(), cut.view().height());
    let face = finder.still(&cut.view()).unwrap().unwrap();
    let made = standard_photo(&cut.view(), Placement::of(&face), Some(&mut finder), &mut segmenter).unwrap();
    let past = past_the_edge(&made.placement, w, h);
    eprintln!("cut above the crown: {} px past the edge", past.len());
    assert!(past.len() > 3_000, "the photo reaches past the picture's top");
    assert!(made.beyond.whole(), "only background lies past the top: {:?}", made.beyond.sides);
    for &(x, y) in &past {
        assert_eq!(&made.photo.view().pixel(x, y)[..3], &BACKGROUND, "({x}, {y})");
    }
}
