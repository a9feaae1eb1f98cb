use gradcap::frame::{decode_image, DecodeLimits};
fn main() {
    let dir = std::path::Path::new("../shared/faces-real");
    let labels = gradcap_cli::eval::labels(dir).unwrap();
    let mut finder = gradcap_cli::face_finder(std::path::Path::new("models")).unwrap();
    for l in labels {
        let bytes = std::fs::read(gradcap_cli::eval::image_path(dir, &l)).unwrap();
        let frame = decode_image(&bytes, DecodeLimits::default()).unwrap();
        let Ok(Some(f)) = finder.still(&frame.view()) else { continue };
        let m = &f.mesh;
        let p = |i: usize| [m[i][0] as f64, m[i][1] as f64];
        let (a, b) = (p(33), p(263));
        let ang = (b[1] - a[1]).atan2(b[0] - a[0]);
        let (c, s) = (ang.cos(), ang.sin());
        let r = |i: usize| { let q = p(i); [q[0] * c + q[1] * s, -q[0] * s + q[1] * c] };
        let eye = ((r(263)[0] - r(33)[0]).powi(2)).sqrt();
        let w = r(291)[0] - r(61)[0];
        let mid = (r(13)[1] + r(14)[1]) / 2.0;
        let corners = (r(61)[1] + r(291)[1]) / 2.0;
        let lift = (mid - corners) / w;
        // lower lip outer: 17; upper lip top 0
        let lip_h = (r(17)[1] - r(0)[1]) / w;
        // corners vs lip outer points near corners (upper 40/270, lower 91/321)
        let upper_near = (r(40)[1] + r(270)[1]) / 2.0;
        let cheek = (r(205)[1] + r(425)[1]) / 2.0;
        let nose = r(2)[1];
        let corner_to_nose = (corners - nose) / eye;
        println!("{} {} {:?} w/eye {:.3} lift {:.3} liph {:.3} up {:.3} c2n {:.3} cheek {:.3} pitch {:.1}", l.file, l.verdict, l.faults, w / eye, lift, lip_h, (upper_near - corners) / w, corner_to_nose, (corners - cheek)/eye, f.measures.pose.pitch);
    }
}
