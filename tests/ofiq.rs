//! Every raw→score pair of the OFIQ measures gradcap reuses, from OFIQ's published
//! `expected_results.csv` (`../shared/ofiq`, or `$GRADCAP_OFIQ_CSV`); skips without it.

use gradcap::checks::ofiq::Measure;
use std::path::PathBuf;

#[test]
fn every_published_score_is_reproduced() {
    let path = std::env::var_os("GRADCAP_OFIQ_CSV").map(PathBuf::from).unwrap_or_else(|| {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/ofiq/expected_results.csv")
    });
    let Ok(text) = std::fs::read_to_string(&path) else {
        eprintln!("skipped: no {}", path.display());
        return;
    };
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(';').collect();
    let column =
        |name: &str| header.iter().position(|h| *h == name).unwrap_or_else(|| panic!("no column {name}"));
    let (mut checked, mut mismatches) = (0, Vec::new());
    for line in lines.filter(|l| !l.trim().is_empty()) {
        let cells: Vec<&str> = line.split(';').collect();
        for measure in Measure::ALL {
            let raw: f64 = cells[column(measure.name())].parse().unwrap();
            let expected: f64 = cells[column(&format!("{}.scalar", measure.name()))].parse().unwrap();
            let got = measure.score(raw);
            checked += 1;
            if got as f64 != expected {
                mismatches.push(format!(
                    "{} {}: raw {raw} → {got}, OFIQ {expected}",
                    cells[0],
                    measure.name()
                ));
            }
        }
    }
    eprintln!("{checked} raw→score pairs checked");
    assert!(checked >= 28 * Measure::ALL.len(), "{checked}");
    assert!(mismatches.is_empty(), "{mismatches:#?}");
}
