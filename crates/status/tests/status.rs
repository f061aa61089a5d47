//! rosette-status behaviour: the bitstring and its encoding, the 1EdTech example list, the
//! check, allocation, and a seeded mutation run over the decoder (no input may panic).

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rosette_status::{
    AllocatorError, DecodeError, IndexAllocator, MIN_LIST_LENGTH, StatusError, StatusList,
    StatusListEntry, StatusListError, StatusPurpose, check, entries_of,
};
use serde_json::{Value, json};

fn ob3_vector(name: &str) -> Value {
    // The 1EdTech examples live with rosette-proof's vectors (provenance in
    // crates/proof/tests/vectors/SOURCES-ob3.md); read them in place rather than copy them.
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../proof/tests/vectors/ob3")
        .join(name);
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

fn list_credential(purpose: &str, encoded: &str) -> Value {
    json!({
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": "https://example.edu/status/1",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": "did:example:issuer",
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {
            "id": "https://example.edu/status/1#list",
            "type": "BitstringStatusList",
            "statusPurpose": purpose,
            "encodedList": encoded
        }
    })
}

fn gzip_body(encoded: &str) -> Vec<u8> {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(&encoded[1..])
        .unwrap()
}

fn encode_gzip(bytes: &[u8]) -> String {
    use base64::Engine as _;
    format!(
        "u{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

#[test]
fn new_list_enforces_the_16kb_minimum() {
    assert_eq!(
        StatusList::new(MIN_LIST_LENGTH - 8).unwrap_err(),
        StatusListError::TooShort(MIN_LIST_LENGTH - 8)
    );
    assert_eq!(
        StatusList::new(MIN_LIST_LENGTH + 1).unwrap_err(),
        StatusListError::NotWholeBytes(MIN_LIST_LENGTH + 1)
    );
    let list = StatusList::new(MIN_LIST_LENGTH).unwrap();
    assert_eq!(list.len(), 131_072);
    assert_eq!(list.count_set(), 0);
}

#[test]
fn bit_zero_is_the_left_most_bit_of_the_first_byte() {
    let mut list = StatusList::new(MIN_LIST_LENGTH).unwrap();
    list.set(0, true).unwrap();
    list.set(9, true).unwrap();
    list.set(131_071, true).unwrap();
    assert_eq!(list.as_bytes()[0], 0b1000_0000);
    assert_eq!(list.as_bytes()[1], 0b0100_0000);
    assert_eq!(list.as_bytes()[16_383], 0b0000_0001);
    assert!(list.get(9).unwrap());
    assert!(!list.get(8).unwrap());
    list.set(9, false).unwrap();
    assert!(!list.get(9).unwrap());
    assert_eq!(
        list.get(131_072).unwrap_err(),
        StatusListError::IndexOutOfRange {
            index: 131_072,
            len: 131_072
        }
    );
    assert!(list.set(u64::MAX, true).is_err());
}

#[test]
fn encode_is_multibase_base64url_gzip_and_round_trips() {
    let mut list = StatusList::new(MIN_LIST_LENGTH * 2).unwrap();
    for i in [0, 1, 23, 4_000, 131_071, 131_072, 262_143] {
        list.set(i, true).unwrap();
    }
    let encoded = list.encode();
    assert!(encoded.starts_with('u'));
    assert!(!encoded.contains('=') && !encoded.contains('+') && !encoded.contains('/'));
    assert_eq!(&gzip_body(&encoded)[..3], &[0x1f, 0x8b, 8]);
    let decoded = StatusList::decode_default(&encoded).unwrap();
    assert_eq!(decoded, list);
    // Deterministic: equal lists give equal strings (no mtime in the header).
    assert_eq!(decoded.encode(), encoded);
    // An empty 16 KB list compresses to a few dozen characters.
    assert!(StatusList::new(MIN_LIST_LENGTH).unwrap().encode().len() < 80);
}

#[test]
fn the_1edtech_example_list_has_bit_23_set() {
    let credential = ob3_vector("validator-bitstring-status-list-credential.eddsa-rdfc-2022.json");
    let encoded = credential["credentialSubject"]["encodedList"]
        .as_str()
        .unwrap();
    let list = StatusList::decode_default(encoded).unwrap();
    assert_eq!(list.len(), MIN_LIST_LENGTH);
    assert_eq!(list.count_set(), 1);
    assert!(list.get(23).unwrap());
}

#[test]
fn the_1edtech_revoked_example_is_revoked_against_its_list() {
    let revoked = ob3_vector("validator-bitstring-revoked.eddsa-rdfc-2022.json");
    let list = ob3_vector("validator-bitstring-status-list-credential.eddsa-rdfc-2022.json");
    let entries = entries_of(revoked.as_object().unwrap()).unwrap();
    assert_eq!(entries.len(), 1);
    // 1EdTech writes the index as a JSON number; we read it all the same.
    assert_eq!(entries[0].status_list_index.0, 23);
    let status = check(&entries[0], &list).unwrap();
    assert!(status.is_revoked());
    assert!(!status.is_suspended());
}

#[test]
fn check_reports_clear_set_suspended_and_each_violation() {
    let mut list = StatusList::new(MIN_LIST_LENGTH).unwrap();
    list.set(7, true).unwrap();
    let encoded = list.encode();
    let url = "https://example.edu/status/1";

    let clear = StatusListEntry::new(StatusPurpose::Revocation, 8, url);
    let status = check(&clear, &list_credential("revocation", &encoded)).unwrap();
    assert!(!status.set && !status.is_revoked());

    let suspended = StatusListEntry::new(StatusPurpose::Suspension, 7, url);
    let status = check(&suspended, &list_credential("suspension", &encoded)).unwrap();
    assert!(status.is_suspended());

    assert!(matches!(
        check(&suspended, &list_credential("revocation", &encoded)),
        Err(StatusError::PurposeMismatch { .. })
    ));
    let mut both = list_credential("revocation", &encoded);
    both["credentialSubject"]["statusPurpose"] = json!(["revocation", "suspension"]);
    assert!(check(&suspended, &both).unwrap().is_suspended());

    let far = StatusListEntry::new(StatusPurpose::Revocation, 131_072, url);
    assert_eq!(
        check(&far, &list_credential("revocation", &encoded)),
        Err(StatusError::IndexOutOfRange {
            index: 131_072,
            len: 131_072
        })
    );
    let mut not_a_list = list_credential("revocation", &encoded);
    not_a_list["type"] = json!(["VerifiableCredential"]);
    assert_eq!(
        check(&clear, &not_a_list),
        Err(StatusError::NotAListCredential)
    );
    let mut wrong_subject = list_credential("revocation", &encoded);
    wrong_subject["credentialSubject"]["type"] = json!("StatusList2021");
    assert!(matches!(
        check(&clear, &wrong_subject),
        Err(StatusError::MalformedSubject(_))
    ));
    assert!(matches!(
        check(&clear, &list_credential("revocation", "zabc")),
        Err(StatusError::Decode(DecodeError::NotBase64UrlMultibase))
    ));
    let mut wide = clear.clone();
    wide.status_size = Some(2);
    assert_eq!(
        check(&wide, &list_credential("revocation", &encoded)),
        Err(StatusError::UnsupportedStatusSize(2))
    );
}

#[test]
fn entries_serialise_the_index_as_a_string_and_read_numbers_too() {
    let entry = StatusListEntry::new(StatusPurpose::Revocation, 94_567, "https://x.example/s/1");
    let value = entry.to_json();
    assert_eq!(
        value,
        json!({
            "id": "https://x.example/s/1#94567",
            "type": "BitstringStatusListEntry",
            "statusPurpose": "revocation",
            "statusListIndex": "94567",
            "statusListCredential": "https://x.example/s/1"
        })
    );
    let back: StatusListEntry = serde_json::from_value(value).unwrap();
    assert_eq!(back, entry);
    for bad in [
        json!("-1"),
        json!("1e3"),
        json!(""),
        json!(-4),
        json!(1.5),
        json!(null),
    ] {
        let mut v = entry.to_json();
        v["statusListIndex"] = bad.clone();
        assert!(
            serde_json::from_value::<StatusListEntry>(v).is_err(),
            "{bad} accepted"
        );
    }
    let custom: StatusPurpose = serde_json::from_value(json!("x-audit")).unwrap();
    assert_eq!(custom, StatusPurpose::Extension("x-audit".into()));
    assert_eq!(serde_json::to_value(&custom).unwrap(), json!("x-audit"));
}

#[test]
fn decode_refuses_a_zip_bomb_beyond_the_cap() {
    // 1 MiB of zero bytes compresses to about a kilobyte.
    let big = StatusList::new(8 * 1024 * 1024).unwrap().encode();
    assert!(big.len() < 4_000);
    assert_eq!(
        StatusList::decode(&big, 512 * 1024).unwrap_err(),
        DecodeError::TooLarge { max: 512 * 1024 }
    );
    assert!(StatusList::decode(&big, 1024 * 1024).is_ok());
}

#[test]
fn decode_rejects_lists_under_16kb_and_bad_containers() {
    let deflated = miniz_oxide::deflate::compress_to_vec(&[0u8; 1024], 6);
    let mut gzip = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff];
    gzip.extend_from_slice(&deflated);
    gzip.extend_from_slice(&crc32fast::hash(&[0u8; 1024]).to_le_bytes());
    gzip.extend_from_slice(&1024u32.to_le_bytes());
    assert_eq!(
        StatusList::decode_default(&encode_gzip(&gzip)).unwrap_err(),
        DecodeError::TooShort(8 * 1024)
    );

    let good = StatusList::new(MIN_LIST_LENGTH).unwrap().encode();
    let mut body = gzip_body(&good);
    let n = body.len();
    body[n - 8] ^= 1;
    assert_eq!(
        StatusList::decode_default(&encode_gzip(&body)).unwrap_err(),
        DecodeError::Checksum("CRC-32")
    );
    assert_eq!(
        StatusList::decode_default("uAAAA").unwrap_err(),
        DecodeError::NotGzip
    );
    assert_eq!(
        StatusList::decode_default("H4sI").unwrap_err(),
        DecodeError::NotBase64UrlMultibase
    );
    assert!(matches!(
        StatusList::decode_default("u!!"),
        Err(DecodeError::Base64(_))
    ));
}

#[test]
fn decode_reads_padding_and_optional_gzip_header_fields() {
    let mut list = StatusList::new(MIN_LIST_LENGTH).unwrap();
    list.set(42, true).unwrap();
    let body = gzip_body(&list.encode());
    // Same stream with FEXTRA, FNAME, FCOMMENT and FHCRC set, as other encoders may write.
    let mut fancy = vec![0x1f, 0x8b, 8, 0x1e, 1, 2, 3, 4, 0, 3];
    fancy.extend_from_slice(&[3, 0, b'a', b'b', b'c']);
    fancy.extend_from_slice(b"list.bin\0a comment\0");
    fancy.extend_from_slice(&[0xaa, 0xbb]);
    fancy.extend_from_slice(&body[10..]);
    assert_eq!(
        StatusList::decode_default(&encode_gzip(&fancy)).unwrap(),
        list
    );
    use base64::Engine as _;
    let padded = format!(
        "u{}",
        base64::engine::general_purpose::URL_SAFE.encode(&body)
    );
    assert_eq!(StatusList::decode_default(&padded).unwrap(), list);
}

/// Stable fuzzing: seeded byte flips, truncations and splices of valid lists. Every result must
/// be a value or an error, and any list that decodes must re-encode to an equal list.
#[test]
fn mutated_encoded_lists_never_panic() {
    let mut rng = StdRng::seed_from_u64(0x5747_5553);
    let mut list = StatusList::new(MIN_LIST_LENGTH).unwrap();
    for _ in 0..300 {
        list.set(rng.gen_range(0..MIN_LIST_LENGTH as u64), true)
            .unwrap();
    }
    let body = gzip_body(&list.encode());
    let mut decoded_ok = 0;
    for round in 0..3_000 {
        let mut mutated = body.clone();
        match round % 4 {
            0 => {
                for _ in 0..rng.gen_range(1..4) {
                    let i = rng.gen_range(0..mutated.len());
                    mutated[i] ^= 1 << rng.gen_range(0..8);
                }
            }
            1 => mutated.truncate(rng.gen_range(0..body.len())),
            2 => {
                let i = rng.gen_range(0..mutated.len());
                let extra: Vec<u8> = (0..rng.gen_range(1..64)).map(|_| rng.r#gen()).collect();
                mutated.splice(i..i, extra);
            }
            _ => {
                let i = rng.gen_range(10..mutated.len());
                mutated[i] = rng.r#gen();
            }
        }
        if let Ok(decoded) = StatusList::decode(&encode_gzip(&mutated), 1 << 20) {
            decoded_ok += 1;
            assert_eq!(
                StatusList::decode_default(&decoded.encode()).unwrap(),
                decoded
            );
        }
    }
    // Most mutations must be caught (CRC, length, DEFLATE); a flip in the header's unused
    // bytes may legitimately survive.
    assert!(decoded_ok < 1_000, "{decoded_ok} mutations decoded");
    for text in [
        "",
        "u",
        "u=",
        "uH4sI",
        "uH4sIAAAAAAAA",
        "\u{1F600}",
        "u\u{1F600}",
    ] {
        assert!(StatusList::decode_default(text).is_err(), "{text:?}");
    }
}

#[test]
fn allocation_is_random_unique_and_survives_a_restart() {
    let mut rng = StdRng::seed_from_u64(7);
    let mut allocator = IndexAllocator::new(MIN_LIST_LENGTH).unwrap();
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..2_000 {
        let i = allocator.allocate(&mut rng).unwrap();
        assert!(seen.insert(i), "index {i} handed out twice");
    }
    // Spread over the list, not clustered at the start.
    assert!(seen.iter().any(|i| *i > 100_000) && seen.iter().any(|i| *i < 30_000));
    let mut restored = IndexAllocator::from_bytes(allocator.as_bytes().to_vec()).unwrap();
    assert_eq!(restored.allocated(), 2_000);
    for _ in 0..2_000 {
        let i = restored.allocate(&mut rng).unwrap();
        assert!(seen.insert(i), "index {i} reused after restore");
    }
}

#[test]
fn a_full_list_refuses_more_indices() {
    // A constant "random" source forces the scan path.
    struct Constant;
    impl rand::RngCore for Constant {
        fn next_u32(&mut self) -> u32 {
            5
        }
        fn next_u64(&mut self) -> u64 {
            5
        }
        fn fill_bytes(&mut self, dest: &mut [u8]) {
            dest.fill(5);
        }
        fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand::Error> {
            dest.fill(5);
            Ok(())
        }
    }
    let mut allocator = IndexAllocator::new(MIN_LIST_LENGTH).unwrap();
    let mut rng = StdRng::seed_from_u64(11);
    let mut seen = std::collections::BTreeSet::new();
    for _ in 0..MIN_LIST_LENGTH - 100 {
        assert!(seen.insert(allocator.allocate(&mut rng).unwrap()));
    }
    for _ in 0..100 {
        assert!(seen.insert(allocator.allocate(&mut Constant).unwrap()));
    }
    assert_eq!(allocator.allocated(), MIN_LIST_LENGTH);
    assert_eq!(
        allocator.allocate(&mut Constant),
        Err(AllocatorError::Full(MIN_LIST_LENGTH))
    );
}
