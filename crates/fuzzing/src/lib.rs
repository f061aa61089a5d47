//! What every fuzz target checks, as plain functions over bytes.
//!
//! Two drivers call them: cargo-fuzz (`fuzz/`, one one-line target per function, run in CI on
//! the stable toolchain with `--sanitizer none`), and `cargo test` (`tests/it`), which replays
//! each target's committed corpus in `fuzz/corpus/<target>/` and runs property tests on the
//! same parsers. Keeping the checks here means the targets compile with the workspace and
//! cannot rot unseen.
//!
//! Each function must return normally for any input; a panic (including a failed `assert!`)
//! is a finding.

#![allow(clippy::missing_panics_doc)]

use std::sync::OnceLock;

use rosette_core::Timestamp;
use rosette_jsonld::JsonLdProcessor;
use serde_json::Value;

/// One fuzz target: its name (the file `fuzz/fuzz_targets/<name>.rs` and the corpus folder
/// `fuzz/corpus/<name>/`) and its check.
#[derive(Clone, Copy, Debug)]
pub struct Target {
    /// The target's name.
    pub name: &'static str,
    /// The parser of untrusted input it exercises.
    pub covers: &'static str,
    /// The check; must not panic on any input.
    pub check: fn(&[u8]),
}

/// Every target. `tests/it/corpus.rs` checks that `fuzz/` has a target file and a non-empty
/// corpus for each, and no target file that is not listed here.
pub const TARGETS: &[Target] = &[
    Target {
        name: "nquads",
        covers: "rosette_rdf::parse_nquads / write_nquads",
        check: nquads,
    },
    Target {
        name: "canonicalize",
        covers: "rosette_rdf::canonicalize_nquads (RDFC-1.0, work budget)",
        check: canonicalize,
    },
    Target {
        name: "to_rdf",
        covers: "rosette_jsonld::JsonLdProcessor::to_rdf_bytes",
        check: to_rdf,
    },
    Target {
        name: "read_credential",
        covers: "rosette_openbadges::validate::check_untrusted",
        check: read_credential,
    },
    Target {
        name: "verify_text",
        covers: "rosette_proof::verify_untrusted_text_offline (JSON and VC-JWT)",
        check: verify_text,
    },
    Target {
        name: "unbake",
        covers: "rosette_baking::unbake_png / unbake_svg",
        check: unbake,
    },
    Target {
        name: "did_key",
        covers: "rosette_did::did_key parsing, did_web_to_url",
        check: did_key,
    },
    Target {
        name: "decode_compact",
        covers: "rosette_did::jws::decode_compact",
        check: decode_compact,
    },
    Target {
        name: "offer_url",
        covers: "rosette_oid4vci::parse_offer_url",
        check: offer_url,
    },
    Target {
        name: "issuer_requests",
        covers: "rosette_oid4vci token form, credential and notification requests",
        check: issuer_requests,
    },
    Target {
        name: "key_proof",
        covers: "rosette_oid4vci::validate_jwt_proof",
        check: key_proof,
    },
    Target {
        name: "request_url",
        covers: "rosette_oid4vp::parse_request_url, AuthorizationRequest::from_json, validate_request",
        check: request_url,
    },
    Target {
        name: "direct_post",
        covers: "rosette_oid4vp::parse_direct_post",
        check: direct_post,
    },
    Target {
        name: "dcql_query",
        covers: "rosette_dcql::DcqlQuery::from_json / validate / evaluate",
        check: dcql_query,
    },
    Target {
        name: "status_list",
        covers: "rosette_status::StatusList::decode, entries_of, check",
        check: status_list,
    },
    Target {
        name: "text_fields",
        covers: "rosette_core::text::{display_name, web_url, image_ref}",
        check: text_fields,
    },
    Target {
        name: "fetch_url",
        covers: "rosette_net::FetchPolicy::check_url",
        check: fetch_url,
    },
    Target {
        name: "qr_encode",
        covers: "rosette_qr::png / svg / terminal, decoded back",
        check: qr_encode,
    },
    Target {
        name: "qr_decode",
        covers: "rosette_qr::decode_image",
        check: qr_decode,
    },
    Target {
        name: "bulk_csv",
        covers: "rosette_agent::issuer::bulk::parse_csv",
        check: bulk_csv,
    },
];

/// The target called `name`.
pub fn target(name: &str) -> Option<&'static Target> {
    TARGETS.iter().find(|t| t.name == name)
}

fn text(data: &[u8]) -> Option<&str> {
    std::str::from_utf8(data).ok()
}

/// parse → write → parse gives the same quads.
pub fn nquads(data: &[u8]) {
    if let Some(text) = text(data)
        && let Err(e) = rosette_rdf::check_round_trip(text)
    {
        panic!("N-Quads round trip failed: {e}");
    }
}

/// Canonicalization ends within its work budget, and its output is a fixed point: the
/// canonical form of a canonical document is itself.
pub fn canonicalize(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(canonical) = rosette_rdf::canonicalize_nquads(text) {
        let again = rosette_rdf::canonicalize_nquads(canonical.as_str())
            .expect("a canonical document canonicalizes");
        assert_eq!(again.as_str(), canonical.as_str());
    }
}

/// JSON-LD expansion and toRdf with the bundled contexts never panic.
pub fn to_rdf(data: &[u8]) {
    static PROCESSOR: OnceLock<JsonLdProcessor> = OnceLock::new();
    let processor = PROCESSOR.get_or_init(JsonLdProcessor::with_bundled_contexts);
    let _ = processor.to_rdf_bytes(data);
}

/// bytes → parse → validate (every schema variant) → typed model never panics.
pub fn read_credential(data: &[u8]) {
    rosette_openbadges::validate::check_untrusted(data);
}

/// Any text given to the verifier as a credential yields a verdict, and a valid one only for
/// a credential that carries a proof (an embedded `proof`, or a JWS signature).
pub fn verify_text(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if rosette_proof::verify_untrusted_text_offline(text).is_valid() {
        let embedded = serde_json::from_str::<Value>(text).is_ok_and(|v| v.get("proof").is_some());
        let jws = text.trim().split('.').count() == 3;
        assert!(embedded || jws, "valid without a proof: {text}");
    }
}

/// Neither unbaker panics.
pub fn unbake(data: &[u8]) {
    let _ = rosette_baking::unbake_png(data);
    if let Some(text) = text(data) {
        let _ = rosette_baking::unbake_svg(text);
    }
}

/// did:key parsing never panics, and a parsed key re-encodes to the same DID.
pub fn did_key(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(key) = rosette_did::did_key::parse_did_key(text) {
        assert_eq!(rosette_did::did_key(&key).as_str(), text);
    }
    let _ = rosette_did::did_key::parse_did_key_url(text, true);
    let _ = rosette_did::did_web::did_web_to_url(text, false);
}

/// Compact JWS decoding, and verification of whatever decodes, never panic.
pub fn decode_compact(data: &[u8]) {
    if let Some(text) = text(data)
        && let Ok(decoded) = rosette_did::jws::decode_compact(text)
    {
        let _ = decoded.verify_with_embedded_jwk();
    }
}

/// Offer URLs: parsing never panics, and a parsed offer survives build → parse.
pub fn offer_url(data: &[u8]) {
    use rosette_oid4vci::{
        OfferLocation, offer_url_by_reference, offer_url_by_value, parse_offer_url,
    };
    let Some(text) = text(data) else { return };
    match parse_offer_url(text) {
        Ok(OfferLocation::ByValue(offer)) => {
            let url = offer_url_by_value(&offer).expect("a parsed offer serialises");
            assert_eq!(parse_offer_url(&url), Ok(OfferLocation::ByValue(offer)));
        }
        Ok(OfferLocation::ByReference(uri)) => {
            let url = offer_url_by_reference(&uri);
            assert_eq!(parse_offer_url(&url), Ok(OfferLocation::ByReference(uri)));
        }
        _ => {}
    }
}

/// The issuer's request bodies: a parsed token form re-encodes to the same request; the JSON
/// bodies never panic.
pub fn issuer_requests(data: &[u8]) {
    use rosette_oid4vci::{CredentialRequest, NotificationRequest, TokenRequest};
    if let Ok(request) = TokenRequest::from_form(data) {
        assert_eq!(
            TokenRequest::from_form(request.to_form().as_bytes()),
            Ok(request)
        );
    }
    let _ = CredentialRequest::from_json(data);
    let _ = NotificationRequest::from_json(data);
}

/// Key proof parsing and validation never panic.
pub fn key_proof(data: &[u8]) {
    use rosette_oid4vci::{KeyProofExpectations, unverified_proof_nonce, validate_jwt_proof};
    let Some(text) = text(data) else { return };
    let algs = vec!["EdDSA".to_owned(), "ES256".to_owned()];
    let now = Timestamp::UNIX_EPOCH.plus_seconds(1_800_000_000);
    let nonce = unverified_proof_nonce(text).ok();
    let expect =
        KeyProofExpectations::new("https://issuer.example.org", nonce.as_deref(), now, &algs);
    let _ = validate_jwt_proof(text, &expect);
}

/// The wallet's reading of a presentation request: the URL (from a QR code or a link) and a
/// request object's JSON. A by-value request that parses survives build → parse.
pub fn request_url(data: &[u8]) {
    use rosette_oid4vp::{
        AuthorizationRequest, RequestReference, parse_request_url, request_url_by_value,
        validate_request,
    };
    let Some(text) = text(data) else { return };
    if let Ok(RequestReference::ByValue(request)) = parse_request_url(text) {
        let _ = validate_request(&request);
        let url = request_url_by_value(&request);
        match parse_request_url(&url) {
            Ok(RequestReference::ByValue(again)) => assert_eq!(again, request),
            other => panic!("a parsed request did not survive build → parse: {other:?}"),
        }
    }
    if let Ok(value) = serde_json::from_str::<Value>(text)
        && let Ok(request) = AuthorizationRequest::from_json(value)
    {
        let _ = validate_request(&request);
    }
}

/// The verifier's reading of a wallet's `direct_post` body: a parsed presentation response
/// survives build → parse.
pub fn direct_post(data: &[u8]) {
    use rosette_oid4vp::{AuthorizationResponse, direct_post_form, parse_direct_post};
    if let Ok(AuthorizationResponse::VpToken { vp_token, state }) = parse_direct_post(data) {
        let state = state.map(|s| s.expose_secret().to_owned());
        let form = direct_post_form(&vp_token, state.as_deref());
        match parse_direct_post(form.as_bytes()) {
            Ok(AuthorizationResponse::VpToken {
                vp_token: again, ..
            }) => assert_eq!(again, vp_token),
            other => panic!("a parsed response did not survive build → parse: {other:?}"),
        }
    }
}

/// A DCQL query from a verifier: parsing, validation and evaluation against a real badge
/// never panic.
pub fn dcql_query(data: &[u8]) {
    use rosette_dcql::{Candidate, DcqlQuery, evaluate};
    static CANDIDATE: OnceLock<Vec<Candidate>> = OnceLock::new();
    let candidates = CANDIDATE.get_or_init(|| {
        let credential: Value = serde_json::from_str(SAMPLE_BADGE).expect("sample badge");
        let types = rosette_dcql::w3c::expanded_types(&credential).unwrap_or_default();
        vec![Candidate {
            format: "ldp_vc".to_owned(),
            expanded_types: types,
            claims: credential,
            holder_binding: true,
        }]
    });
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    if let Ok(query) = DcqlQuery::from_json(&value)
        && query.validate().is_ok()
    {
        let _ = evaluate(&query, candidates);
    }
}

/// A signed OB 3.0 badge as the demo issues it, for the DCQL target.
const SAMPLE_BADGE: &str = include_str!("../../dcql/tests/vectors/credentials/demo-badge.ldp.json");

/// Status lists: `encodedList` decoding under its cap, entry reading and checking never panic;
/// a decoded list re-encodes to a list with the same bits.
pub fn status_list(data: &[u8]) {
    use rosette_status::{StatusList, check, entries_of};
    let Some(text) = text(data) else { return };
    if let Ok(list) = StatusList::decode(text.trim(), 64 * 1024) {
        let again = StatusList::decode(&list.encode(), 64 * 1024).expect("re-encoded list");
        assert_eq!(again.as_bytes(), list.as_bytes());
    }
    // A JSON pair [credential, status list credential].
    if let Ok(Value::Array(pair)) = serde_json::from_str::<Value>(text)
        && let [Value::Object(credential), list_credential] = pair.as_slice()
        && let Ok(entries) = entries_of(credential)
    {
        for entry in &entries {
            let _ = check(entry, list_credential);
        }
    }
}

/// The service's validators for names and URLs: their output passes them again unchanged,
/// holds no control, format or bidi character, and a web URL is http(s).
pub fn text_fields(data: &[u8]) {
    use rosette_core::text::{display_name, image_ref, web_url};
    let Some(text) = text(data) else { return };
    if let Ok(name) = display_name(text, 200) {
        assert_eq!(display_name(&name, 200).as_deref(), Ok(name.as_str()));
        assert!(!name.chars().any(|c| c.is_control() || is_bidi_control(c)));
    }
    if let Ok(url) = web_url(text) {
        assert_eq!(web_url(&url).as_deref(), Ok(url.as_str()));
        assert!(url.starts_with("https://") || url.starts_with("http://"));
    }
    if let Ok(image) = image_ref(text) {
        assert_eq!(image_ref(&image).as_deref(), Ok(image.as_str()));
    }
}

/// The characters that reorder text without showing (Unicode bidi controls).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}' | '\u{200e}' | '\u{200f}' | '\u{061c}')
}

/// The guarded client's URL rule: whatever the spelling, an accepted URL with an address
/// literal names a public address, and plain http is accepted only for loopback under the
/// development switch.
pub fn fetch_url(data: &[u8]) {
    use rosette_net::{FetchPolicy, classify};
    let Some(text) = text(data) else { return };
    let Ok(url) = url::Url::parse(text) else {
        return;
    };
    let strict = FetchPolicy::default();
    if strict.check_url(&url).is_ok() {
        assert_eq!(url.scheme(), "https");
        match url.host() {
            Some(url::Host::Ipv4(ip)) => assert_eq!(classify(ip.into()), None, "{url}"),
            Some(url::Host::Ipv6(ip)) => assert_eq!(classify(ip.into()), None, "{url}"),
            _ => {}
        }
    }
    let dev = FetchPolicy {
        allow_loopback_http: true,
        ..FetchPolicy::default()
    };
    if dev.check_url(&url).is_ok() && url.scheme() == "http" {
        assert!(rosette_net::is_loopback_host(&url), "{url}");
    }
}

/// Encoding any text never panics, and an ASCII text that encodes decodes back to itself.
pub fn qr_encode(data: &[u8]) {
    let Some(text) = text(data) else { return };
    let _ = rosette_qr::svg(text);
    let _ = rosette_qr::terminal(text);
    if let Ok(png) = rosette_qr::png(text, 0) {
        // Non-empty ASCII only: the encoder may pick Kanji mode for some multi-byte text,
        // which readers map back differently; empty symbols are skipped by some readers.
        if !text.is_empty() && text.is_ascii() {
            assert_eq!(
                rosette_qr::decode_image(&png).ok(),
                Some(vec![text.to_owned()])
            );
        }
    }
}

/// Decoding any bytes as an image never panics.
pub fn qr_decode(data: &[u8]) {
    let _ = rosette_qr::decode_image(data);
}

/// The bulk-issue CSV parser never panics, and every row it returns names a line of the
/// upload.
pub fn bulk_csv(data: &[u8]) {
    let Some(text) = text(data) else { return };
    if let Ok(rows) = rosette_agent::issuer::bulk::parse_csv(text) {
        let lines = text.lines().count();
        for row in rows {
            assert!(row.line >= 2 && row.line <= lines);
        }
    }
}
