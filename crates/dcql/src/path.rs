//! Claims path pointers (OpenID4VP 1.0 §7).

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

/// One component of a claims path pointer (§7).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PathElement {
    /// A string: the member of that name in an object.
    Key(String),
    /// A non-negative integer: the element at that index in an array.
    Index(usize),
    /// `null`: every element of an array.
    Wildcard,
}

/// A claims path pointer (§7): a non-empty list of [`PathElement`]s from the credential root.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct ClaimPath(pub Vec<PathElement>);

impl ClaimPath {
    /// The elements of the pointer.
    pub fn elements(&self) -> &[PathElement] {
        &self.0
    }

    /// Whether `value` has the pointed-to claim and, when `values` is given, the claim (or,
    /// through a wildcard, any selected element) equals one of them (§6.4.1, §7.2). The last
    /// element's value must not be `null`. A type mismatch (key into a non-object, index or
    /// wildcard into a non-array) selects nothing, so the claim is absent.
    pub fn matches(&self, value: &Value, values: Option<&[Value]>) -> bool {
        matches_from(&self.0, value, values)
    }
}

fn matches_from(path: &[PathElement], value: &Value, values: Option<&[Value]>) -> bool {
    let Some((first, rest)) = path.split_first() else {
        return match values {
            Some(allowed) => allowed.iter().any(|a| value_eq(a, value)),
            None => !value.is_null(),
        };
    };
    match (first, value) {
        (PathElement::Key(k), Value::Object(map)) => {
            map.get(k).is_some_and(|v| matches_from(rest, v, values))
        }
        (PathElement::Index(i), Value::Array(items)) => {
            items.get(*i).is_some_and(|v| matches_from(rest, v, values))
        }
        (PathElement::Wildcard, Value::Array(items)) => {
            items.iter().any(|v| matches_from(rest, v, values))
        }
        _ => false,
    }
}

/// Literal equality as JSON values; numbers compare by value so `1` equals `1.0`.
fn value_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => match (x.as_i64(), y.as_i64()) {
            (Some(x), Some(y)) => x == y,
            _ => match (x.as_u64(), y.as_u64()) {
                (Some(x), Some(y)) => x == y,
                _ => x.as_f64() == y.as_f64(),
            },
        },
        _ => a == b,
    }
}

impl Serialize for PathElement {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            PathElement::Key(k) => s.serialize_str(k),
            PathElement::Index(i) => s.serialize_u64(*i as u64),
            PathElement::Wildcard => s.serialize_unit(),
        }
    }
}

impl<'de> Deserialize<'de> for PathElement {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match Value::deserialize(d)? {
            Value::String(k) => Ok(PathElement::Key(k)),
            Value::Null => Ok(PathElement::Wildcard),
            Value::Number(n) => n
                .as_u64()
                .and_then(|i| usize::try_from(i).ok())
                .map(PathElement::Index)
                .ok_or_else(|| D::Error::custom("a path index must be a non-negative integer")),
            _ => Err(D::Error::custom(
                "a path element must be a string, a non-negative integer or null",
            )),
        }
    }
}

impl Serialize for ClaimPath {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(s)
    }
}

impl<'de> Deserialize<'de> for ClaimPath {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Vec::<PathElement>::deserialize(d).map(ClaimPath)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn path(v: Value) -> ClaimPath {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn parses_keys_indices_and_wildcards() {
        let p = path(json!(["a", 0, null]));
        assert_eq!(
            p.0,
            vec![
                PathElement::Key("a".into()),
                PathElement::Index(0),
                PathElement::Wildcard
            ]
        );
        assert_eq!(serde_json::to_value(&p).unwrap(), json!(["a", 0, null]));
        assert!(serde_json::from_value::<ClaimPath>(json!([-1])).is_err());
        assert!(serde_json::from_value::<ClaimPath>(json!([1.5])).is_err());
        assert!(serde_json::from_value::<ClaimPath>(json!([true])).is_err());
    }

    #[test]
    fn selects_like_section_7() {
        let doc = json!({"a": [{"b": 1}, {"b": 2}, {"c": null}], "s": "x"});
        assert!(path(json!(["a", null, "b"])).matches(&doc, None));
        assert!(path(json!(["a", 1, "b"])).matches(&doc, Some(&[json!(2.0)])));
        assert!(!path(json!(["a", 0, "b"])).matches(&doc, Some(&[json!(2)])));
        assert!(path(json!(["a", null, "b"])).matches(&doc, Some(&[json!(2)])));
        // null leaf counts as absent; type mismatches select nothing.
        assert!(!path(json!(["a", 2, "c"])).matches(&doc, None));
        assert!(!path(json!(["s", 0])).matches(&doc, None));
        assert!(!path(json!(["a", "b"])).matches(&doc, None));
        assert!(!path(json!(["a", 9])).matches(&doc, None));
        assert!(path(json!(["s"])).matches(&doc, Some(&[json!("y"), json!("x")])));
        assert!(!path(json!(["s"])).matches(&doc, Some(&[json!(true)])));
    }
}
