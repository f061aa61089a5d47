//! Property tests on the parsers of untrusted input: generated structured values go through
//! write → parse (or an equivalent rewrite) and must come back the same. Random bytes are the
//! fuzz targets' job; these reach the states that random bytes rarely build (a valid status
//! list, a renamed blank-node graph, every spelling of a private address).

use proptest::prelude::*;
use rosette_rdf::{
    BlankNode, CanonOptions, GraphName, Literal, Object, Quad, Subject, canonicalize, parse_nquads,
    write_nquads,
};

fn iri() -> impl Strategy<Value = String> {
    "[a-zA-Z0-9é/#._~-]{1,10}".prop_map(|path| format!("http://example.org/{path}"))
}

fn literal() -> impl Strategy<Value = Literal> {
    prop_oneof![
        any::<String>().prop_map(Literal::string),
        (any::<String>(), "[a-z]{2}(-[A-Z]{2})?").prop_map(|(v, l)| Literal::lang(v, l)),
        (any::<String>(), iri()).prop_map(|(v, d)| Literal::typed(v, d)),
    ]
}

/// Quads over at most six blank nodes `b0`…`b5`, so that canonicalization stays cheap.
fn quad() -> impl Strategy<Value = Quad> {
    let blank = (0u8..6).prop_map(|n| BlankNode(format!("b{n}")));
    let subject = prop_oneof![
        iri().prop_map(Subject::Iri),
        blank.clone().prop_map(Subject::Blank)
    ];
    let object = prop_oneof![
        iri().prop_map(Object::Iri),
        blank.clone().prop_map(Object::Blank),
        literal().prop_map(Object::Literal),
    ];
    let graph = prop_oneof![
        Just(GraphName::Default),
        iri().prop_map(GraphName::Iri),
        blank.prop_map(GraphName::Blank),
    ];
    (subject, iri(), object, graph).prop_map(|(subject, predicate, object, graph)| Quad {
        subject,
        predicate,
        object,
        graph,
    })
}

fn rename(node: &BlankNode, order: &[usize]) -> BlankNode {
    let n: usize = node.0.trim_start_matches('b').parse().unwrap();
    BlankNode(format!("other{}", order[n]))
}

/// The same dataset with its blank nodes renamed by `order` and its quads reversed.
fn relabel(quads: &[Quad], order: &[usize]) -> Vec<Quad> {
    quads
        .iter()
        .rev()
        .map(|q| Quad {
            subject: match &q.subject {
                Subject::Blank(b) => Subject::Blank(rename(b, order)),
                other => other.clone(),
            },
            predicate: q.predicate.clone(),
            object: match &q.object {
                Object::Blank(b) => Object::Blank(rename(b, order)),
                other => other.clone(),
            },
            graph: match &q.graph {
                GraphName::Blank(b) => GraphName::Blank(rename(b, order)),
                other => other.clone(),
            },
        })
        .collect()
}

proptest! {
    #[test]
    fn nquads_written_then_parsed_are_the_same_quads(
        quads in proptest::collection::vec(quad(), 0..12)
    ) {
        let text = write_nquads(&quads);
        prop_assert_eq!(parse_nquads(&text).unwrap(), quads);
    }

    #[test]
    fn canonical_form_ignores_blank_node_names_and_quad_order(
        quads in proptest::collection::vec(quad(), 1..10),
        order in Just((0..6).collect::<Vec<usize>>()).prop_shuffle(),
    ) {
        let options = CanonOptions::default();
        let a = canonicalize(&quads, &options).map(|c| c.into_string());
        let b = canonicalize(&relabel(&quads, &order), &options).map(|c| c.into_string());
        prop_assert_eq!(a, b);
    }

    #[test]
    fn status_list_bits_survive_encode_decode(
        set in proptest::collection::btree_set(0u64..131_072, 0..64)
    ) {
        let mut list = rosette_status::StatusList::new(131_072).unwrap();
        for &i in &set {
            list.set(i, true).unwrap();
        }
        let decoded = rosette_status::StatusList::decode_default(&list.encode()).unwrap();
        prop_assert_eq!(decoded.count_set(), set.len());
        for &i in &set {
            prop_assert!(decoded.get(i).unwrap());
        }
    }

    #[test]
    fn token_form_round_trips(code in ".+", tx_code in proptest::option::of(".+")) {
        use rosette_oid4vci::TokenRequest;
        let request = TokenRequest::pre_authorized(code, tx_code);
        prop_assert_eq!(TokenRequest::from_form(request.to_form().as_bytes()), Ok(request));
    }

    #[test]
    fn did_key_of_any_ed25519_key_parses_back(secret in any::<[u8; 32]>()) {
        use rosette_did::{KeyType, SigningKey};
        let key = SigningKey::from_secret_bytes(KeyType::Ed25519, &secret).unwrap();
        let did = rosette_did::did_key(key.public_key());
        prop_assert_eq!(
            &rosette_did::did_key::parse_did_key(did.as_str()).unwrap(),
            key.public_key()
        );
    }

    #[test]
    fn display_names_are_stable_and_never_hold_bidi_controls(text in any::<String>()) {
        use rosette_core::text::display_name;
        if let Ok(name) = display_name(&text, 200) {
            prop_assert_eq!(display_name(&name, 200), Ok(name.clone()));
            prop_assert!(!name.chars().any(|c| c.is_control() || rosette_fuzzing::is_bidi_control(c)));
        }
    }

    #[test]
    fn a_bidi_control_anywhere_refuses_the_name(
        before in "\\PC{0,20}",
        after in "\\PC{0,20}",
        control in prop::sample::select(vec!['\u{202e}', '\u{202d}', '\u{2066}', '\u{2067}', '\u{2068}', '\u{200f}', '\u{200b}', '\u{feff}']),
    ) {
        let text = format!("{before}{control}{after}");
        prop_assert!(rosette_core::text::display_name(&text, 200).is_err(), "{:?}", text);
    }

    #[test]
    fn web_urls_are_http_and_stable(text in "(https?|javascript|data|file|ftp):(//)?[a-zA-Z0-9.@:%/?#&=-]{0,30}") {
        use rosette_core::text::web_url;
        if let Ok(url) = web_url(&text) {
            prop_assert!(url.starts_with("https://") || url.starts_with("http://"));
            prop_assert_eq!(web_url(&url), Ok(url.clone()));
        }
    }

    #[test]
    fn every_spelling_of_a_private_ipv4_address_is_refused(
        (base, bits) in prop::sample::select(vec![
            (0x0000_0000u32, 8u32), (0x0a00_0000, 8), (0x7f00_0000, 8), (0x6440_0000, 10),
            (0xa9fe_0000, 16), (0xac10_0000, 12), (0xc0a8_0000, 16), (0xe000_0000, 4),
            (0xffff_ffff, 32),
        ]),
        host in any::<u32>(),
    ) {
        use rosette_net::FetchPolicy;
        let ip = base | (host & (u32::MAX.checked_shr(bits).unwrap_or(0)));
        let [a, b, c, d] = ip.to_be_bytes();
        let spellings = [
            format!("https://{a}.{b}.{c}.{d}/"),
            format!("https://{ip}/"),
            format!("https://0x{ip:x}/"),
            format!("https://0{a:o}.0{b:o}.0{c:o}.0{d:o}/"),
            format!("https://{a}.{}/", ip & 0x00ff_ffff),
            format!("https://[::ffff:{a}.{b}.{c}.{d}]/"),
            format!("https://[::ffff:{:x}:{:x}]/", ip >> 16, ip & 0xffff),
            format!("https://[::{a}.{b}.{c}.{d}]/"),
        ];
        let strict = FetchPolicy::default();
        for spelling in spellings {
            let url = url::Url::parse(&spelling).unwrap();
            prop_assert!(strict.check_url(&url).is_err(), "{} was allowed", spelling);
        }
    }

    #[test]
    fn a_credential_baked_into_svg_comes_back(
        name in any::<String>(),
        id in "[a-z0-9-]{1,20}",
    ) {
        use rosette_baking::{Baked, Credential, bake_svg, default_badge_svg, unbake_svg};
        let credential = serde_json::json!({ "id": format!("urn:uuid:{id}"), "name": name });
        let svg = bake_svg(&default_badge_svg(&name), &Credential::Json(credential.clone())).unwrap();
        prop_assert_eq!(unbake_svg(&svg).unwrap(), Some(Baked::Json(credential)));
    }

    #[test]
    fn direct_post_body_round_trips(
        token in proptest::collection::btree_map(
            "[a-z_]{1,8}",
            proptest::collection::vec(any::<String>().prop_map(serde_json::Value::String), 1..3),
            1..3,
        ),
        state in proptest::option::of("[A-Za-z0-9_-]{1,20}"),
    ) {
        use rosette_oid4vp::{AuthorizationResponse, direct_post_form, parse_direct_post};
        let form = direct_post_form(&token, state.as_deref());
        match parse_direct_post(form.as_bytes()) {
            Ok(AuthorizationResponse::VpToken { vp_token, state: parsed }) => {
                prop_assert_eq!(vp_token, token);
                prop_assert_eq!(
                    parsed.map(|s| s.expose_secret().to_owned()),
                    state
                );
            }
            other => prop_assert!(false, "{:?}", other),
        }
    }

    #[test]
    fn bulk_csv_rows_written_with_quoting_read_back(
        rows in proptest::collection::vec(("[^\r\n]{0,12}", "[^\r\n]{0,12}", "[^\r\n]{1,12}"), 1..6)
    ) {
        fn quote(field: &str) -> String {
            format!("\"{}\"", field.replace('"', "\"\""))
        }
        let mut csv = String::from("name,email,achievement_id\n");
        for (name, email, achievement) in &rows {
            csv.push_str(&format!("{},{},{}\n", quote(name), quote(email), quote(achievement)));
        }
        let parsed = rosette_agent::issuer::bulk::parse_csv(&csv).unwrap();
        prop_assert_eq!(parsed.len(), rows.len());
        for (row, (name, email, achievement)) in parsed.iter().zip(&rows) {
            let offer = row.offer.as_ref().unwrap();
            prop_assert_eq!(&offer.recipient.name, name.trim());
            prop_assert_eq!(offer.recipient.email.as_deref().unwrap_or(""), email.trim());
            prop_assert_eq!(&offer.achievement_id, achievement.trim());
        }
    }
}
