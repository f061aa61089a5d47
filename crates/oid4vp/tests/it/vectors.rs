//! Requests captured from the oid4vc-ts verifier (see `tests/vectors/SOURCES.md`).

use std::path::PathBuf;

use rosette_did::DidResolver;
use rosette_did::resolve::DidKeyResolver;
use rosette_oid4vp::{
    ClientIdPrefix, RequestReference, RequestUrlOptions, ResponseMode, parse_request_url_with,
    validate_request, verify_request_object,
};

fn vector(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/oid4vc-ts")
        .join(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .trim()
        .to_owned()
}

#[test]
fn oid4vc_ts_unsigned_request_by_value() {
    let url = vector("by-value-redirect-uri.jwt_vc_json.url");
    let RequestReference::ByValue(request) =
        parse_request_url_with(&url, &RequestUrlOptions::danger_allow_http_loopback()).unwrap()
    else {
        panic!("by value")
    };
    validate_request(&request).unwrap();
    assert_eq!(request.client_id.prefix(), ClientIdPrefix::RedirectUri);
    assert_eq!(request.response_mode, Some(ResponseMode::DirectPost));
    let query = request.dcql_query.as_ref().unwrap();
    assert_eq!(query["credentials"][0]["format"], "jwt_vc_json");
    assert_eq!(
        query["credentials"][0]["meta"]["type_values"][0][1],
        rosette_oid4vp::dcql::OB_TYPE_IRI
    );
    assert!(
        request
            .client_metadata
            .as_ref()
            .unwrap()
            .vp_formats_supported
            .is_some()
    );
}

#[tokio::test]
async fn oid4vc_ts_signed_request_object() {
    let url = vector("signed-request-uri.ldp_vc.url");
    let RequestReference::ByReference { client_id, .. } =
        parse_request_url_with(&url, &RequestUrlOptions::danger_allow_http_loopback()).unwrap()
    else {
        panic!("by reference")
    };
    assert_eq!(client_id.prefix(), ClientIdPrefix::DecentralizedIdentifier);
    let jwt = vector("signed-request-uri.ldp_vc.request.jwt");
    let resolver = DidResolver::did_key_only(DidKeyResolver::new());
    let request = verify_request_object(&jwt, &client_id, &resolver)
        .await
        .unwrap();
    validate_request(&request).unwrap();
    assert_eq!(
        request.dcql_query.as_ref().unwrap()["credentials"][0]["format"],
        "ldp_vc"
    );
    // Any altered character of the signed part is refused.
    let dot = jwt.rfind('.').unwrap();
    for i in (0..dot).step_by(37) {
        let mut bytes = jwt.clone().into_bytes();
        if bytes[i] == b'.' {
            continue;
        }
        bytes[i] = if bytes[i] == b'A' { b'B' } else { b'A' };
        let altered = String::from_utf8(bytes).unwrap();
        if altered != jwt {
            assert!(
                verify_request_object(&altered, &client_id, &resolver)
                    .await
                    .is_err(),
                "byte {i}"
            );
        }
    }
}
