//! Token endpoint (OpenID4VCI 1.0 §6): pre-authorized code redemption and its attacks.

use rosette_oid4vci::{
    AccessToken, BearerError, ErrorCode, PreAuthorizedCode, PreAuthorizedCodeState, SecretHash,
    TokenError, TokenRequest, TokenSettings, TxCode, bearer_token, redeem,
};

use crate::support::{NOW, OB_CONFIG, OB_JWT_CONFIG, now, rng};

struct Offer {
    code: PreAuthorizedCode,
    pin: Option<TxCode>,
    state: PreAuthorizedCodeState,
}

fn offer(with_pin: bool) -> Offer {
    let mut r = rng(42);
    let code = PreAuthorizedCode::generate(&mut r);
    let pin = with_pin.then(|| TxCode::generate_numeric(6, &mut r));
    let state = PreAuthorizedCodeState::new(
        &code,
        vec![OB_CONFIG.to_owned(), OB_JWT_CONFIG.to_owned()],
        pin.as_ref(),
        now(),
        600,
    );
    Offer { code, pin, state }
}

fn request(code: &PreAuthorizedCode, tx_code: Option<&str>) -> TokenRequest {
    TokenRequest::pre_authorized(code.expose_secret(), tx_code.map(str::to_owned))
}

fn wire(e: &TokenError) -> ErrorCode {
    e.to_wire().1.error
}

#[test]
fn pre_authorized_code_redeems_once_with_pin() {
    let mut o = offer(true);
    let pin = o.pin.as_ref().unwrap().expose_secret().to_owned();
    let grant = redeem(
        &mut o.state,
        &request(&o.code, Some(&pin)),
        &TokenSettings::default(),
        now(),
        &mut rng(1),
    )
    .unwrap();
    assert!(o.state.used);
    assert_eq!(grant.record.token_hash, grant.access_token.hash());
    assert_eq!(
        grant.record.credential_configuration_ids,
        vec![OB_CONFIG.to_owned(), OB_JWT_CONFIG.to_owned()]
    );
    assert_eq!(grant.record.expires_at.unix(), NOW + 300);
    let response = serde_json::to_value(grant.response()).unwrap();
    assert_eq!(response["token_type"], "Bearer");
    assert_eq!(response["expires_in"], 300);
    assert_eq!(response["access_token"].as_str().unwrap().len(), 43);
    assert!(
        response["c_nonce"].is_string(),
        "draft compatibility c_nonce"
    );
    assert!(!format!("{:?}", grant.response()).contains(grant.access_token.expose_secret()));
    assert!(
        grant
            .record
            .authorize(grant.access_token.expose_secret(), now())
            .is_ok()
    );
}

#[test]
fn pre_authorized_code_replay() {
    let mut o = offer(false);
    redeem(
        &mut o.state,
        &request(&o.code, None),
        &TokenSettings::default(),
        now(),
        &mut rng(1),
    )
    .unwrap();
    let replay = redeem(
        &mut o.state,
        &request(&o.code, None),
        &TokenSettings::default(),
        now(),
        &mut rng(2),
    )
    .unwrap_err();
    assert_eq!(replay, TokenError::CodeAlreadyUsed);
    assert_eq!(wire(&replay), ErrorCode::InvalidGrant);
}

#[test]
fn expired_or_unknown_code_is_invalid_grant() {
    let mut o = offer(false);
    let late = now().plus_seconds(600);
    let e = redeem(
        &mut o.state,
        &request(&o.code, None),
        &TokenSettings::default(),
        late,
        &mut rng(1),
    )
    .unwrap_err();
    assert_eq!(
        (e.clone(), wire(&e)),
        (TokenError::CodeExpired, ErrorCode::InvalidGrant)
    );
    let mut o = offer(false);
    let other = TokenRequest::pre_authorized("guessed-code", None);
    let e = redeem(
        &mut o.state,
        &other,
        &TokenSettings::default(),
        now(),
        &mut rng(1),
    )
    .unwrap_err();
    assert_eq!(
        (e.clone(), wire(&e)),
        (TokenError::UnknownCode, ErrorCode::InvalidGrant)
    );
    assert!(!o.state.used);
}

#[test]
fn wrong_pin() {
    let mut o = offer(true);
    let e = redeem(
        &mut o.state,
        &request(&o.code, Some("000000x")),
        &TokenSettings::default(),
        now(),
        &mut rng(1),
    )
    .unwrap_err();
    assert_eq!(e, TokenError::WrongTxCode { remaining: 4 });
    assert_eq!(wire(&e), ErrorCode::InvalidGrant);
    assert_eq!(o.state.failed_tx_code_attempts, 1);
    assert!(!o.state.used);
    // The right PIN still works after one mistake.
    let pin = o.pin.as_ref().unwrap().expose_secret().to_owned();
    assert!(
        redeem(
            &mut o.state,
            &request(&o.code, Some(&pin)),
            &TokenSettings::default(),
            now(),
            &mut rng(2)
        )
        .is_ok()
    );
}

#[test]
fn pin_lockout() {
    let mut o = offer(true);
    let settings = TokenSettings {
        max_tx_code_attempts: 3,
        ..TokenSettings::default()
    };
    let wrong = request(&o.code, Some("wrong"));
    assert_eq!(
        redeem(&mut o.state, &wrong, &settings, now(), &mut rng(1)).unwrap_err(),
        TokenError::WrongTxCode { remaining: 2 }
    );
    assert_eq!(
        redeem(&mut o.state, &wrong, &settings, now(), &mut rng(1)).unwrap_err(),
        TokenError::WrongTxCode { remaining: 1 }
    );
    let locked = redeem(&mut o.state, &wrong, &settings, now(), &mut rng(1)).unwrap_err();
    assert_eq!(locked, TokenError::TxCodeLockedOut);
    let (status, body) = locked.to_wire();
    assert_eq!((status, body.error), (400, ErrorCode::InvalidGrant));
    assert!(body.error_description.unwrap().contains("too many"));
    // The code is burned: even the right PIN fails now, and the counter stops growing.
    let pin = o.pin.as_ref().unwrap().expose_secret().to_owned();
    let after = redeem(
        &mut o.state,
        &request(&o.code, Some(&pin)),
        &settings,
        now(),
        &mut rng(1),
    )
    .unwrap_err();
    assert_eq!(after, TokenError::TxCodeLockedOut);
    assert_eq!(o.state.failed_tx_code_attempts, 3);
    assert!(!o.state.used);
}

#[test]
fn missing_pin() {
    let mut o = offer(true);
    let e = redeem(
        &mut o.state,
        &request(&o.code, None),
        &TokenSettings::default(),
        now(),
        &mut rng(1),
    )
    .unwrap_err();
    assert_eq!(
        (e.clone(), wire(&e)),
        (TokenError::MissingTxCode, ErrorCode::InvalidRequest)
    );
    assert_eq!(o.state.failed_tx_code_attempts, 0);
}

#[test]
fn pin_sent_when_none_offered() {
    let mut o = offer(false);
    for sent in ["123456", ""] {
        let e = redeem(
            &mut o.state,
            &request(&o.code, Some(sent)),
            &TokenSettings::default(),
            now(),
            &mut rng(1),
        )
        .unwrap_err();
        assert_eq!(
            (e.clone(), wire(&e)),
            (TokenError::UnexpectedTxCode, ErrorCode::InvalidRequest)
        );
    }
    assert!(!o.state.used);
}

#[test]
fn anonymous_access_can_be_refused() {
    let mut o = offer(false);
    let settings = TokenSettings {
        anonymous_access: false,
        ..TokenSettings::default()
    };
    let e = redeem(
        &mut o.state,
        &request(&o.code, None),
        &settings,
        now(),
        &mut rng(1),
    )
    .unwrap_err();
    assert_eq!(
        (e.clone(), wire(&e)),
        (
            TokenError::AnonymousAccessNotAllowed,
            ErrorCode::InvalidClient
        )
    );
    let mut with_client = request(&o.code, None);
    with_client.client_id = Some("wallet-1".into());
    let grant = redeem(&mut o.state, &with_client, &settings, now(), &mut rng(1)).unwrap();
    assert_eq!(grant.record.client_id.as_deref(), Some("wallet-1"));
}

#[test]
fn grant_type_and_form_errors() {
    let mut o = offer(false);
    let form = b"grant_type=authorization_code&code=abc";
    let req = TokenRequest::from_form(form).unwrap();
    let e = redeem(
        &mut o.state,
        &req,
        &TokenSettings::default(),
        now(),
        &mut rng(1),
    )
    .unwrap_err();
    assert_eq!(wire(&e), ErrorCode::UnsupportedGrantType);
    let req = TokenRequest::from_form(b"pre-authorized_code=abc").unwrap();
    assert_eq!(
        redeem(
            &mut o.state,
            &req,
            &TokenSettings::default(),
            now(),
            &mut rng(1)
        )
        .unwrap_err(),
        TokenError::MissingGrantType
    );
    let repeated = TokenRequest::from_form(b"grant_type=a&grant_type=b").unwrap_err();
    assert_eq!(wire(&repeated), ErrorCode::InvalidRequest);
    let big = vec![b'a'; 20_000];
    assert_eq!(
        wire(&TokenRequest::from_form(&big).unwrap_err()),
        ErrorCode::InvalidRequest
    );
}

#[test]
fn form_parsing_decodes_and_debug_redacts() {
    let o = offer(true);
    let form = format!(
        "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Apre-authorized_code&pre-authorized_code={}&tx_code=12+34&extra=1",
        o.code.expose_secret()
    );
    let req = TokenRequest::from_form(form.as_bytes()).unwrap();
    assert_eq!(req.tx_code.as_deref(), Some("12 34"));
    assert_eq!(req.extra.get("extra").map(String::as_str), Some("1"));
    let debug = format!("{req:?}");
    assert!(!debug.contains(o.code.expose_secret()) && !debug.contains("12 34"));
}

#[test]
fn authorization_details_narrow_the_grant_and_return_identifiers() {
    let mut o = offer(false);
    let mut req = request(&o.code, None);
    req.authorization_details = Some(format!(
        r#"[{{"type":"openid_credential","credential_configuration_id":"{OB_JWT_CONFIG}"}}]"#
    ));
    let grant = redeem(
        &mut o.state,
        &req,
        &TokenSettings::default(),
        now(),
        &mut rng(1),
    )
    .unwrap();
    assert_eq!(
        grant.record.credential_configuration_ids,
        vec![OB_JWT_CONFIG.to_owned()]
    );
    assert!(grant.record.credential_identifiers_issued);
    let body = serde_json::to_value(grant.response()).unwrap();
    assert_eq!(
        body["authorization_details"][0]["credential_identifiers"][0],
        OB_JWT_CONFIG
    );

    let mut o = offer(false);
    let mut req = request(&o.code, None);
    req.authorization_details =
        Some(r#"[{"type":"openid_credential","credential_configuration_id":"NotOffered"}]"#.into());
    let e = redeem(
        &mut o.state,
        &req,
        &TokenSettings::default(),
        now(),
        &mut rng(1),
    )
    .unwrap_err();
    assert_eq!(
        (e, o.state.used),
        (TokenError::AuthorizationDetailsNotOffered, false)
    );
}

#[test]
fn bearer_tokens() {
    let token = AccessToken::generate(&mut rng(3));
    let header = format!("bearer {}", token.expose_secret());
    assert_eq!(bearer_token(Some(&header)).unwrap(), token.expose_secret());
    assert_eq!(bearer_token(None), Err(BearerError::Missing));
    assert_eq!(bearer_token(Some("Basic abc")), Err(BearerError::Malformed));
    assert_eq!(bearer_token(Some("Bearer")), Err(BearerError::Malformed));
    let mut o = offer(false);
    let grant = redeem(
        &mut o.state,
        &request(&o.code, None),
        &TokenSettings::default(),
        now(),
        &mut rng(1),
    )
    .unwrap();
    assert_eq!(
        grant.record.authorize("other", now()),
        Err(BearerError::UnknownToken)
    );
    let late = now().plus_seconds(300);
    let e = grant
        .record
        .authorize(grant.access_token.expose_secret(), late)
        .unwrap_err();
    assert_eq!(e, BearerError::Expired);
    assert_eq!(e.to_wire().0, 401);
    assert_eq!(e.to_wire().1.error, ErrorCode::InvalidToken);
    assert!(
        e.www_authenticate()
            .starts_with("Bearer error=\"invalid_token\"")
    );
    assert_eq!(BearerError::Missing.www_authenticate(), "Bearer");
}

#[test]
fn state_serialises_without_secrets() {
    let o = offer(true);
    let json = serde_json::to_string(&o.state).unwrap();
    assert!(!json.contains(o.code.expose_secret()));
    assert!(json.contains(&SecretHash::of(o.code.expose_secret()).to_hex()));
    let back: PreAuthorizedCodeState = serde_json::from_str(&json).unwrap();
    assert_eq!(back, o.state);
}

/// By-reference offers: the issuer stores only hashes, yet can serve the offer on every GET.
#[test]
fn offer_token_lets_the_issuer_serve_the_offer_without_storing_the_code() {
    use rosette_oid4vci::{CredentialOffer, OfferToken, offer_url_by_reference};
    let token = OfferToken::generate(&mut rng(21));
    let state = PreAuthorizedCodeState::new(
        &token.pre_authorized_code(),
        vec![OB_CONFIG.to_owned()],
        None,
        now(),
        600,
    );
    let stored_key = token.hash();
    let qr = offer_url_by_reference(&token.offer_uri("https://issuer.example.org/offers"));

    // GET /offers/<token>: find the record by the token's hash, rebuild the offer.
    let presented = OfferToken::from_presented(qr.rsplit("%2F").next().unwrap());
    assert_eq!(presented.hash(), stored_key);
    let offer = CredentialOffer::pre_authorized(
        "https://issuer.example.org",
        state.credential_configuration_ids.clone(),
        presented.pre_authorized_code().expose_secret(),
        None,
    );
    // The wallet redeems the code from the served offer.
    let code = offer
        .pre_authorized_grant()
        .unwrap()
        .pre_authorized_code
        .clone();
    let mut state = state;
    let grant = redeem(
        &mut state,
        &TokenRequest::pre_authorized(code, None),
        &TokenSettings::default(),
        now(),
        &mut rng(1),
    );
    assert!(grant.is_ok());
}
