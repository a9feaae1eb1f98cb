//! `gradcap analyze` as a user runs it. Needs the models (`scripts/fetch-models`); skips without.

use std::path::Path;
use std::process::Command;

fn analyze(files: &[&Path]) -> Vec<serde_json::Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_gradcap")).arg("analyze").args(files).output().unwrap();
    assert!(out.status.code().is_some(), "no crash");
    String::from_utf8(out.stdout).unwrap().lines().map(|l| serde_json::from_str(l).unwrap()).collect()
}

fn models_present() -> bool {
    let ok =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../models").join(gradcap::face::models::MESH).is_file();
    if !ok {
        eprintln!("skipped: no models/ (run scripts/fetch-models)");
    }
    ok
}

#[test]
fn a_portrait_gives_the_face_and_a_blank_picture_gives_null() {
    if !models_present() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("gradcap-analyze-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blank = dir.join("blank.png");
    image::GrayImage::from_pixel(320, 240, image::Luma([128])).save(&blank).unwrap();
    let faces = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/faces/obama.jpg");
    let mut files = vec![blank.as_path()];
    if faces.is_file() {
        files.push(&faces);
    }
    let lines = analyze(&files);
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!(lines[0]["face"], serde_json::Value::Null);
    assert_eq!(lines[0]["ready"], false);
    assert_eq!(lines[0]["checks"][0]["id"], "face.present");
    assert_eq!(lines[0]["checks"][0]["pass"], false);
    assert!(lines[0]["checks"][0]["hint"]["zh"].as_str().unwrap().contains("虚线框"));
    if let Some(line) = lines.get(1) {
        let face = &line["face"];
        assert!(face["score"].as_f64().unwrap() > 0.8);
        assert_eq!(face["box"].as_array().unwrap().len(), 4);
        assert_eq!(face["keypoints"].as_array().unwrap().len(), 6);
        assert_eq!(face["mesh"].as_array().unwrap().len(), 468);
        assert_eq!(face["mesh"][0].as_array().unwrap().len(), 3);
        let ids: Vec<&str> =
            line["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
        let all = [
            "face.present",
            "face.single",
            "liveness.recapture",
            "face.in_guide",
            "face.size",
            "pose.roll",
            "pose.yaw",
            "pose.pitch",
            "face.uncovered",
            "light.exposure",
            "light.backlight",
            "light.even",
            "light.chin_shadow",
            "light.highlights",
            "image.sharp",
            "glasses.glare",
            "hair.clear",
            "eyes.open",
            "mouth.closed",
            "clothing.stripes",
            "clothing.color",
            "motion.stable",
        ];
        assert_eq!(ids, all, "every check, in the order a student fixes them");
        let live =
            line["checks"].as_array().unwrap().iter().find(|c| c["id"] == "liveness.recapture").unwrap();
        assert_eq!(live["pass"], true, "a real photo shows no screen or print pattern: {live}");
        // The cues a still can show are reported with what they saw (the peak is the check's value).
        let cues = &line["liveness"];
        assert_eq!(cues["peak"], live["value"], "{cues}");
        assert!(cues["border"].as_f64().is_some_and(|b| b < 0.8), "no frame around a real face: {cues}");
        let mouth = line["checks"].as_array().unwrap().iter().find(|c| c["id"] == "mouth.closed").unwrap();
        assert_eq!(mouth["pass"], false, "obama.jpg shows his teeth: {mouth}");
        assert_eq!(line["ready"], false, "a photo that fails a check is not ready");
        for angle in ["roll", "yaw", "pitch"] {
            assert!(face["pose"][angle].as_f64().unwrap().abs() < 20.0, "{angle}");
        }
    }
}

#[test]
fn rules_switch_checks_off_and_bad_rules_are_refused() {
    if !models_present() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("gradcap-rules-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let blank = dir.join("blank.png");
    image::GrayImage::from_pixel(64, 48, image::Luma([128])).save(&blank).unwrap();
    let run = |rules: &str| {
        Command::new(env!("CARGO_BIN_EXE_gradcap"))
            .args(["analyze", "--rules", rules])
            .arg(&blank)
            .output()
            .unwrap()
    };
    let off = run(r#"{"disabled": ["face.single"]}"#);
    let line: serde_json::Value = serde_json::from_slice(&off.stdout).unwrap();
    let ids: Vec<&str> =
        line["checks"].as_array().unwrap().iter().map(|c| c["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["face.present"]);
    let bad = run(r#"{"maxYaw": "five"}"#);
    assert!(!bad.status.success());
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("--rules"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
    let unknown = run(r#"{"maxYawn": 5}"#);
    assert!(!unknown.status.success(), "a misspelt threshold is an error, not silently ignored");
    std::fs::remove_dir_all(&dir).unwrap();
}
