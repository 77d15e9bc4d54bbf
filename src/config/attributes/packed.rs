//! [`PackedValue`]: one JSON value encoded like [`Attributes`](super::Attributes), with
//! the traits that let a plan hold it where it would hold a `serde_json::Value`.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use super::AttributeValue;
use super::encoding::{read_value, write_attribute, write_value};

/// One JSON value, packed like [`Attributes`]: what a plan holds for each attribute it
/// changes (a first import plans half a million of them). Serialized, compared and
/// printed as the JSON value it is.
#[derive(Clone)]
pub struct PackedValue {
    encoded: Box<[u8]>,
}

impl PackedValue {
    pub fn from_value(value: &Value) -> PackedValue {
        let mut encoded = Vec::new();
        write_value(&mut encoded, value);
        PackedValue {
            encoded: encoded.into_boxed_slice(),
        }
    }

    /// The value, read in place.
    pub fn view(&self) -> AttributeValue<'_> {
        read_value(&mut &self.encoded[..]).unwrap_or(AttributeValue::Null)
    }

    pub fn to_value(&self) -> Value {
        self.view().to_value()
    }

    pub fn as_str(&self) -> Option<&str> {
        self.view().as_str()
    }

    pub fn as_bool(&self) -> Option<bool> {
        self.view().as_bool()
    }
}

impl From<AttributeValue<'_>> for PackedValue {
    fn from(value: AttributeValue<'_>) -> PackedValue {
        let mut encoded = Vec::new();
        write_attribute(&mut encoded, value);
        PackedValue {
            encoded: encoded.into_boxed_slice(),
        }
    }
}

impl From<Value> for PackedValue {
    fn from(value: Value) -> PackedValue {
        PackedValue::from_value(&value)
    }
}

impl From<&str> for PackedValue {
    fn from(text: &str) -> PackedValue {
        PackedValue::from(AttributeValue::String(text))
    }
}

impl From<bool> for PackedValue {
    fn from(value: bool) -> PackedValue {
        PackedValue::from(AttributeValue::Bool(value))
    }
}

/// JSON equality (objects in any order), as on `serde_json::Value`.
impl PartialEq for PackedValue {
    fn eq(&self, other: &PackedValue) -> bool {
        self.encoded == other.encoded || self.view().equals(&other.to_value())
    }
}

impl PartialEq<Value> for PackedValue {
    fn eq(&self, other: &Value) -> bool {
        self.view().equals(other)
    }
}

impl fmt::Debug for PackedValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.to_value(), f)
    }
}

impl Serialize for PackedValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.view().serialize(serializer)
    }
}

impl<'de> Deserialize<'de> for PackedValue {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<PackedValue, D::Error> {
        Ok(PackedValue::from_value(&Value::deserialize(deserializer)?))
    }
}

impl JsonSchema for PackedValue {
    fn inline_schema() -> bool {
        Value::inline_schema()
    }

    fn schema_name() -> Cow<'static, str> {
        Value::schema_name()
    }

    fn schema_id() -> Cow<'static, str> {
        Value::schema_id()
    }

    fn json_schema(generator: &mut SchemaGenerator) -> Schema {
        Value::json_schema(generator)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_packed_value_is_its_json() {
        let value = json!({"b": [1, -2, 0.5, null, "x"], "a": {"nested": true}});
        let packed = PackedValue::from_value(&value);
        assert_eq!(packed.to_value(), value);
        assert_eq!(
            serde_json::to_string(&packed).expect("serializes"),
            serde_json::to_string(&value).expect("serializes")
        );
        let back: PackedValue = serde_json::from_str(&serde_json::to_string(&value).expect("json"))
            .expect("deserializes");
        assert_eq!(back, packed);
        assert_eq!(
            packed,
            json!({"a": {"nested": true}, "b": [1, -2, 0.5, null, "x"]})
        );
        assert_ne!(
            packed,
            json!({"a": {"nested": false}, "b": [1, -2, 0.5, null, "x"]})
        );
        let copied = PackedValue::from(packed.view());
        assert_eq!(
            copied.encoded, packed.encoded,
            "a view copies to the same bytes"
        );
        assert_eq!(format!("{packed:?}"), format!("{value:?}"));
    }
}
