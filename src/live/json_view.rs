//! A resource's JSON read without copying it ([`Json`]): strings borrowed from the
//! snapshot's text where they hold no escape, objects kept as their pairs in order — no
//! hashing and few allocations, where a `serde_json::Value` costs a hash map and a
//! string per key and value. Export writes every user from it, and the diff checks
//! whether a matched user changed with it (most of the time either would otherwise
//! spend building trees).
//!
//! Attributes are found by the rules of [`crate::scim::attribute`] on a `Value`: the key
//! as given first, else the first key equal but for ASCII case; a key given twice has its
//! last value, at its first place; `null` is no value. The tests hold the two to the same
//! answers. This module only reads.

use std::borrow::Cow;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Json<'a> {
    Null,
    Bool(bool),
    /// Only that there is a number is kept: export writes none, and the diff leaves a
    /// number to the full comparison.
    Number,
    Str(Cow<'a, str>),
    Array(Vec<Json<'a>>),
    Object(Vec<(Cow<'a, str>, Json<'a>)>),
}

/// The pairs of an object, in order.
pub(crate) type Pairs<'a> = [(Cow<'a, str>, Json<'a>)];

impl<'a> Json<'a> {
    /// The value `text` holds. The snapshot keeps only text that parses as JSON; were it
    /// ever not so, a debug build panics to show it and a release build reads an empty
    /// object, as [`super::ResourceJson::to_value`] does.
    pub(crate) fn parse(text: &'a str) -> Json<'a> {
        match serde_json::from_str(text) {
            Ok(value) => value,
            Err(error) => {
                debug_assert!(false, "a resource that does not parse ({error}): {text}");
                Json::Object(Vec::new())
            }
        }
    }

    pub(crate) fn as_str(&self) -> Option<&str> {
        match self {
            Json::Str(text) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn as_object(&self) -> Option<&Pairs<'a>> {
        match self {
            Json::Object(pairs) => Some(pairs),
            _ => None,
        }
    }

    pub(crate) fn as_array(&self) -> Option<&[Json<'a>]> {
        match self {
            Json::Array(items) => Some(items),
            _ => None,
        }
    }

    /// A boolean, or a string that says one (as [`crate::scim::as_bool`]).
    pub(crate) fn as_bool(&self) -> Option<bool> {
        match self {
            Json::Bool(value) => Some(*value),
            Json::Str(text) if text.eq_ignore_ascii_case("true") => Some(true),
            Json::Str(text) if text.eq_ignore_ascii_case("false") => Some(false),
            _ => None,
        }
    }
}

/// The attribute `name` of `object` (see the module docs).
pub(crate) fn attribute<'j, 'a>(object: &'j Pairs<'a>, name: &str) -> Option<&'j Json<'a>> {
    let last_of = |key: &str| {
        object
            .iter()
            .rev()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value)
    };
    let value = if let Some(value) = last_of(name) {
        value
    } else {
        let (key, _) = object.iter().find(|(k, _)| k.eq_ignore_ascii_case(name))?;
        last_of(key)?
    };
    (*value != Json::Null).then_some(value)
}

/// A string attribute of a resource.
pub(crate) fn string_attribute<'j>(resource: &'j Json<'_>, name: &str) -> Option<&'j str> {
    attribute(resource.as_object()?, name).and_then(Json::as_str)
}

impl<'de> Deserialize<'de> for Json<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON value")
    }

    fn visit_unit<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_none<E>(self) -> Result<Json<'de>, E> {
        Ok(Json::Null)
    }

    fn visit_bool<E>(self, value: bool) -> Result<Json<'de>, E> {
        Ok(Json::Bool(value))
    }

    fn visit_i64<E>(self, _: i64) -> Result<Json<'de>, E> {
        Ok(Json::Number)
    }

    fn visit_u64<E>(self, _: u64) -> Result<Json<'de>, E> {
        Ok(Json::Number)
    }

    fn visit_f64<E>(self, _: f64) -> Result<Json<'de>, E> {
        Ok(Json::Number)
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(text.to_string())))
    }

    fn visit_string<E>(self, text: String) -> Result<Json<'de>, E> {
        Ok(Json::Str(Cow::Owned(text)))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json<'de>, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json<'de>, A::Error> {
        let mut pairs = Vec::with_capacity(map.size_hint().unwrap_or(0));
        while let Some((Key(key), value)) = map.next_entry()? {
            pairs.push((key, value));
        }
        Ok(Json::Object(pairs))
    }
}

/// An object's key, borrowed where it can be (serde's `Cow<str>` always copies).
pub(super) struct Key<'a>(pub(super) Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct KeyVisitor;

impl<'de> Visitor<'de> for KeyVisitor {
    type Value = Key<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }

    fn visit_borrowed_str<E>(self, text: &'de str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Borrowed(text)))
    }

    fn visit_str<E>(self, text: &str) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(text.to_string())))
    }

    fn visit_string<E>(self, text: String) -> Result<Key<'de>, E> {
        Ok(Key(Cow::Owned(text)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::Value;

    /// The same value as a `serde_json::Value`, numbers aside.
    fn same(light: Option<&Json<'_>>, value: Option<&Value>) -> bool {
        match (light, value) {
            (None, None)
            | (Some(Json::Null), Some(Value::Null))
            | (Some(Json::Number), Some(Value::Number(_))) => true,
            (Some(Json::Bool(a)), Some(Value::Bool(b))) => a == b,
            (Some(Json::Str(a)), Some(Value::String(b))) => a == b,
            (Some(Json::Array(a)), Some(Value::Array(b))) => {
                a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same(Some(a), Some(b)))
            }
            (Some(Json::Object(_)), Some(Value::Object(b))) => {
                let light = light.and_then(Json::as_object).unwrap_or_default();
                b.iter().all(|(k, v)| {
                    same(attribute(light, k), crate::scim::attribute(b, k)) || v.is_null()
                })
            }
            _ => false,
        }
    }

    fn agree(text: &str, names: &[&str]) {
        let light = Json::parse(text);
        let value: Value = serde_json::from_str(text).expect("parses");
        let (Some(light), Some(object)) = (light.as_object(), value.as_object()) else {
            panic!("objects: {text}");
        };
        for name in names {
            let ours = attribute(light, name);
            let theirs = crate::scim::attribute(object, name);
            assert!(same(ours, theirs), "{text} {name}: {ours:?} / {theirs:?}");
            assert_eq!(
                ours.and_then(Json::as_bool),
                theirs.and_then(crate::scim::as_bool),
                "{text} {name}"
            );
        }
    }

    #[test]
    fn attributes_are_found_as_in_a_serde_json_value() {
        agree(
            r#"{"userName":"a","USERNAME":"b","title":null,"Title":"t","name":{"givenName":"\u0041"},
               "active":"TRUE","emails":[{"value":"a@x"},1,null],"x":1.5,"userName":"c"}"#,
            &[
                "userName", "username", "title", "TITLE", "name", "active", "emails", "x", "none",
            ],
        );
        let light = Json::parse(r#"{"a":"plain","b":"esc\"aped"}"#);
        let object = light.as_object().expect("object");
        assert!(
            matches!(object[0].1, Json::Str(Cow::Borrowed(_))),
            "borrowed"
        );
        assert_eq!(string_attribute(&light, "B"), Some("esc\"aped"));
    }

    proptest! {
        #[test]
        fn any_object_answers_as_a_serde_json_value(
            pairs in proptest::collection::vec(
                ("[aAbB]{1,2}", prop_oneof![
                    Just("null".to_string()),
                    Just("true".to_string()),
                    Just("\"False\"".to_string()),
                    Just("7".to_string()),
                    "[a-z\"\\\\]{0,3}".prop_map(|s| serde_json::to_string(&s).expect("a string")),
                    Just("{\"v\":null}".to_string()),
                    Just("[1,\"x\"]".to_string()),
                ]),
                0..8,
            )
        ) {
            let text = format!(
                "{{{}}}",
                pairs.iter().map(|(k, v)| format!("\"{k}\":{v}")).collect::<Vec<_>>().join(",")
            );
            prop_assume!(serde_json::from_str::<Value>(&text).is_ok());
            agree(&text, &["a", "A", "b", "B", "ab", "AB", "aB", "Ab", "c"]);
        }
    }
}
