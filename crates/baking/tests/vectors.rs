//! The 1EdTech baked samples (see vectors/SOURCES.md) unbake to what SOURCES.md describes,
//! and survive a re-bake unchanged in content.

use rosette_baking::{Baked, Credential, bake_png, bake_svg, unbake_png, unbake_svg};

const PNG: &[u8] = include_bytes!("vectors/validator-simple-baked-json.png");
const SVG: &str = include_str!("vectors/validator-simple-baked-jwt.svg");

fn b64url_json(seg: &str) -> serde_json::Value {
    // Tiny decoder so the test needs no base64 crate.
    let alphabet = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut bits = 0u32;
    let mut n = 0;
    let mut out = Vec::new();
    for c in seg.bytes() {
        let v = alphabet.iter().position(|&a| a == c).unwrap() as u32;
        bits = (bits << 6) | v;
        n += 6;
        if n >= 8 {
            n -= 8;
            out.push((bits >> n) as u8);
            bits &= (1 << n) - 1;
        }
    }
    serde_json::from_slice(&out).unwrap()
}

#[test]
fn png_sample_unbakes_to_json_credential() {
    let Some(Baked::Json(v)) = unbake_png(PNG).unwrap() else {
        panic!("expected a JSON credential");
    };
    assert_eq!(v["id"], "http://example.com/credentials/3527");
    assert_eq!(v["type"][1], "OpenBadgeCredential");
    assert_eq!(v["proof"][0]["cryptosuite"], "eddsa-rdfc-2022");
}

#[test]
fn svg_sample_unbakes_to_jwt() {
    let Some(Baked::Jwt(jws)) = unbake_svg(SVG).unwrap() else {
        panic!("expected a JWT");
    };
    let mut parts = jws.split('.');
    let header = b64url_json(parts.next().unwrap());
    let payload = b64url_json(parts.next().unwrap());
    assert_eq!(header["alg"], "RS256");
    assert!(header["jwk"].is_object());
    assert_eq!(payload["jti"], "http://example.com/credentials/3527");
}

#[test]
fn samples_rebake_to_one_chunk_or_element() {
    let Some(Baked::Json(v)) = unbake_png(PNG).unwrap() else {
        panic!()
    };
    let again = bake_png(PNG, &Credential::Json(v.clone())).unwrap();
    assert_eq!(unbake_png(&again).unwrap(), Some(Baked::Json(v)));
    let count = again
        .windows(b"openbadgecredential".len())
        .filter(|w| w == b"openbadgecredential")
        .count();
    assert_eq!(count, 1);

    let Some(Baked::Jwt(j)) = unbake_svg(SVG).unwrap() else {
        panic!()
    };
    let again = bake_svg(SVG, &Credential::Jwt(j.clone())).unwrap();
    assert_eq!(unbake_svg(&again).unwrap(), Some(Baked::Jwt(j)));
    assert_eq!(again.matches("<openbadges:credential").count(), 1);
    // The artwork and DOCTYPE survive.
    assert!(again.contains("<!DOCTYPE svg PUBLIC"));
    assert!(again.contains("C764.5,800.4,619.1,856.9,500,856.9z"));
}
