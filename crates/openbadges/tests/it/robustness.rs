//! Never panic on untrusted input: truncations and type confusion of every value.

use crate::{OB3_EXAMPLES, load_json};
use rosette_openbadges::validate::check_untrusted;
use serde_json::{Value, json};

fn pointers(v: &Value, prefix: String, out: &mut Vec<String>) {
    match v {
        Value::Object(m) => {
            for (k, child) in m {
                let p = format!("{prefix}/{}", k.replace('~', "~0").replace('/', "~1"));
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        Value::Array(a) => {
            for (i, child) in a.iter().enumerate() {
                let p = format!("{prefix}/{i}");
                out.push(p.clone());
                pointers(child, p, out);
            }
        }
        _ => {}
    }
}

#[test]
fn every_value_replaced_by_every_json_type() {
    // Kept small: each case runs three schema validations (about 1 ms in a debug build).
    let replacements = [
        json!(null),
        json!(-1.5e300),
        json!("2010-02-30T00:00:00Z"),
        json!([null, {}]),
    ];
    for file in [OB3_EXAMPLES[3], OB3_EXAMPLES[6]] {
        let base = load_json(file);
        let mut ptrs = Vec::new();
        pointers(&base, String::new(), &mut ptrs);
        for p in &ptrs {
            for r in &replacements {
                let mut doc = base.clone();
                *doc.pointer_mut(p).unwrap() = r.clone();
                check_untrusted(&serde_json::to_vec(&doc).unwrap());
            }
        }
    }
}

#[test]
fn truncated_and_odd_bytes() {
    let bytes = std::fs::read(crate::crate_path(OB3_EXAMPLES[1])).unwrap();
    for cut in (0..bytes.len()).step_by(7) {
        check_untrusted(bytes.get(..cut).unwrap());
    }
    for odd in [
        &b""[..],
        b"null",
        b"[]",
        b"{\"type\":\"OpenBadgeCredential\"}",
        b"{\"type\":[\"EndorsementCredential\"],\"@context\":7}",
        b"\xff\xfe{",
    ] {
        check_untrusted(odd);
    }
    // Deep nesting is refused by the JSON parser's recursion limit, not the stack.
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    check_untrusted(deep.as_bytes());
}
