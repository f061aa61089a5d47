//! `OneOrMany<T>`: a JSON-LD set that may arrive compacted to a single value.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A set-valued property (OB 3.0 App. A.2.1): accepts a single value or an array on input.
///
/// Values built in Rust are emitted as arrays, as the strict 1EdTech schema requires. A
/// value read from JSON remembers whether it was compacted to a single item and is written
/// back the same way, so a signed credential round-trips unchanged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OneOrMany<T> {
    items: Vec<T>,
    compact: bool,
}

impl<T> OneOrMany<T> {
    /// A set emitted as a JSON array.
    pub fn new(items: Vec<T>) -> Self {
        Self {
            items,
            compact: false,
        }
    }

    /// A one-item set, emitted as a JSON array.
    pub fn one(item: T) -> Self {
        Self::new(vec![item])
    }

    /// True when the input held a single value rather than an array.
    pub fn is_compact(&self) -> bool {
        self.compact
    }

    /// From now on emit this set as an array (the strict-schema form).
    pub fn expand(&mut self) {
        self.compact = false;
    }

    /// The items, in input order.
    pub fn as_slice(&self) -> &[T] {
        &self.items
    }

    /// Mutable access to the items.
    pub fn as_mut_vec(&mut self) -> &mut Vec<T> {
        &mut self.items
    }

    /// Appends an item; a compacted set becomes an array.
    pub fn push(&mut self, item: T) {
        self.items.push(item);
        if self.items.len() > 1 {
            self.compact = false;
        }
    }

    /// Number of items.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// True when there are no items (the property is then omitted on output).
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Iterates over the items.
    pub fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items.iter()
    }

    /// The first item, if any.
    pub fn first(&self) -> Option<&T> {
        self.items.first()
    }

    /// Consumes the set, returning its items.
    pub fn into_vec(self) -> Vec<T> {
        self.items
    }
}

impl OneOrMany<String> {
    /// True when the set holds `value` (used for `type` checks).
    pub fn contains_str(&self, value: &str) -> bool {
        self.items.iter().any(|v| v == value)
    }
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self::new(Vec::new())
    }
}

impl<T> From<Vec<T>> for OneOrMany<T> {
    fn from(items: Vec<T>) -> Self {
        Self::new(items)
    }
}

impl<'a, T> IntoIterator for &'a OneOrMany<T> {
    type Item = &'a T;
    type IntoIter = std::slice::Iter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<T: Serialize> Serialize for OneOrMany<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self.items.as_slice() {
            [single] if self.compact => single.serialize(serializer),
            items => items.serialize(serializer),
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Repr<T> {
    Many(Vec<T>),
    One(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(match Repr::deserialize(deserializer)? {
            Repr::Many(items) => Self {
                items,
                compact: false,
            },
            Repr::One(item) => Self {
                items: vec![item],
                compact: true,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn single_value_round_trips_compact_and_built_sets_are_arrays() {
        let v: OneOrMany<String> = serde_json::from_value(json!("Image")).unwrap();
        assert!(v.is_compact());
        assert_eq!(serde_json::to_value(&v).unwrap(), json!("Image"));
        let built = OneOrMany::one("Profile".to_owned());
        assert_eq!(serde_json::to_value(&built).unwrap(), json!(["Profile"]));
        let mut grown = v.clone();
        grown.push("Extra".into());
        assert_eq!(
            serde_json::to_value(&grown).unwrap(),
            json!(["Image", "Extra"])
        );
    }
}
