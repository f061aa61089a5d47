//! Stateless sealed c_nonces: what opens, what is refused, and that nothing is stored to
//! check them.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rosette_oid4vci::{
    NonceError, NonceSealKey, SecretHash, issue_sealed_nonce, open_sealed_nonce,
};

use crate::support::{ISSUER, now, rng};

fn key(byte: u8) -> NonceSealKey {
    NonceSealKey::new([byte; 32])
}

#[test]
fn a_sealed_nonce_opens_until_it_expires() {
    let nonce = issue_sealed_nonce(&key(1), ISSUER, &mut rng(1), now(), 300);
    let text = nonce.expose_secret();
    assert_eq!(text.len(), 55, "41 bytes, base64url");
    let opened = open_sealed_nonce(&key(1), ISSUER, text, now()).unwrap();
    assert_eq!(opened.id, SecretHash::of(text));
    assert_eq!(opened.expires_at, now().plus_seconds(300));
    assert!(open_sealed_nonce(&key(1), ISSUER, text, now().plus_seconds(299)).is_ok());
    assert_eq!(
        open_sealed_nonce(&key(1), ISSUER, text, now().plus_seconds(300)),
        Err(NonceError::Expired)
    );
}

#[test]
fn nonces_are_fresh() {
    let mut r = rng(2);
    let a = issue_sealed_nonce(&key(1), ISSUER, &mut r, now(), 300);
    let b = issue_sealed_nonce(&key(1), ISSUER, &mut r, now(), 300);
    assert_ne!(a.expose_secret(), b.expose_secret());
}

#[test]
fn another_key_or_scope_does_not_open_it() {
    let nonce = issue_sealed_nonce(&key(1), ISSUER, &mut rng(3), now(), 300);
    assert_eq!(
        open_sealed_nonce(&key(2), ISSUER, nonce.expose_secret(), now()),
        Err(NonceError::Unknown)
    );
    assert_eq!(
        open_sealed_nonce(
            &key(1),
            "https://other.example",
            nonce.expose_secret(),
            now()
        ),
        Err(NonceError::Unknown)
    );
}

#[test]
fn any_changed_bit_is_refused() {
    let nonce = issue_sealed_nonce(&key(1), ISSUER, &mut rng(4), now(), 300);
    let raw = URL_SAFE_NO_PAD.decode(nonce.expose_secret()).unwrap();
    for i in 0..raw.len() {
        let mut bad = raw.clone();
        bad[i] ^= 0x01;
        let text = URL_SAFE_NO_PAD.encode(&bad);
        assert!(
            open_sealed_nonce(&key(1), ISSUER, &text, now()).is_err(),
            "byte {i}"
        );
    }
    // A later expiry cannot be forged: the expiry is under the tag.
    let mut later = raw.clone();
    later[1..9].copy_from_slice(&(now().unix() + 10_000).to_be_bytes());
    assert_eq!(
        open_sealed_nonce(&key(1), ISSUER, &URL_SAFE_NO_PAD.encode(&later), now()),
        Err(NonceError::Unknown)
    );
}

#[test]
fn junk_is_unknown_never_a_panic() {
    for junk in [
        "",
        "a",
        "!!!!",
        &"A".repeat(55),
        &"A".repeat(56),
        &"A".repeat(10_000),
    ] {
        assert_eq!(
            open_sealed_nonce(&key(1), ISSUER, junk, now()),
            Err(NonceError::Unknown),
            "{junk:.20}"
        );
    }
}

#[test]
fn the_key_never_prints() {
    assert_eq!(format!("{:?}", key(7)), "NonceSealKey(<redacted>)");
}
