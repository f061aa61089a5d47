//! JSON Canonicalization Scheme (RFC 8785) writer, for `rdf:JSON` literals.

use std::fmt::Write as _;

use serde_json::Value;

/// Writes `v` in JCS form. `None` if it nests deeper than `max_depth`.
pub(crate) fn canonical_json(v: &Value, max_depth: usize) -> Option<String> {
    let mut out = String::new();
    write_value(&mut out, v, max_depth)?;
    Some(out)
}

fn write_value(out: &mut String, v: &Value, depth: usize) -> Option<()> {
    let depth = depth.checked_sub(1)?;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                out.push_str(&es_number(n.as_f64().unwrap_or(0.0)));
            }
        }
        Value::String(s) => write_string(out, s),
        Value::Array(a) => {
            out.push('[');
            for (i, x) in a.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_value(out, x, depth)?;
            }
            out.push(']');
        }
        Value::Object(m) => {
            // RFC 8785 §3.2.3: keys sorted by their UTF-16 code units.
            let mut keys: Vec<(&String, &Value)> = m.iter().collect();
            keys.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push('{');
            for (i, (k, x)) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(out, k);
                out.push(':');
                write_value(out, x, depth)?;
            }
            out.push('}');
        }
    }
    Some(())
}

fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// ECMAScript `Number.prototype.toString` for finite doubles (RFC 8785 §3.2.2.3).
pub(crate) fn es_number(f: f64) -> String {
    if f == 0.0 {
        return "0".to_owned();
    }
    if !f.is_finite() {
        return "null".to_owned();
    }
    let sign = if f < 0.0 { "-" } else { "" };
    // Rust's `{:e}` is the shortest round-tripping form: "d.ddde±x".
    let e = format!("{:e}", f.abs());
    let (mant, exp) = e.split_once('e').unwrap_or((e.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mant.chars().filter(|c| *c != '.').collect();
    let k = digits.len() as i32;
    let n = exp + 1;
    let body = if k <= n && n <= 21 {
        format!("{digits}{}", "0".repeat((n - k) as usize))
    } else if 0 < n && n <= 21 {
        let (a, b) = digits.split_at(n as usize);
        format!("{a}.{b}")
    } else if -6 < n && n <= 0 {
        format!("0.{}{digits}", "0".repeat((-n) as usize))
    } else {
        let (a, b) = digits.split_at(1);
        let frac = if b.is_empty() {
            String::new()
        } else {
            format!(".{b}")
        };
        let s = if n > 0 { "+" } else { "-" };
        format!("{a}{frac}e{s}{}", (n - 1).abs())
    };
    format!("{sign}{body}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_like_ecmascript() {
        for (f, s) in [
            (1.0, "1"),
            (1.5, "1.5"),
            (1e21, "1e+21"),
            (1e20, "100000000000000000000"),
            (0.000001, "0.000001"),
            (1e-7, "1e-7"),
            (-2.5e-10, "-2.5e-10"),
            (123.456, "123.456"),
            (4.5e300, "4.5e+300"),
        ] {
            assert_eq!(es_number(f), s);
        }
    }

    #[test]
    fn sorts_keys_by_utf16() {
        let v: Value = serde_json::from_str(
            r#"{"b":[1,"\u0001"],"a":{"z":null,"é":true},"\ud83d\ude00":1,"\ufb01":2}"#,
        )
        .unwrap();
        assert_eq!(
            canonical_json(&v, 10).unwrap(),
            "{\"a\":{\"z\":null,\"é\":true},\"b\":[1,\"\\u0001\"],\"😀\":1,\"ﬁ\":2}"
        );
        assert!(canonical_json(&v, 1).is_none());
    }
}
