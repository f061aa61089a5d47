//! The exchange end to end, in memory, and the attacks a verifier must refuse.

use rosette_did::DidResolver;
use rosette_did::resolve::DidKeyResolver;
use rosette_oid4vp::{
    AuthorizationResponse, ClientId, ErrorCode, RequestError, RequestReference, RequestUrlOptions,
    ResponseError, TrustedIssuers, direct_post_form, parse_direct_post, parse_request_url,
    parse_request_url_with, request_url, request_url_by_value, request_url_signed_by_value,
    sign_request_object, validate_request, verify_request_object, verify_request_object_at,
    verify_response, verify_response_report,
};
use rosette_proof::CredentialFormat;
use serde_json::{Value, json};

use crate::support::*;

const ISSUER: u8 = 1;
const HOLDER: u8 = 2;
const VERIFIER: u8 = 3;
const OTHER: u8 = 4;

fn resolver() -> DidResolver {
    DidResolver::did_key_only(DidKeyResolver::new())
}

fn did_client() -> ClientId {
    ClientId::decentralized_identifier(key(VERIFIER).did_key().as_str())
}

fn format_of(format: &str) -> CredentialFormat {
    CredentialFormat::parse(format).unwrap()
}

/// A response to `request` from the honest holder, with hooks to spoil it.
fn answer(
    request: &rosette_oid4vp::AuthorizationRequest,
    format: &str,
    credential: Value,
    binding: rosette_proof::presentation::Binding,
) -> AuthorizationResponse {
    let holder = key(HOLDER);
    let presented = sign(ISSUER, &credential, format_of(format));
    let vp = present(&holder, presented, format, &binding);
    let form = direct_post_form(
        &token(&format!("badge_{format}"), vp),
        request.state.as_ref().map(|s| s.expose_secret()),
    );
    parse_direct_post(form.as_bytes()).unwrap()
}

fn honest_credential() -> Value {
    credential(
        &key(ISSUER),
        key(HOLDER).did_key().as_str(),
        "Rust Practitioner",
        None,
    )
}

async fn judge(
    request: &rosette_oid4vp::AuthorizationRequest,
    response: &AuthorizationResponse,
    trusted: &TrustedIssuers,
) -> Result<rosette_oid4vp::VerifiedPresentationSet, ResponseError> {
    verify_response(request, response, &verifier(), trusted, now()).await
}

async fn honest(format: &str) {
    let request = request(&did_client(), &[format], Some("Rust Practitioner"));
    let response = answer(&request, format, honest_credential(), binding_for(&request));
    let trusted = TrustedIssuers::from_list([key(ISSUER).did_key().as_str()]);
    let set = judge(&request, &response, &trusted).await.unwrap();
    assert_eq!(set.presentations.len(), 1);
    let c = &set.presentations[0].credentials[0];
    assert_eq!(c.verdict.achievement.as_deref(), Some("Rust Practitioner"));
    assert_eq!(
        c.verdict.subject.as_deref(),
        Some(key(HOLDER).did_key().as_str())
    );
}

#[tokio::test]
async fn honest_jwt_presentation_is_accepted() {
    honest("jwt_vc_json").await;
}

#[tokio::test]
async fn honest_ldp_presentation_is_accepted() {
    honest("ldp_vc").await;
}

#[tokio::test]
async fn any_format_request_accepts_either() {
    let request = request(&did_client(), &[], None);
    let response = answer(
        &request,
        "jwt_vc_json",
        honest_credential(),
        binding_for(&request),
    );
    judge(&request, &response, &TrustedIssuers::any())
        .await
        .unwrap();
}

#[tokio::test]
async fn vp_wrong_nonce() {
    for format in ["jwt_vc_json", "ldp_vc"] {
        let request = request(&did_client(), &[format], None);
        let mut b = binding_for(&request);
        b.nonce = "not-the-nonce".into();
        let response = answer(&request, format, honest_credential(), b);
        let e = judge(&request, &response, &TrustedIssuers::any())
            .await
            .unwrap_err();
        assert_eq!(
            e,
            ResponseError::WrongNonce {
                id: format!("badge_{format}")
            }
        );
        assert_eq!(e.code(), ErrorCode::InvalidRequest);
    }
}

#[tokio::test]
async fn vp_wrong_audience() {
    for format in ["jwt_vc_json", "ldp_vc"] {
        let request = request(&did_client(), &[format], None);
        // The DID without its prefix is another audience (§14.1: the full client_id).
        let mut b = binding_for(&request);
        b.audience = key(VERIFIER).did_key().as_str().to_owned();
        let response = answer(&request, format, honest_credential(), b);
        let e = judge(&request, &response, &TrustedIssuers::any())
            .await
            .unwrap_err();
        assert!(matches!(e, ResponseError::WrongAudience { .. }), "{e:?}");
        assert_eq!(e.violation(), "wrong_audience");
    }
}

#[tokio::test]
async fn vp_untrusted_issuer() {
    let request = request(&did_client(), &["ldp_vc"], None);
    let response = answer(
        &request,
        "ldp_vc",
        honest_credential(),
        binding_for(&request),
    );
    let trusted = TrustedIssuers::from_list([key(OTHER).did_key().as_str()]);
    let e = judge(&request, &response, &trusted).await.unwrap_err();
    assert!(matches!(e, ResponseError::UntrustedIssuer { .. }), "{e:?}");
    assert_eq!(e.code(), ErrorCode::AccessDenied);
}

#[tokio::test]
async fn vp_expired_credential() {
    let request = request(&did_client(), &["jwt_vc_json"], None);
    let expired = credential(
        &key(ISSUER),
        key(HOLDER).did_key().as_str(),
        "Rust Practitioner",
        Some(NOW - 3600),
    );
    let response = answer(&request, "jwt_vc_json", expired, binding_for(&request));
    let e = judge(&request, &response, &TrustedIssuers::any())
        .await
        .unwrap_err();
    assert!(
        matches!(e, ResponseError::CredentialExpired { .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn vp_tampered_credential() {
    let request = request(&did_client(), &["ldp_vc"], None);
    let holder = key(HOLDER);
    let PresentedCredential::Json(mut signed) =
        sign(ISSUER, &honest_credential(), CredentialFormat::LdpVc)
    else {
        panic!("ldp")
    };
    signed["credentialSubject"]["achievement"]["name"] = json!("Grand Master");
    let vp = present(
        &holder,
        PresentedCredential::Json(signed),
        "ldp_vc",
        &binding_for(&request),
    );
    let form = direct_post_form(
        &token("badge_ldp_vc", vp),
        request.state.as_ref().map(|s| s.expose_secret()),
    );
    let response = parse_direct_post(form.as_bytes()).unwrap();
    let e = judge(&request, &response, &TrustedIssuers::any())
        .await
        .unwrap_err();
    assert!(
        matches!(e, ResponseError::InvalidCredential { .. }),
        "{e:?}"
    );
}

#[tokio::test]
async fn vp_holder_is_not_subject() {
    let request = request(&did_client(), &["jwt_vc_json"], None);
    let someone_else = credential(
        &key(ISSUER),
        key(OTHER).did_key().as_str(),
        "Rust Practitioner",
        None,
    );
    let response = answer(&request, "jwt_vc_json", someone_else, binding_for(&request));
    let e = judge(&request, &response, &TrustedIssuers::any())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        ResponseError::HolderNotSubject {
            id: "badge_jwt_vc_json".into()
        }
    );
}

#[tokio::test]
async fn vp_query_not_satisfied() {
    let request = request(&did_client(), &["jwt_vc_json"], Some("Other Badge"));
    let response = answer(
        &request,
        "jwt_vc_json",
        honest_credential(),
        binding_for(&request),
    );
    let report = verify_response_report(
        &request,
        &response,
        &verifier(),
        &TrustedIssuers::any(),
        now(),
    )
    .await;
    assert!(
        matches!(report.error, Some(ResponseError::QueryNotSatisfied(_))),
        "{:?}",
        report.error
    );
    // Everything else passed and is reported.
    assert!(report.presentations[0].presentation.is_valid());
}

#[tokio::test]
async fn vp_format_mismatch_and_unknown_query_id() {
    let request = request(&did_client(), &["ldp_vc"], None);
    let b = binding_for(&request);
    let vp = present(
        &key(HOLDER),
        sign(ISSUER, &honest_credential(), CredentialFormat::JwtVcJson),
        "jwt_vc_json",
        &b,
    );
    let state = request.state.as_ref().map(|s| s.expose_secret());
    let r =
        parse_direct_post(direct_post_form(&token("badge_ldp_vc", vp.clone()), state).as_bytes())
            .unwrap();
    let e = judge(&request, &r, &TrustedIssuers::any())
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::VpFormatsNotSupported);
    let r = parse_direct_post(direct_post_form(&token("elsewhere", vp), state).as_bytes()).unwrap();
    let e = judge(&request, &r, &TrustedIssuers::any())
        .await
        .unwrap_err();
    assert_eq!(
        e,
        ResponseError::UnknownQueryId {
            id: "elsewhere".into()
        }
    );
}

#[tokio::test]
async fn vp_state_mismatch_and_wallet_error() {
    let request = request(&did_client(), &["jwt_vc_json"], None);
    let vp = present(
        &key(HOLDER),
        sign(ISSUER, &honest_credential(), CredentialFormat::JwtVcJson),
        "jwt_vc_json",
        &binding_for(&request),
    );
    let r = parse_direct_post(
        direct_post_form(&token("badge_jwt_vc_json", vp), Some("other")).as_bytes(),
    )
    .unwrap();
    assert_eq!(
        judge(&request, &r, &TrustedIssuers::any())
            .await
            .unwrap_err(),
        ResponseError::StateMismatch
    );
    let r = parse_direct_post(b"error=access_denied").unwrap();
    let e = judge(&request, &r, &TrustedIssuers::any())
        .await
        .unwrap_err();
    assert_eq!(e.code(), ErrorCode::AccessDenied);
}

use rosette_proof::presentation::PresentedCredential;

#[tokio::test]
async fn signed_request_by_reference_round_trip() {
    let client = did_client();
    let request = request(&client, &["ldp_vc"], None);
    let url = request_url(&client, "https://verifier.example/requests/1", None);
    assert!(url.starts_with("openid4vp://?client_id=decentralized_identifier%3Adid%3Akey%3Az6Mk"));
    let RequestReference::ByReference {
        client_id,
        request_uri,
        request_uri_method,
    } = parse_request_url(&url).unwrap()
    else {
        panic!("by reference")
    };
    assert_eq!(client_id, client);
    assert_eq!(request_uri.as_str(), "https://verifier.example/requests/1");
    assert_eq!(request_uri_method, rosette_oid4vp::RequestUriMethod::Get);
    let verifier_key = key(VERIFIER);
    let kid = verifier_key.did_key_verification_method();
    let jwt = sign_request_object(&request, &verifier_key, kid.as_str(), now(), 300).unwrap();
    let got = verify_request_object(&jwt, &client_id, &resolver())
        .await
        .unwrap();
    validate_request(&got).unwrap();
    assert_eq!(got.nonce, request.nonce);
    assert_eq!(got.dcql_query, request.dcql_query);
    // A time-aware wallet refuses it once expired.
    let late = now().plus_seconds(3600);
    assert_eq!(
        verify_request_object_at(&jwt, &client_id, &resolver(), late).await,
        Err(RequestError::Expired)
    );
}

#[tokio::test]
async fn request_object_attacks_are_refused() {
    let client = did_client();
    let request = request(&client, &["ldp_vc"], None);
    let verifier_key = key(VERIFIER);
    let kid = verifier_key.did_key_verification_method();
    let jwt = sign_request_object(&request, &verifier_key, kid.as_str(), now(), 300).unwrap();
    // client_id in the URL differs from the object's.
    let other = ClientId::decentralized_identifier(key(OTHER).did_key().as_str());
    assert!(matches!(
        verify_request_object(&jwt, &other, &resolver()).await,
        Err(RequestError::ClientIdMismatch { .. })
    ));
    // Signed by a key of another DID.
    let intruder = key(OTHER);
    let forged = sign_request_object(
        &request,
        &intruder,
        intruder.did_key_verification_method().as_str(),
        now(),
        300,
    )
    .unwrap();
    assert!(matches!(
        verify_request_object(&forged, &client, &resolver()).await,
        Err(RequestError::KidNotOfClient(_))
    ));
    // Signature byte flipped.
    let mut bad = jwt.clone().into_bytes();
    let last = bad.len() - 3;
    bad[last] = if bad[last] == b'A' { b'B' } else { b'A' };
    let bad = String::from_utf8(bad).unwrap();
    assert!(
        verify_request_object(&bad, &client, &resolver())
            .await
            .is_err()
    );
    // Wrong typ.
    let mut header = rosette_did::jws::JwsHeader::new(rosette_did::jws::JwsAlgorithm::EdDSA);
    header.kid = Some(kid.as_str().to_owned());
    header.typ = Some("JWT".into());
    let plain = rosette_did::jws::sign_compact(
        &header,
        serde_json::to_string(&request).unwrap().as_bytes(),
        &verifier_key,
    )
    .unwrap();
    assert_eq!(
        verify_request_object(&plain, &client, &resolver()).await,
        Err(RequestError::WrongTyp(Some("JWT".into())))
    );
}

#[tokio::test]
async fn redirect_uri_request_by_value_round_trip() {
    let client = ClientId::redirect_uri("https://verifier.example/response");
    let request = request(&client, &["jwt_vc_json"], None);
    let url = request_url_by_value(&request);
    let RequestReference::ByValue(parsed) = parse_request_url(&url).unwrap() else {
        panic!("by value")
    };
    assert_eq!(*parsed, request);
    validate_request(&parsed).unwrap();
    // A signed redirect_uri: request is refused (§5.9.3).
    let k = key(VERIFIER);
    let jwt = sign_request_object(
        &request,
        &k,
        k.did_key_verification_method().as_str(),
        now(),
        300,
    )
    .unwrap();
    assert_eq!(
        verify_request_object(&jwt, &client, &resolver()).await,
        Err(RequestError::SignedRedirectUriRequest)
    );
}

#[tokio::test]
async fn signed_request_by_value_round_trip() {
    let client = did_client();
    let request = request(&client, &["ldp_vc"], None);
    let k = key(VERIFIER);
    let jwt = sign_request_object(
        &request,
        &k,
        k.did_key_verification_method().as_str(),
        now(),
        300,
    )
    .unwrap();
    let url = request_url_signed_by_value(&client, &jwt);
    let RequestReference::ByValueSigned {
        client_id,
        request: object,
    } = parse_request_url(&url).unwrap()
    else {
        panic!("signed by value")
    };
    let got = verify_request_object(&object, &client_id, &resolver())
        .await
        .unwrap();
    assert_eq!(got.state, request.state);
}

#[test]
fn validate_request_refuses_what_the_wallet_cannot_answer() {
    let base = request(&did_client(), &["ldp_vc"], None);
    let mut r = base.clone();
    r.redirect_uri = Some("https://x".into());
    assert_eq!(
        validate_request(&r),
        Err(RequestError::RedirectUriWithDirectPost)
    );
    let mut r = base.clone();
    r.nonce = None;
    assert_eq!(
        validate_request(&r),
        Err(RequestError::MissingParameter("nonce"))
    );
    let mut r = base.clone();
    r.client_id = ClientId::new("origin:https://x");
    assert_eq!(validate_request(&r), Err(RequestError::OriginPrefixRefused));
    let mut r = base.clone();
    r.transaction_data = Some(vec!["e30".into()]);
    assert_eq!(
        validate_request(&r).unwrap_err().code(),
        ErrorCode::InvalidTransactionData
    );
    let mut r = base.clone();
    r.response_uri = None;
    assert_eq!(
        validate_request(&r),
        Err(RequestError::MissingParameter("response_uri"))
    );
    let mut r = base.clone();
    r.dcql_query = None;
    r.extra.insert("presentation_definition".into(), json!({}));
    assert_eq!(
        validate_request(&r),
        Err(RequestError::PresentationExchangeUnsupported)
    );
    let mut r = base;
    r.client_id = ClientId::redirect_uri("https://elsewhere.example/cb");
    assert_eq!(
        validate_request(&r),
        Err(RequestError::ResponseUriNotClientId)
    );
}

#[test]
fn request_urls_refuse_http_unless_loopback_is_allowed() {
    let client = did_client();
    let url = request_url(
        &client,
        "http://127.0.0.1:8080/r",
        Some(&rosette_oid4vp::RequestUriMethod::Post),
    );
    assert_eq!(
        parse_request_url(&url),
        Err(RequestError::InsecureRequestUri)
    );
    let RequestReference::ByReference {
        request_uri_method, ..
    } = parse_request_url_with(&url, &RequestUrlOptions::danger_allow_http_loopback()).unwrap()
    else {
        panic!("by reference")
    };
    assert_eq!(request_uri_method, rosette_oid4vp::RequestUriMethod::Post);
    let http_remote = request_url(&client, "http://evil.example/r", None);
    assert_eq!(
        parse_request_url_with(
            &http_remote,
            &RequestUrlOptions::danger_allow_http_loopback()
        ),
        Err(RequestError::InsecureRequestUri)
    );
    let bad_method =
        format!("{url}&x=1").replace("request_uri_method=post", "request_uri_method=put");
    assert_eq!(
        parse_request_url_with(
            &bad_method,
            &RequestUrlOptions::danger_allow_http_loopback()
        )
        .unwrap_err()
        .code(),
        ErrorCode::InvalidRequestUriMethod
    );
    // The https link form carries the same query.
    let https = url.replace("openid4vp://", "https://wallet.example/authorize");
    assert!(
        parse_request_url_with(&https, &RequestUrlOptions::danger_allow_http_loopback()).is_ok()
    );
    assert_eq!(
        parse_request_url("mailto:x"),
        Err(RequestError::NotARequestUrl)
    );
}

#[test]
fn dcql_query_uses_expanded_type_iris() {
    let r = request(&did_client(), &["ldp_vc"], Some("Rust"));
    let q: &Value = r.dcql_query.as_ref().unwrap();
    assert_eq!(
        q["credentials"][0]["meta"]["type_values"],
        json!([[
            "https://www.w3.org/2018/credentials#VerifiableCredential",
            "https://purl.imsglobal.org/spec/vc/ob/vocab.html#OpenBadgeCredential"
        ]])
    );
    assert_eq!(
        q["credentials"][0]["claims"][0]["path"],
        json!(["credentialSubject", "achievement", "name"])
    );
}

#[tokio::test]
async fn vp_untrusted_did_web_issuer_is_refused_before_resolution() {
    let request = request(&did_client(), &["jwt_vc_json"], None);
    let mut c = honest_credential();
    c["issuer"]["id"] = json!("did:web:untrusted.example");
    let response = answer(&request, "jwt_vc_json", c, binding_for(&request));
    let trusted = TrustedIssuers::from_list([key(ISSUER).did_key().as_str()]);
    let report = verify_response_report(&request, &response, &verifier(), &trusted, now()).await;
    assert_eq!(
        report.error,
        Some(ResponseError::UntrustedIssuer {
            id: "badge_jwt_vc_json".into(),
            issuer: "did:web:untrusted.example".into()
        })
    );
    let checks = &report.presentations[0].credentials[0].verdict.checks;
    assert_eq!(checks.len(), 1);
    assert_eq!(checks[0].outcome, rosette_proof::Outcome::Skipped);
}
