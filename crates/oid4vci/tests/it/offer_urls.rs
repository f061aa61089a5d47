//! Offer URLs (OpenID4VCI 1.0 §4.1): build, parse, round trip, and clear errors.

use rosette_oid4vci::{
    CredentialOffer, InputMode, OfferError, OfferLocation, OfferUrlError, TxCodeSpec,
    offer_url_by_reference, offer_url_by_value, parse_offer_url,
};
use serde_json::json;

use crate::support::{ISSUER, OB_CONFIG};

fn offer(tx_code: Option<TxCodeSpec>) -> CredentialOffer {
    CredentialOffer::pre_authorized(ISSUER, vec![OB_CONFIG.to_owned()], "code-123", tx_code)
}

fn pin_spec() -> TxCodeSpec {
    serde_json::from_value(
        json!({"input_mode": "numeric", "length": 6, "description": "PIN sent by e-mail & SMS"}),
    )
    .unwrap()
}

#[test]
fn by_value_round_trip() {
    let original = offer(Some(pin_spec()));
    let url = offer_url_by_value(&original).unwrap();
    assert!(
        url.starts_with("openid-credential-offer://?credential_offer=%7B%22credential_issuer%22")
    );
    // Spaces are %20, never '+', so decodeURIComponent-based wallets read them right.
    assert!(!url.contains('+') && url.contains("%20"));
    match parse_offer_url(&url).unwrap() {
        OfferLocation::ByValue(parsed) => {
            assert_eq!(*parsed, original);
            let tx = parsed
                .pre_authorized_grant()
                .unwrap()
                .tx_code
                .as_ref()
                .unwrap();
            assert_eq!(tx.input_mode, Some(InputMode::Numeric));
            assert_eq!(tx.length, Some(6));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn by_reference_round_trip() {
    let uri = "https://issuer.example.org/offers/Gk urKx?x=1&y=ü";
    let url = offer_url_by_reference(uri);
    assert!(url.starts_with("openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fissuer.example.org%2Foffers%2F"));
    assert_eq!(
        parse_offer_url(&url).unwrap(),
        OfferLocation::ByReference(uri.to_owned())
    );
}

#[test]
fn https_link_with_the_same_query_is_accepted() {
    let url = offer_url_by_reference("https://issuer.example.org/offers/1");
    let https = url.replace(
        "openid-credential-offer://",
        "https://wallet.example.com/receive",
    );
    assert_eq!(
        parse_offer_url(&https).unwrap(),
        OfferLocation::ByReference("https://issuer.example.org/offers/1".into())
    );
}

#[test]
fn tx_code_is_omitted_not_null_when_none_is_required() {
    let json = serde_json::to_value(offer(None)).unwrap();
    let grant = &json["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"];
    assert!(grant.get("tx_code").is_none(), "{json}");
    // An empty tx_code object means "required" and must survive.
    let with_empty = offer(Some(TxCodeSpec::default()));
    let json = serde_json::to_value(&with_empty).unwrap();
    assert_eq!(
        json["grants"]["urn:ietf:params:oauth:grant-type:pre-authorized_code"]["tx_code"],
        json!({})
    );
}

#[test]
fn offer_url_errors_are_specific() {
    let both = "openid-credential-offer://?credential_offer=%7B%7D&credential_offer_uri=https%3A%2F%2Fa.example";
    assert_eq!(parse_offer_url(both), Err(OfferUrlError::BothParameters));
    assert_eq!(
        parse_offer_url("openid-credential-offer://?foo=bar"),
        Err(OfferUrlError::MissingOffer)
    );
    assert_eq!(
        parse_offer_url(
            "openid-credential-offer://?credential_offer_uri=http%3A%2F%2Fa.example%2Fo"
        ),
        Err(OfferUrlError::OfferUriNotHttps)
    );
    assert_eq!(
        parse_offer_url(
            "openid-credential-offer://?credential_offer_uri=https%3A%2F%2Fa.example&credential_offer_uri=https%3A%2F%2Fb.example"
        ),
        Err(OfferUrlError::RepeatedParameter("credential_offer_uri"))
    );
    assert_eq!(
        parse_offer_url("openid4vp://?credential_offer_uri=https%3A%2F%2Fa.example"),
        Err(OfferUrlError::UnsupportedScheme("openid4vp".into()))
    );
    assert_eq!(parse_offer_url("not a url"), Err(OfferUrlError::NotAUrl));
    assert!(matches!(
        parse_offer_url("openid-credential-offer://?credential_offer=%7Bnot%20json"),
        Err(OfferUrlError::InvalidOfferJson(_))
    ));
    let long = format!(
        "openid-credential-offer://?credential_offer_uri={}",
        "a".repeat(70_000)
    );
    assert_eq!(parse_offer_url(&long), Err(OfferUrlError::TooLong));
}

#[test]
fn offer_rules_checked_on_parse() {
    let mut empty = offer(None);
    empty.credential_configuration_ids.clear();
    let url = offer_url_by_value(&empty).unwrap();
    assert_eq!(
        parse_offer_url(&url),
        Err(OfferUrlError::InvalidOffer(OfferError::NoConfigurationIds))
    );

    let mut duplicate = offer(None);
    duplicate
        .credential_configuration_ids
        .push(OB_CONFIG.to_owned());
    assert_eq!(
        duplicate.validate(),
        Err(OfferError::DuplicateConfigurationId(OB_CONFIG.to_owned()))
    );

    let mut http = offer(None);
    http.credential_issuer = "http://issuer.example.org".into();
    assert_eq!(http.validate(), Err(OfferError::IssuerNotHttps));

    let mut long = pin_spec();
    long.description = Some("x".repeat(301));
    assert_eq!(
        offer(Some(long)).validate(),
        Err(OfferError::TxCodeDescriptionTooLong)
    );
}

#[test]
fn unknown_offer_members_round_trip() {
    let text = r#"{"credential_issuer":"https://issuer.example.org","credential_configuration_ids":["a"],"future":{"x":1},"grants":{"urn:example:grant":{"y":2}}}"#;
    let parsed: CredentialOffer = serde_json::from_str(text).unwrap();
    assert_eq!(
        serde_json::to_value(&parsed).unwrap(),
        serde_json::from_str::<serde_json::Value>(text).unwrap()
    );
}

#[test]
fn fetched_offer_json_is_validated() {
    let body = serde_json::to_vec(&offer(None)).unwrap();
    assert_eq!(
        rosette_oid4vci::parse_offer_json(&body).unwrap(),
        offer(None)
    );
    assert!(matches!(
        rosette_oid4vci::parse_offer_json(b"eyJhbGciOiJub25lIn0.e30."),
        Err(OfferUrlError::InvalidOfferJson(_))
    ));
    let http = br#"{"credential_issuer":"http://issuer.example.org","credential_configuration_ids":["a"]}"#;
    assert_eq!(
        rosette_oid4vci::parse_offer_json(http),
        Err(OfferUrlError::InvalidOffer(OfferError::IssuerNotHttps))
    );
}

#[test]
fn offer_debug_redacts_the_code() {
    let debug = format!("{:?}", offer(Some(pin_spec())));
    assert!(!debug.contains("code-123"), "{debug}");
}

#[test]
fn http_only_with_the_danger_option_and_only_on_loopback() {
    use rosette_oid4vci::{OfferParseOptions, parse_offer_url_with};
    let local = offer_url_by_reference("http://127.0.0.1:8080/offers/1");
    assert_eq!(
        parse_offer_url(&local),
        Err(OfferUrlError::OfferUriNotHttps)
    );
    let danger = OfferParseOptions::danger_allow_http_loopback();
    assert!(parse_offer_url_with(&local, danger).is_ok());
    assert!(parse_offer_url_with(&offer_url_by_reference("http://localhost/o"), danger).is_ok());
    let remote = offer_url_by_reference("http://issuer.example.org/offers/1");
    assert_eq!(
        parse_offer_url_with(&remote, danger),
        Err(OfferUrlError::OfferUriNotHttps)
    );
    let mut http_offer = offer(None);
    http_offer.credential_issuer = "http://[::1]:9000".into();
    assert!(http_offer.validate_with(danger).is_ok());
    assert_eq!(http_offer.validate(), Err(OfferError::IssuerNotHttps));
}
