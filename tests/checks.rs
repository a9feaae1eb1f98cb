//! The face checks on the real photos of `../shared/faces`: several show teeth or an open mouth
//! and must fail `mouth.closed`. Needs `models/` (scripts/fetch-models); skips without.

mod common;

use common::{finder, photo};
use gradcap::checks::{self, Check, CheckId, Rules, Scene};
use gradcap::face::FaceFinder;
use gradcap::Frame;

fn judge(finder: &mut FaceFinder, frame: &Frame) -> Vec<Check> {
    let detections = finder.detect_all(&frame.view()).unwrap();
    let face = finder.still(&frame.view()).unwrap();
    checks::judge(&Scene::still(frame.view(), &detections, face.as_ref()), &Rules::default())
}

fn get(checks: &[Check], id: CheckId) -> &Check {
    checks.iter().find(|c| c.id == id).unwrap_or_else(|| panic!("no {id:?} in {checks:?}"))
}

#[test]
fn teeth_and_open_mouths_fail_mouth_closed_and_closed_lips_pass() {
    let Some(mut finder) = finder() else { return };
    for (name, closed) in
        [("astronaut.png", false), ("obama.jpg", false), ("obama2.jpg", false), ("biden.jpg", true)]
    {
        let Some(frame) = photo(name) else {
            eprintln!("skipped: no ../shared/faces/{name}");
            continue;
        };
        let checks = judge(&mut finder, &frame);
        eprintln!("{name}: {checks:?}");
        let mouth = get(&checks, CheckId::MouthClosed);
        assert_eq!(mouth.pass, closed, "{name}: {mouth:?}");
        assert!(get(&checks, CheckId::FacePresent).pass && get(&checks, CheckId::FaceSingle).pass, "{name}");
        assert!(get(&checks, CheckId::EyesOpen).pass, "{name}: eyes are open in every shared photo");
    }
}

#[test]
fn no_face_fails_presence_and_stops_there() {
    let Some(mut finder) = finder() else { return };
    let checks = judge(&mut finder, &Frame::filled(320, 240, [120, 120, 120, 255]));
    assert_eq!(
        checks.iter().map(|c| (c.id, c.pass)).collect::<Vec<_>>(),
        [(CheckId::FacePresent, false), (CheckId::FaceSingle, false)]
    );
}

#[test]
fn two_faces_side_by_side_fail_face_single() {
    let (Some(mut finder), Some(one)) = (finder(), photo("obama.jpg")) else { return };
    let v = one.view();
    let (w, h) = (v.width(), v.height());
    let mut data = Vec::with_capacity((2 * w * h * 4) as usize);
    for y in 0..h {
        data.extend_from_slice(v.row(y));
        data.extend_from_slice(v.row(y));
    }
    let two = Frame::from_rgba(data, 2 * w, h).unwrap();
    let checks = judge(&mut finder, &two);
    let single = get(&checks, CheckId::FaceSingle);
    assert!(!single.pass, "{single:?}");
}

/// `frame` with every channel multiplied by `gain` (and clipped).
fn exposed(frame: &Frame, gain: f32) -> Frame {
    let data = frame
        .as_bytes()
        .chunks_exact(4)
        .flat_map(|p| {
            [
                (p[0] as f32 * gain).min(255.0) as u8,
                (p[1] as f32 * gain).min(255.0) as u8,
                (p[2] as f32 * gain).min(255.0) as u8,
                p[3],
            ]
        })
        .collect();
    Frame::from_rgba(data, frame.view().width(), frame.view().height()).unwrap()
}

#[test]
fn over_and_under_exposed_faces_fail_light_exposure_and_the_original_passes() {
    let (Some(mut finder), Some(original)) = (finder(), photo("obama.jpg")) else { return };
    let exposure =
        |finder: &mut FaceFinder, frame: &Frame| get(&judge(finder, frame), CheckId::LightExposure).clone();
    let good = exposure(&mut finder, &original);
    assert!(good.pass, "{good:?}");
    for gain in [0.2, 3.0] {
        let bad = exposure(&mut finder, &exposed(&original, gain));
        assert!(!bad.pass, "gain {gain}: {bad:?}");
    }
}

/// `frame` with a face mask painted over `face`'s nose and mouth down to the chin, in `colour`
/// shaded from its top edge down (pleats every eighth of its height).
fn masked(frame: &Frame, face: &gradcap::face::Face, colour: [f32; 3]) -> Frame {
    use gradcap::face::landmarks::{CHIN, LEFT_CHEEK, NOSE_TIP, RIGHT_CHEEK};
    let v = frame.view();
    let m = &face.mesh;
    let (x0, x1) = (m[RIGHT_CHEEK][0].min(m[LEFT_CHEEK][0]), m[RIGHT_CHEEK][0].max(m[LEFT_CHEEK][0]));
    let inset = 0.08 * (x1 - x0);
    let (y0, y1) = (m[NOSE_TIP][1] - 0.04 * (x1 - x0), m[CHIN][1] + 0.02 * (x1 - x0));
    let mut data = Vec::with_capacity((v.width() * v.height() * 4) as usize);
    for y in 0..v.height() {
        for x in 0..v.width() {
            let (fx, fy) = (x as f32 + 0.5, y as f32 + 0.5);
            let p = v.pixel(x, y);
            if fx > x0 + inset && fx < x1 - inset && fy > y0 && fy < y1 {
                let t = (fy - y0) / (y1 - y0);
                let pleat = if ((t * 8.0) as u32) % 2 == 0 { 1.0 } else { 0.93 };
                data.extend(colour.map(|c| (c * pleat * (1.0 - 0.15 * t)).round() as u8));
                data.push(255);
            } else {
                data.extend(p);
            }
        }
    }
    Frame::from_rgba(data, v.width(), v.height()).unwrap()
}

/// A surgical mask (pale blue), a white one and a black one over the nose and mouth fail
/// `face.uncovered`; the portraits as they are pass it.
#[test]
fn a_mask_over_the_mouth_fails_face_uncovered_and_the_bare_face_passes() {
    let Some(mut finder) = finder() else { return };
    for name in ["biden.jpg", "obama2.jpg", "astronaut.png"] {
        let Some(frame) = photo(name) else {
            eprintln!("skipped: no ../shared/faces/{name}");
            continue;
        };
        let bare = judge(&mut finder, &frame);
        assert!(get(&bare, CheckId::FaceUncovered).pass, "{name}: {:?}", get(&bare, CheckId::FaceUncovered));
        let face = finder.still(&frame.view()).unwrap().expect("a face");
        for (kind, colour) in [
            ("surgical", [150.0, 190.0, 215.0]),
            ("white", [235.0, 235.0, 232.0]),
            ("black", [38.0, 38.0, 42.0]),
        ] {
            let checks = judge(&mut finder, &masked(&frame, &face, colour));
            let cover = get(&checks, CheckId::FaceUncovered);
            eprintln!("{name} with a {kind} mask: {cover:?}");
            assert!(!cover.pass, "{name} with a {kind} mask: {cover:?}");
        }
    }
}
