use rosette_did::did_key::{DidKeyError, decode_multibase_key, parse_did_key, parse_did_key_url};
use rosette_did::{Did, DidUrl, InvalidDid, KeyType, SigningKey, did_key, verification_method_id};

use crate::test_rng;

#[test]
fn prefixes_match_the_spec() {
    let ed = SigningKey::generate(KeyType::Ed25519, &mut test_rng(10));
    let p = SigningKey::generate(KeyType::P256, &mut test_rng(11));
    assert!(
        did_key(ed.public_key())
            .as_str()
            .starts_with("did:key:z6Mk")
    );
    assert!(did_key(p.public_key()).as_str().starts_with("did:key:zDn"));
    let vm = verification_method_id(ed.public_key());
    let did = did_key(ed.public_key());
    assert_eq!(vm.as_str(), format!("{did}#{}", &did.as_str()[8..]));
    assert_eq!(vm.did(), did);
    assert_eq!(vm.fragment(), Some(&did.as_str()[8..]));
    // Our newtypes accept what we generate.
    Did::parse(did.as_str()).unwrap();
    DidUrl::parse(vm.as_str()).unwrap();
}

#[test]
fn parse_roundtrip() {
    for (kt, seed) in [(KeyType::Ed25519, 12), (KeyType::P256, 13)] {
        let key = SigningKey::generate(kt, &mut test_rng(seed));
        let did = did_key(key.public_key());
        assert_eq!(&parse_did_key(did.as_str()).unwrap(), key.public_key());
        let vm = verification_method_id(key.public_key());
        assert_eq!(
            &parse_did_key_url(vm.as_str(), false).unwrap(),
            key.public_key()
        );
    }
}

#[test]
fn parse_rejects_garbage() {
    let key = SigningKey::generate(KeyType::Ed25519, &mut test_rng(14));
    let did = did_key(key.public_key());
    let other = did_key(SigningKey::generate(KeyType::Ed25519, &mut test_rng(15)).public_key());
    assert_eq!(
        parse_did_key("did:web:example.com"),
        Err(DidKeyError::NotDidKey)
    );
    assert_eq!(parse_did_key("did:key:"), Err(DidKeyError::NotBase58Btc));
    assert_eq!(
        parse_did_key("did:key:z"),
        Err(DidKeyError::UnsupportedCodec)
    );
    assert_eq!(
        parse_did_key("did:key:u6Mk"),
        Err(DidKeyError::NotBase58Btc)
    );
    assert_eq!(
        parse_did_key("did:key:z0OIl"),
        Err(DidKeyError::InvalidBase58)
    );
    assert_eq!(
        parse_did_key(&format!("did:key:z{}", "2".repeat(500))),
        Err(DidKeyError::TooLong)
    );
    assert_eq!(
        parse_did_key(&format!("{did}/path")),
        Err(DidKeyError::UnexpectedPathOrQuery)
    );
    assert_eq!(
        parse_did_key_url(&format!("{did}#{}", &other.as_str()[8..]), false),
        Err(DidKeyError::FragmentMismatch)
    );
    assert_eq!(
        parse_did_key_url(did.as_str(), false),
        Err(DidKeyError::FragmentMismatch)
    );
    assert!(parse_did_key_url(did.as_str(), true).is_ok());
    // Truncated key: the codec is right but the key is short.
    let short = bs58::encode([0xed, 0x01, 1, 2, 3]).into_string();
    assert_eq!(
        decode_multibase_key(&format!("z{short}")),
        Err(DidKeyError::InvalidKey)
    );
    // secp256k1 (0xe7) is not supported.
    let k1 = bs58::encode([&[0xe7u8, 0x01][..], &[2u8; 33][..]].concat()).into_string();
    assert_eq!(
        decode_multibase_key(&format!("z{k1}")),
        Err(DidKeyError::UnsupportedCodec)
    );
    // Uncompressed P-256 point is not the did:key encoding.
    let p = SigningKey::generate(KeyType::P256, &mut test_rng(16));
    let rosette_did::PublicKey::P256(vk) = p.public_key() else {
        unreachable!()
    };
    let unc = vk.to_encoded_point(false);
    let enc = bs58::encode([&[0x80u8, 0x24][..], unc.as_bytes()].concat()).into_string();
    assert_eq!(
        decode_multibase_key(&format!("z{enc}")),
        Err(DidKeyError::InvalidKey)
    );
}

#[test]
fn did_newtypes_validate() {
    assert!(Did::parse("did:example:123").is_ok());
    assert!(Did::parse("did:example:123#frag").is_err());
    assert!(Did::parse("not a did").is_err());
    assert!(Did::parse("").is_err());
    let url = DidUrl::parse("did:web:example.com:u:alice#key-1").unwrap();
    assert_eq!(url.did().as_str(), "did:web:example.com:u:alice");
    assert_eq!(url.did().method(), "web");
    assert_eq!(url.fragment(), Some("key-1"));
    assert!(DidUrl::parse("https://example.com#x").is_err());
    // did:web with a port: the colon is percent-encoded.
    let url = DidUrl::parse("did:web:example.com%3A8443:u:alice?v=1#key-1").unwrap();
    assert_eq!(url.did().as_str(), "did:web:example.com%3A8443:u:alice");
    assert_eq!(url.fragment(), Some("key-1"));
}

#[test]
fn invalid_did_names_the_first_bad_byte() {
    let err = |kind, position| InvalidDid { kind, position };
    assert_eq!(
        Did::parse("did:Web:example.com").unwrap_err(),
        err("DID", 4)
    );
    assert_eq!(Did::parse("did:web:").unwrap_err(), err("DID", 8));
    assert_eq!(
        Did::parse("did:web:example.com:").unwrap_err(),
        err("DID", 20)
    );
    assert_eq!(Did::parse("did:web:a%3").unwrap_err(), err("DID", 11));
    assert_eq!(Did::parse("did:web:a#k").unwrap_err(), err("DID", 9));
    assert_eq!(
        DidUrl::parse("did:web:a#k#l").unwrap_err(),
        err("DID URL", 11)
    );
    assert_eq!(
        DidUrl::parse("did:web:a?q r").unwrap_err(),
        err("DID URL", 11)
    );
    assert_eq!(
        Did::parse("did:web:").unwrap_err().to_string(),
        "invalid DID at byte 8"
    );
    assert!(serde_json::from_str::<DidUrl>(r#""did:web:a#k#l""#).is_err());
}

#[test]
fn did_serde_validates() {
    let did: Did =
        serde_json::from_str(r#""did:key:z6MkjZRZv3aez3r18pB1RBFJR1kwUVJ5jHt92JmQwXbd5hwi""#)
            .unwrap();
    assert_eq!(serde_json::to_string(&did).unwrap(), format!("\"{did}\""));
    assert!(serde_json::from_str::<Did>(r#""nope""#).is_err());
    let url: DidUrl = "did:web:example.com#k".parse().unwrap();
    assert_eq!(url.to_string(), "did:web:example.com#k");
}
