//! QR claims from the agent's rendered QR images, and baked PNG/SVG export and import: round
//! trips for both formats, Digital Bazaar on a credential unbaked from our PNG, the 1EdTech baked
//! samples, OB 2.0 refusal. Needs `rosette-agent` built and Node.js with scripts/interop-install.sh.

mod common;

use std::path::Path;

use common::{
    badge_id_of_format, exported, http, new_wallet, node, repo_root, start_agent, stored_copies,
    wallet, wallet_json,
};
use serde_json::{Value, json};

/// A fresh offer (PIN on) from the agent's admin API: (QR PNG URL, PIN).
fn fresh_offer(agent: &common::Server) -> (String, String) {
    let issuer = agent.ready["issuer"].as_str().expect("issuer");
    let token = agent.ready["admin_token"].as_str().expect("admin_token");
    let (status, body) = http(
        "GET",
        &format!("{issuer}/admin/achievements"),
        Some(token),
        None,
    );
    assert_eq!(status, 200, "{}", String::from_utf8_lossy(&body));
    let achievements: Value = serde_json::from_slice(&body).expect("JSON");
    let list = achievements
        .as_array()
        .or_else(|| achievements["achievements"].as_array())
        .unwrap_or_else(|| panic!("achievements: {achievements}"));
    let achievement = list[0]["id"].as_str().expect("achievement id");
    let (status, body) = http(
        "POST",
        &format!("{issuer}/admin/offers"),
        Some(token),
        Some(&json!({"achievement_id": achievement, "recipient": {"name": "Quinn R. Code"}})),
    );
    assert_eq!(status, 201, "{}", String::from_utf8_lossy(&body));
    let offer: Value = serde_json::from_slice(&body).expect("JSON");
    (
        offer["qr_png"].as_str().expect("qr_png").to_owned(),
        offer["tx_code"].as_str().expect("tx_code").to_owned(),
    )
}

fn fetch_png(url: &str) -> Vec<u8> {
    let (status, body) = http("GET", url, None, None);
    assert_eq!(status, 200, "GET {url}");
    assert!(body.starts_with(b"\x89PNG"), "{url} is not a PNG");
    body
}

#[test]
fn claims_from_the_agents_qr_png_and_a_photo_like_jpeg() {
    let agent = start_agent();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (w, _) = new_wallet(tmp.path(), "w");

    let (qr_url, pin) = fresh_offer(&agent);
    let png = tmp.path().join("offer-qr.png");
    std::fs::write(&png, fetch_png(&qr_url)).expect("write");
    let stored = wallet_json(
        &w,
        &[
            "claim",
            "--qr",
            png.to_str().unwrap(),
            "--tx-code",
            &pin,
            "--allow-http",
        ],
    );
    assert_eq!(
        stored["stored"].as_array().map(Vec::len),
        Some(2),
        "{stored}"
    );

    // The same kind of QR, as a phone photo would give it: scaled up unevenly, on a grey
    // margin, lossy JPEG.
    let (qr_url, pin) = fresh_offer(&agent);
    let qr = image::load_from_memory(&fetch_png(&qr_url))
        .expect("decodes")
        .to_luma8();
    let scaled = image::imageops::resize(
        &qr,
        qr.width() * 3 / 2,
        qr.height() * 3 / 2,
        image::imageops::FilterType::Triangle,
    );
    let mut photo = image::GrayImage::from_pixel(
        scaled.width() + 120,
        scaled.height() + 80,
        image::Luma([200]),
    );
    image::imageops::overlay(&mut photo, &scaled, 70, 30);
    let jpeg = tmp.path().join("offer-photo.jpg");
    let mut bytes = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut bytes, 80)
        .encode_image(&photo)
        .expect("JPEG");
    std::fs::write(&jpeg, bytes).expect("write");
    let stored = wallet_json(
        &w,
        &[
            "claim",
            "--qr",
            jpeg.to_str().unwrap(),
            "--tx-code",
            &pin,
            "--allow-http",
        ],
    );
    assert_eq!(
        stored["stored"].as_array().map(Vec::len),
        Some(2),
        "{stored}"
    );
    // Two awards (one per claim), each held in two formats.
    assert_eq!(wallet_json(&w, &["list"]).as_array().map(Vec::len), Some(2));
    assert_eq!(stored_copies(&w).len(), 4);

    // An image without a QR code: a clear error, nothing stored.
    let blank = tmp.path().join("blank.png");
    std::fs::write(&blank, rosette_baking::default_badge_png("No QR here")).expect("write");
    let out = wallet(
        &w,
        "pw",
        &["claim", "--qr", blank.to_str().unwrap(), "--allow-http"],
    );
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("blank.png"),
        "{out:?}"
    );
}

/// Claims the demo offer into a new wallet; returns (wallet dir, ldp badge id, jwt badge id).
fn wallet_with_demo_badges(
    agent: &common::Server,
    parent: &Path,
) -> (std::path::PathBuf, String, String) {
    let (w, _) = new_wallet(parent, "issued");
    let offer = agent.ready["offer"].as_str().expect("offer");
    let pin = agent.ready["tx_code"].as_str().expect("tx_code");
    wallet_json(&w, &["claim", offer, "--tx-code", pin, "--allow-http"]);
    let (ldp, jwt) = (
        badge_id_of_format(&w, "ldp_vc"),
        badge_id_of_format(&w, "jwt_vc_json"),
    );
    (w.clone(), ldp, jwt)
}

#[test]
fn baked_png_and_svg_round_trip_for_ldp_and_jwt_badges() {
    let agent = start_agent();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (w, ldp, jwt) = wallet_with_demo_badges(&agent, tmp.path());
    let (other, _) = new_wallet(tmp.path(), "other");

    for (id, text_format) in [(&ldp, "json"), (&jwt, "jwt")] {
        let original = exported(&w, id, text_format);
        for image in ["png", "svg"] {
            // A neutral file name: import detects the image type from the content.
            let file = tmp.path().join(format!("{id}-{image}.badge"));
            let out = wallet_json(
                &w,
                &[
                    "export",
                    id,
                    "--format",
                    image,
                    "--out",
                    file.to_str().unwrap(),
                ],
            );
            assert_eq!(out["format"], image);
            let bytes = std::fs::read(&file).expect("baked file");
            match image {
                "png" => assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n")),
                _ => assert!(String::from_utf8_lossy(&bytes).contains("openbadges:credential")),
            }

            let stored = wallet_json(&other, &["import", file.to_str().unwrap()]);
            let row = &stored["stored"][0];
            assert_eq!(row["verified"], true, "{stored}");
            let new_id = row["id"].as_str().expect("id");
            // Byte-identical credential (JSON text or compact JWS) after the trip through the image.
            assert_eq!(
                String::from_utf8_lossy(&exported(&other, new_id, text_format)),
                String::from_utf8_lossy(&original),
                "{image} round trip of {text_format}"
            );
            let report = wallet_json(&other, &["verify", new_id]);
            assert_eq!(report[0]["valid"], true, "{report}");
            // Importing it again is recognised; deleting it lets the next image import afresh.
            let again = wallet_json(&other, &["import", file.to_str().unwrap()]);
            assert_eq!(again["already_stored"], new_id, "{again}");
            wallet_json(&other, &["delete", new_id]);
        }
    }
    // A JWT badge cannot be exported as JSON-LD (that would need the issuer's signature).
    let out = wallet(&w, "pw", &["export", &jwt, "--format", "json"]);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot be re-encoded"));
    // `verify` reads baked images too.
    let png = tmp.path().join(format!("{ldp}-png.badge"));
    let report = wallet_json(&w, &["verify", png.to_str().unwrap()]);
    assert_eq!(report[0]["valid"], true, "{report}");
}

/// Digital Bazaar vc (and DCC verifier-core) verify the credential extracted from our baked PNG
/// with the baking library, independently of the wallet's import.
#[test]
fn digital_bazaar_verifies_the_credential_unbaked_from_our_png() {
    let agent = start_agent();
    let tmp = tempfile::tempdir().expect("tempdir");
    let (w, ldp, _) = wallet_with_demo_badges(&agent, tmp.path());
    let png = tmp.path().join("badge.png");
    wallet_json(
        &w,
        &[
            "export",
            &ldp,
            "--format",
            "png",
            "--out",
            png.to_str().unwrap(),
        ],
    );
    let baked = rosette_baking::unbake_png(&std::fs::read(&png).expect("png"))
        .expect("unbakes")
        .expect("has a credential");
    let rosette_baking::Baked::Json(credential) = baked else {
        panic!("expected a JSON credential, got {baked:?}");
    };
    let file = tmp.path().join("unbaked.json");
    std::fs::write(&file, serde_json::to_vec(&credential).expect("JSON")).expect("write");

    let out = node()
        .arg(repo_root().join("tests/interop/verify-ldp.mjs"))
        .arg(&file)
        .output()
        .expect("node runs");
    let report: Value = serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("verify-ldp.mjs printed no JSON ({e}): {out:?}"));
    assert!(out.status.success(), "{report:#}");
    assert_eq!(report["pass"], true, "{report:#}");
    assert_eq!(
        report["results"][0]["verifiers"]["digitalbazaar-vc"]["ok"], true,
        "{report:#}"
    );
}

/// The 1EdTech validator's baked samples (crates/baking/tests/vectors). Their keys cannot be tied
/// to their issuers by our resolvers (an `https://…#z6Mk…` verification method; an RS256 key in
/// the JWS `jwk` header), so import refuses them and says why; with `--unverified` they are
/// stored, listed as unverified with the reason, and `verify` still fails them.
#[test]
fn onedtech_baked_samples_import_only_as_unverified() {
    let vectors = repo_root().join("crates/baking/tests/vectors");
    let tmp = tempfile::tempdir().expect("tempdir");
    let (w, _) = new_wallet(tmp.path(), "w");
    let (people, _) = new_wallet(tmp.path(), "people");
    let cases = [
        (
            "validator-simple-baked-json.png",
            "ldp_vc",
            "cannot resolve https://example.com/issuers/876543#z6Mk",
        ),
        (
            "validator-simple-baked-jwt.svg",
            "jwt_vc_json",
            "issuer key: the key comes from the JWS header itself",
        ),
    ];
    for (name, format, why) in cases {
        let file = vectors.join(name);
        let file = file.to_str().unwrap();
        let out = wallet(&w, "pw", &["import", file]);
        assert!(
            !out.status.success(),
            "{name} imported without --unverified"
        );
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("does not verify, not imported"), "{stderr}");
        assert!(stderr.contains(why), "{stderr}");
        assert!(stderr.contains("--unverified"), "{stderr}");

        let out = wallet(&w, "pw", &["--json", "import", file]);
        assert!(!out.status.success());
        let error: Value = serde_json::from_slice(&out.stdout).expect("JSON error");
        assert!(
            error["error"].as_str().is_some_and(|e| e.contains(why)),
            "{error}"
        );

        let stored = wallet_json(&w, &["import", "--unverified", file]);
        let row = &stored["stored"][0];
        assert_eq!(row["format"], format);
        assert_eq!(row["badge"], "Teamwork");
        assert_eq!(row["verified"], false);
        assert!(
            row["unverified_reason"]
                .as_str()
                .is_some_and(|r| r.contains(why)),
            "{row}"
        );
        // The same credential again: recognised, not stored twice.
        let again = wallet_json(&w, &["import", "--unverified", file]);
        assert_eq!(again["already_stored"], row["id"], "{again}");
        // People are told, too.
        let out = wallet(&people, "pw", &["import", "--unverified", file]);
        assert!(out.status.success(), "{out:?}");
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            stdout.contains("UNVERIFIED") && stdout.contains(why),
            "{stdout}"
        );
    }
    let list = wallet_json(&w, &["list"]);
    let list = list.as_array().expect("list");
    assert_eq!(list.len(), 2);
    for badge in list {
        assert_eq!(badge["status"], "unverified", "{badge}");
        assert!(badge["unverified_reason"].is_string(), "{badge}");
    }
    let out = wallet(&w, "pw", &["list"]);
    assert!(String::from_utf8_lossy(&out.stdout).contains("unverified"));
    let out = wallet(&w, "pw", &["verify"]);
    assert!(!out.status.success(), "{out:?}");
}

#[test]
fn open_badges_2_and_non_badges_are_refused_clearly() {
    let tmp = tempfile::tempdir().expect("tempdir");
    let (w, _) = new_wallet(tmp.path(), "w");
    let ob2 = tmp.path().join("ob2.svg");
    std::fs::write(
        &ob2,
        r#"<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"><openbadges:assertion verify="https://example.org/assertions/1"/><circle r="4"/></svg>"#,
    )
    .expect("write");
    let plain = tmp.path().join("plain.png");
    std::fs::write(&plain, rosette_baking::default_badge_png("Plain")).expect("write");
    let binary = tmp.path().join("random.bin");
    std::fs::write(&binary, [0u8, 159, 146, 150, 255]).expect("write");
    for (file, message) in [
        (
            &ob2,
            "Open Badges 2.0 assertion, not a verifiable credential: not imported",
        ),
        (&plain, "the png image has no baked credential"),
        (&binary, "neither a PNG, an SVG nor a UTF-8 credential file"),
    ] {
        let out = wallet(&w, "pw", &["import", file.to_str().unwrap()]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(message), "{stderr}");
        assert!(!stderr.contains("panicked"), "{stderr}");
    }
    assert_eq!(wallet_json(&w, &["list"]), json!([]));
}
