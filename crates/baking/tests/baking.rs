//! Round trips, replacement, OB 2.0 reading, default images and hostile inputs.

use rosette_baking::{
    BakeError, Baked, Credential, Ob2Assertion, PngError, SvgError, UnbakeError, bake_png,
    bake_svg, default_badge_png, default_badge_svg, unbake_png, unbake_svg,
};
use serde_json::json;

const JWS: &str = "eyJhbGciOiJFZERTQSJ9.eyJqdGkiOiJ1cm46dXVpZDoxIn0.c2lnbmF0dXJl";

fn cred_json() -> serde_json::Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "urn:uuid:1",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "name": "Tricky ]]> <name> & \"quotes\" ünïcødé",
    })
}

fn base_png() -> Vec<u8> {
    default_badge_png("Base Image")
}

fn chunk(ty: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(ty);
    out.extend_from_slice(data);
    let mut h = crc32fast::Hasher::new();
    h.update(ty);
    h.update(data);
    out.extend_from_slice(&h.finalize().to_be_bytes());
    out
}

/// `png` with `extra` inserted just before IEND.
fn with_chunk(png: &[u8], extra: &[u8]) -> Vec<u8> {
    let split = png.len() - 12;
    let mut out = png[..split].to_vec();
    out.extend_from_slice(extra);
    out.extend_from_slice(&png[split..]);
    out
}

fn itxt(keyword: &str, flag: u8, text: &[u8]) -> Vec<u8> {
    let mut d = keyword.as_bytes().to_vec();
    d.extend_from_slice(&[0, flag, 0, 0, 0]);
    d.extend_from_slice(text);
    chunk(b"iTXt", &d)
}

const SVG: &str = r#"<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle r="5"/></svg>"#;

// ---- PNG ----

#[test]
fn png_round_trips_json_and_jwt() {
    let png = base_png();
    for c in [Credential::Json(cred_json()), Credential::Jwt(JWS.into())] {
        let baked = bake_png(&png, &c).unwrap();
        assert_eq!(unbake_png(&baked).unwrap(), Some(Baked::from(c)));
    }
}

#[test]
fn png_chunk_layout_matches_spec() {
    let baked = bake_png(&base_png(), &Credential::Jwt(JWS.into())).unwrap();
    // iTXt immediately before IEND: length, type, keyword NUL, flag 0, method 0, two empty NULs.
    let iend = baked.len() - 12;
    let mut expected = b"iTXtopenbadgecredential\0\0\0\0\0".to_vec();
    expected.extend_from_slice(JWS.as_bytes());
    let start = iend - 4 - expected.len();
    assert_eq!(&baked[start..iend - 4], &expected[..]);
    assert_eq!(&baked[iend + 4..iend + 8], b"IEND");
    // The rest of the image is untouched.
    assert_eq!(&baked[..start - 4], &base_png()[..start - 4]);
}

#[test]
fn png_rebake_replaces() {
    let once = bake_png(&base_png(), &Credential::Json(cred_json())).unwrap();
    let twice = bake_png(&once, &Credential::Jwt(JWS.into())).unwrap();
    assert_eq!(unbake_png(&twice).unwrap(), Some(Baked::Jwt(JWS.into())));
    let n = twice
        .windows(19)
        .filter(|w| w == b"openbadgecredential")
        .count();
    assert_eq!(n, 1);
    // Re-baking the same credential is idempotent.
    assert_eq!(
        bake_png(&twice, &Credential::Jwt(JWS.into())).unwrap(),
        twice
    );
}

#[test]
fn png_without_badge_is_none() {
    assert_eq!(unbake_png(&base_png()).unwrap(), None);
}

#[test]
fn png_first_ob3_chunk_wins() {
    let png = with_chunk(&base_png(), &itxt("openbadgecredential", 0, JWS.as_bytes()));
    let png = with_chunk(
        &png,
        &itxt("openbadgecredential", 0, b"{\"id\":\"second\"}"),
    );
    assert_eq!(unbake_png(&png).unwrap(), Some(Baked::Jwt(JWS.into())));
}

#[test]
fn png_compressed_itxt_is_read() {
    let z = miniz_oxide::deflate::compress_to_vec_zlib(cred_json().to_string().as_bytes(), 6);
    let png = with_chunk(&base_png(), &itxt("openbadgecredential", 1, &z));
    assert_eq!(unbake_png(&png).unwrap(), Some(Baked::Json(cred_json())));
}

#[test]
fn png_zip_bomb_is_refused() {
    // 64 MiB of zeros deflates to ~64 KiB.
    let z = miniz_oxide::deflate::compress_to_vec_zlib(&vec![b' '; 64 << 20], 9);
    assert!(z.len() < 1 << 20);
    let png = with_chunk(&base_png(), &itxt("openbadgecredential", 1, &z));
    assert!(matches!(
        unbake_png(&png),
        Err(UnbakeError::DecompressedTooLarge)
    ));
}

#[test]
fn png_bad_zlib_is_an_error() {
    let png = with_chunk(&base_png(), &itxt("openbadgecredential", 1, b"not zlib"));
    assert!(matches!(unbake_png(&png), Err(UnbakeError::BadCompression)));
}

#[test]
fn png_ob2_forms() {
    let url = "https://example.org/assertions/1";
    let png = with_chunk(
        &base_png(),
        &chunk(b"tEXt", format!("openbadges\0{url}").as_bytes()),
    );
    assert_eq!(
        unbake_png(&png).unwrap(),
        Some(Baked::Ob2(Ob2Assertion::Url(url.into())))
    );
    let png = with_chunk(&base_png(), &itxt("openbadges", 0, JWS.as_bytes()));
    assert_eq!(
        unbake_png(&png).unwrap(),
        Some(Baked::Ob2(Ob2Assertion::Jws(JWS.into())))
    );
    let png = with_chunk(
        &base_png(),
        &itxt("openbadges", 0, b"{\"type\":\"Assertion\"}"),
    );
    assert_eq!(
        unbake_png(&png).unwrap(),
        Some(Baked::Ob2(Ob2Assertion::Json(json!({"type": "Assertion"}))))
    );
    // A 3.0 credential next to a 2.0 assertion wins.
    let both = bake_png(&png, &Credential::Jwt(JWS.into())).unwrap();
    assert_eq!(unbake_png(&both).unwrap(), Some(Baked::Jwt(JWS.into())));
}

#[test]
fn png_bad_crc_is_refused() {
    let mut png = bake_png(&base_png(), &Credential::Jwt(JWS.into())).unwrap();
    let n = png.len();
    png[n - 20] ^= 1; // inside the iTXt data
    assert!(matches!(
        unbake_png(&png),
        Err(UnbakeError::Png(PngError::BadCrc { .. }))
    ));
    assert!(matches!(
        bake_png(&png, &Credential::Jwt(JWS.into())),
        Err(BakeError::Png(PngError::BadCrc { .. }))
    ));
}

#[test]
fn png_truncations_never_panic() {
    let png = bake_png(&base_png(), &Credential::Json(cred_json())).unwrap();
    for cut in 0..png.len() {
        assert!(unbake_png(&png[..cut]).is_err(), "cut at {cut}");
        assert!(bake_png(&png[..cut], &Credential::Jwt(JWS.into())).is_err());
    }
}

#[test]
fn png_huge_chunk_length_is_refused() {
    let mut png = base_png();
    let split = png.len() - 12;
    // An iTXt header claiming 2 GiB, no data behind it.
    let mut bogus = 0x7fff_fff0u32.to_be_bytes().to_vec();
    bogus.extend_from_slice(b"iTXt");
    png.splice(split..split, bogus);
    assert!(matches!(
        unbake_png(&png),
        Err(UnbakeError::Png(PngError::Truncated(_)))
    ));
    png[split] = 0xff; // past 2^31-1
    assert!(matches!(
        unbake_png(&png),
        Err(UnbakeError::Png(PngError::ChunkTooLong { .. }))
    ));
}

#[test]
fn png_structure_errors() {
    assert!(matches!(
        unbake_png(b"GIF89a"),
        Err(UnbakeError::Png(PngError::BadSignature))
    ));
    let mut trailing = base_png();
    trailing.push(0);
    assert!(matches!(
        unbake_png(&trailing),
        Err(UnbakeError::Png(PngError::TrailingData))
    ));
    let png = base_png();
    let no_iend = &png[..png.len() - 12];
    assert!(matches!(
        unbake_png(no_iend),
        Err(UnbakeError::Png(PngError::MissingIend))
    ));
    // Malformed iTXt: no keyword terminator.
    let png = with_chunk(&base_png(), &chunk(b"iTXt", b"openbadgecredential"));
    assert!(matches!(
        unbake_png(&png),
        Err(UnbakeError::Png(PngError::MalformedTextChunk("iTXt")))
    ));
    // Garbage payload.
    let png = with_chunk(&base_png(), &itxt("openbadgecredential", 0, b"hello"));
    assert!(matches!(
        unbake_png(&png),
        Err(UnbakeError::UnrecognisedPayload)
    ));
    let png = with_chunk(&base_png(), &itxt("openbadgecredential", 0, b"{broken"));
    assert!(matches!(unbake_png(&png), Err(UnbakeError::BadJson(_))));
    let png = with_chunk(&base_png(), &itxt("openbadgecredential", 0, &[0xff, 0xfe]));
    assert!(matches!(unbake_png(&png), Err(UnbakeError::NotUtf8)));
}

#[test]
fn png_size_limit() {
    let big = vec![0u8; 20 * 1024 * 1024 + 1];
    assert!(matches!(
        unbake_png(&big),
        Err(UnbakeError::ImageTooLarge(_))
    ));
    assert!(matches!(
        bake_png(&big, &Credential::Jwt(JWS.into())),
        Err(BakeError::ImageTooLarge(_))
    ));
}

#[test]
fn bad_jwt_is_refused() {
    for bad in ["", "a.b", "a.b.c.d", "a\".b.c", "a.b.c<"] {
        assert!(matches!(
            bake_png(&base_png(), &Credential::Jwt(bad.into())),
            Err(BakeError::NotCompactJws)
        ));
        assert!(matches!(
            bake_svg(SVG, &Credential::Jwt(bad.into())),
            Err(BakeError::NotCompactJws)
        ));
    }
}

// ---- SVG ----

#[test]
fn svg_round_trips_json_and_jwt() {
    for c in [Credential::Json(cred_json()), Credential::Jwt(JWS.into())] {
        let baked = bake_svg(SVG, &c).unwrap();
        assert_eq!(unbake_svg(&baked).unwrap(), Some(Baked::from(c)));
    }
}

#[test]
fn svg_layout_matches_spec() {
    let baked = bake_svg(SVG, &Credential::Jwt(JWS.into())).unwrap();
    assert!(baked.contains(&format!(
        r#"xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"><openbadges:credential verify="{JWS}"></openbadges:credential><circle"#
    )));
    let baked = bake_svg(SVG, &Credential::Json(cred_json())).unwrap();
    // JSON goes in CDATA, with "]]>" split across sections.
    assert!(baked.contains("<openbadges:credential><![CDATA[{"));
    assert!(baked.contains("Tricky ]]]]><![CDATA[> <name>"));
    assert!(!baked.contains("verify="));
}

#[test]
fn svg_rebake_replaces_and_handles_self_closing_root() {
    let once = bake_svg(SVG, &Credential::Json(cred_json())).unwrap();
    let twice = bake_svg(&once, &Credential::Jwt(JWS.into())).unwrap();
    assert_eq!(twice.matches("<openbadges:credential").count(), 1);
    assert_eq!(twice.matches("xmlns:openbadges=").count(), 1);
    assert_eq!(unbake_svg(&twice).unwrap(), Some(Baked::Jwt(JWS.into())));
    assert_eq!(
        bake_svg(&twice, &Credential::Jwt(JWS.into())).unwrap(),
        twice
    );

    let empty = r#"<svg xmlns="http://www.w3.org/2000/svg"/>"#;
    let baked = bake_svg(empty, &Credential::Jwt(JWS.into())).unwrap();
    assert!(baked.ends_with("</openbadges:credential></svg>"));
    assert_eq!(unbake_svg(&baked).unwrap(), Some(Baked::Jwt(JWS.into())));
}

#[test]
fn svg_other_prefix_and_text_body_are_read() {
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:ob="https://purl.imsglobal.org/ob/v3p0"><ob:credential>
        {"id": "a &amp; b"}
    </ob:credential></svg>"#;
    assert_eq!(
        unbake_svg(svg).unwrap(),
        Some(Baked::Json(json!({"id": "a & b"})))
    );
    // Same local name, wrong namespace: not a badge.
    let svg = r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="urn:other"><x:credential verify="a.b.c"/></svg>"#;
    assert_eq!(unbake_svg(svg).unwrap(), None);
}

#[test]
fn svg_ob2_forms() {
    let url = "https://example.org/assertions/1";
    let svg = format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"><openbadges:assertion verify="{url}"/></svg>"#
    );
    assert_eq!(
        unbake_svg(&svg).unwrap(),
        Some(Baked::Ob2(Ob2Assertion::Url(url.into())))
    );
    let svg = r#"<svg xmlns:openbadges="http://openbadges.org"><openbadges:assertion><![CDATA[{"type":"Assertion"}]]></openbadges:assertion></svg>"#;
    assert_eq!(
        unbake_svg(svg).unwrap(),
        Some(Baked::Ob2(Ob2Assertion::Json(json!({"type": "Assertion"}))))
    );
    // Baking 3.0 over a 2.0 image drops the 2.0 assertion (its prefix is rebound to 3.0).
    let baked = bake_svg(svg, &Credential::Jwt(JWS.into())).unwrap();
    assert!(!baked.contains("assertion"));
    assert_eq!(unbake_svg(&baked).unwrap(), Some(Baked::Jwt(JWS.into())));
}

#[test]
fn svg_without_badge_is_none() {
    assert_eq!(unbake_svg(SVG).unwrap(), None);
}

#[test]
fn svg_malformed_inputs_are_errors() {
    let cases: &[(&str, &str)] = &[
        ("empty", ""),
        ("text only", "hello"),
        ("wrong root", "<html><svg/></html>"),
        ("unclosed", "<svg><g>"),
        ("mismatched", "<svg><g></svg>"),
        ("bad attr", "<svg a=b/>"),
        ("undefined entity", "<svg>&xxe;</svg>"),
        ("undefined entity in attr", r#"<svg a="&xxe;"/>"#),
        (
            "XXE",
            r#"<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><svg>&xxe;</svg>"#,
        ),
        (
            "billion laughs",
            r#"<!DOCTYPE svg [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;&a;">]><svg>&b;</svg>"#,
        ),
    ];
    for (what, svg) in cases {
        assert!(unbake_svg(svg).is_err(), "unbake {what}");
        assert!(
            bake_svg(svg, &Credential::Jwt(JWS.into())).is_err(),
            "bake {what}"
        );
    }
    assert!(matches!(
        unbake_svg("<html/>"),
        Err(UnbakeError::Svg(SvgError::NoSvgRoot))
    ));
    assert!(matches!(
        bake_svg(cases[8].1, &Credential::Jwt(JWS.into())),
        Err(BakeError::Svg(SvgError::EntityDeclaration))
    ));
}

#[test]
fn svg_truncations_never_panic() {
    let svg = bake_svg(SVG, &Credential::Json(cred_json())).unwrap();
    for (cut, _) in svg.char_indices() {
        let _ = unbake_svg(&svg[..cut]);
        let _ = bake_svg(&svg[..cut], &Credential::Jwt(JWS.into()));
    }
}

// ---- default images ----

#[test]
fn default_svg_is_valid_escaped_and_bakeable() {
    let svg = default_badge_svg("Rust <Advanced> & \"Co\"");
    assert!(svg.contains("<title>Rust &lt;Advanced&gt; &amp; &quot;Co&quot;</title>"));
    // Initials take the first letter of each word, skipping punctuation.
    assert!(svg.contains(">RA</text>"), "{svg}");
    let baked = bake_svg(&svg, &Credential::Jwt(JWS.into())).unwrap();
    assert_eq!(unbake_svg(&baked).unwrap(), Some(Baked::Jwt(JWS.into())));
    assert!(default_badge_svg("").contains("</text></svg>"));
}

#[test]
fn default_png_is_valid_and_bakeable() {
    let png = default_badge_png("Data Science");
    assert_eq!(unbake_png(&png).unwrap(), None);
    assert_eq!(&png[12..16], b"IHDR");
    assert_eq!(u32::from_be_bytes(png[16..20].try_into().unwrap()), 128);
    let baked = bake_png(&png, &Credential::Json(cred_json())).unwrap();
    assert_eq!(unbake_png(&baked).unwrap(), Some(Baked::Json(cred_json())));
    // Stable for a name.
    assert_eq!(png, default_badge_png("Data Science"));
}

#[test]
fn png_foreign_malformed_text_chunks_are_ignored() {
    let png = with_chunk(&base_png(), &chunk(b"iTXt", b"XML:com.adobe.xmp"));
    let png = with_chunk(&png, &chunk(b"tEXt", b"Comment"));
    assert_eq!(unbake_png(&png).unwrap(), None);
    let baked = bake_png(&png, &Credential::Jwt(JWS.into())).unwrap();
    assert_eq!(unbake_png(&baked).unwrap(), Some(Baked::Jwt(JWS.into())));
}
