//! Rough throughput of bake/unbake on the 1EdTech samples:
//! `cargo run --release -p rosette-baking --example throughput`.

use std::time::Instant;

use rosette_baking::{Baked, Credential, bake_png, bake_svg, unbake_png, unbake_svg};

const PNG: &[u8] = include_bytes!("../tests/vectors/validator-simple-baked-json.png");
const SVG: &str = include_str!("../tests/vectors/validator-simple-baked-jwt.svg");

fn time(label: &str, n: u32, mut f: impl FnMut()) {
    let t = Instant::now();
    for _ in 0..n {
        f();
    }
    let per = t.elapsed() / n;
    println!("{label:<40} {per:>10.2?} per call");
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let Some(Baked::Json(json)) = unbake_png(PNG)? else {
        return Err("PNG sample has no JSON credential".into());
    };
    let Some(Baked::Jwt(jwt)) = unbake_svg(SVG)? else {
        return Err("SVG sample has no JWT".into());
    };
    let json = Credential::Json(json);
    let jwt = Credential::Jwt(jwt);
    println!(
        "PNG sample {} bytes, SVG sample {} bytes",
        PNG.len(),
        SVG.len()
    );
    time("unbake_png (85 KB, JSON)", 2000, || {
        let _ = unbake_png(PNG);
    });
    time("bake_png (85 KB, JSON, replaces)", 2000, || {
        let _ = bake_png(PNG, &json);
    });
    time("unbake_svg (JWT)", 2000, || {
        let _ = unbake_svg(SVG);
    });
    time("bake_svg (JWT, replaces)", 2000, || {
        let _ = bake_svg(SVG, &jwt);
    });
    time("default_badge_png", 200, || {
        let _ = rosette_baking::default_badge_png("Data Science");
    });
    Ok(())
}
