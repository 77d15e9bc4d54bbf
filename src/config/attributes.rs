//! A declared user's attributes, held compactly: the JSON object that the YAML declares,
//! encoded into one byte buffer and read in place.
//!
//! A hundred thousand users declared as `serde_json` maps cost about a kilobyte each (a
//! hash table, an entry and a heap string per key, per nested object); encoded, the same
//! attributes take a fifth of that, one allocation per user. Reading never copies: keys
//! and strings are borrowed from the buffer, and [`AttributeValue::equals`] compares with
//! a live `serde_json::Value` without building one. [`AttributeValue::to_value`] builds
//! JSON where a request body or a plan needs it.
//!
//! The encoding is private to this module, written only by [`ObjectWriter`] and never
//! read from outside the process: a value is a tag byte, then for a string or a key its
//! length (LEB128) and UTF-8 bytes, for a number its 8 bytes, for an array or an object
//! the length of its content (8 bytes, little-endian) and the content. Reading is still
//! checked: a malformed buffer reads as fewer entries, never as a panic.

use std::borrow::Cow;
use std::fmt;

use schemars::{JsonSchema, Schema, SchemaGenerator};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::{Map, Number, Value};

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const UNSIGNED: u8 = 3;
const SIGNED: u8 = 4;
const FLOAT: u8 = 5;
const STRING: u8 = 6;
const ARRAY: u8 = 7;
const OBJECT: u8 = 8;

/// A JSON object, in the order written: a user's declared attributes by name.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Attributes {
    encoded: Box<[u8]>,
}

impl Attributes {
    /// Attributes that `fill` writes.
    pub fn build(fill: impl FnOnce(&mut ObjectWriter<'_>)) -> Attributes {
        let mut encoded = Vec::new();
        fill(&mut ObjectWriter { buf: &mut encoded });
        Attributes {
            encoded: encoded.into_boxed_slice(),
        }
    }

    /// The attributes of a JSON object, in its order.
    pub fn from_map(map: &Map<String, Value>) -> Attributes {
        Attributes::build(|object| {
            for (key, value) in map {
                object.value(key, value);
            }
        })
    }

    /// The attributes as an object.
    pub fn fields(&self) -> Fields<'_> {
        Fields {
            rest: &self.encoded,
        }
    }

    /// The attributes in order, each with its name.
    pub fn iter(&self) -> FieldIter<'_> {
        self.fields().into_iter()
    }

    /// The names of the attributes, in order.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.iter().map(|(key, _)| key)
    }

    /// The attribute of exactly this name.
    pub fn get(&self, key: &str) -> Option<AttributeValue<'_>> {
        self.fields().get(key)
    }

    pub fn is_empty(&self) -> bool {
        self.encoded.is_empty()
    }

    /// The attributes as a JSON object.
    pub fn to_map(&self) -> Map<String, Value> {
        self.fields().to_map()
    }
}

impl<'a> IntoIterator for &'a Attributes {
    type Item = (&'a str, AttributeValue<'a>);
    type IntoIter = FieldIter<'a>;

    fn into_iter(self) -> FieldIter<'a> {
        self.iter()
    }
}

impl fmt::Debug for Attributes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(&self.fields(), f)
    }
}

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

impl Serialize for AttributeValue<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match *self {
            AttributeValue::Null => serializer.serialize_unit(),
            AttributeValue::Bool(value) => serializer.serialize_bool(value),
            AttributeValue::Number(number) => match number.to_number() {
                Some(number) => number.serialize(serializer),
                None => serializer.serialize_unit(),
            },
            AttributeValue::String(text) => serializer.serialize_str(text),
            AttributeValue::Array(items) => serializer.collect_seq(items),
            AttributeValue::Object(fields) => serializer.collect_map(fields),
        }
    }
}

/// One value read from [`Attributes`], borrowing its text.
#[derive(Clone, Copy, Debug)]
pub enum AttributeValue<'a> {
    Null,
    Bool(bool),
    Number(NumberValue),
    String(&'a str),
    Array(Items<'a>),
    Object(Fields<'a>),
}

/// A number as JSON holds one.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum NumberValue {
    Unsigned(u64),
    Signed(i64),
    Float(f64),
}

impl NumberValue {
    fn to_number(self) -> Option<Number> {
        match self {
            NumberValue::Unsigned(n) => Some(Number::from(n)),
            NumberValue::Signed(n) => Some(Number::from(n)),
            NumberValue::Float(n) => Number::from_f64(n),
        }
    }
}

impl<'a> AttributeValue<'a> {
    pub fn as_str(self) -> Option<&'a str> {
        match self {
            AttributeValue::String(text) => Some(text),
            _ => None,
        }
    }

    pub fn as_bool(self) -> Option<bool> {
        match self {
            AttributeValue::Bool(value) => Some(value),
            _ => None,
        }
    }

    /// The sub-attribute of exactly this name, when this is an object.
    pub fn get(self, key: &str) -> Option<AttributeValue<'a>> {
        match self {
            AttributeValue::Object(fields) => fields.get(key),
            _ => None,
        }
    }

    /// The items, when this is an array.
    pub fn items(self) -> Option<Items<'a>> {
        match self {
            AttributeValue::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The value as JSON.
    pub fn to_value(self) -> Value {
        match self {
            AttributeValue::Null => Value::Null,
            AttributeValue::Bool(value) => Value::Bool(value),
            AttributeValue::Number(number) => number.to_number().map_or(Value::Null, Value::Number),
            AttributeValue::String(text) => Value::String(text.to_string()),
            AttributeValue::Array(items) => {
                Value::Array(items.into_iter().map(AttributeValue::to_value).collect())
            }
            AttributeValue::Object(fields) => Value::Object(fields.to_map()),
        }
    }

    /// Whether `value` is this value, as `==` on JSON values says (numbers by kind and
    /// value, objects whatever their order), without building it.
    pub fn equals(self, value: &Value) -> bool {
        match (self, value) {
            (AttributeValue::Null, Value::Null) => true,
            (AttributeValue::Bool(a), Value::Bool(b)) => a == *b,
            (AttributeValue::Number(a), Value::Number(b)) => a.to_number().as_ref() == Some(b),
            (AttributeValue::String(a), Value::String(b)) => a == b,
            (AttributeValue::Array(items), Value::Array(values)) => {
                items.len() == values.len()
                    && items
                        .into_iter()
                        .zip(values)
                        .all(|(item, value)| item.equals(value))
            }
            (AttributeValue::Object(fields), Value::Object(map)) => {
                fields.len() == map.len()
                    && fields
                        .into_iter()
                        .all(|(key, item)| map.get(key).is_some_and(|value| item.equals(value)))
            }
            _ => false,
        }
    }
}

/// The entries of an object, in order (a view: iterating does not consume it).
#[derive(Clone, Copy)]
pub struct Fields<'a> {
    rest: &'a [u8],
}

impl<'a> Fields<'a> {
    /// The entry of exactly this name.
    pub fn get(self, key: &str) -> Option<AttributeValue<'a>> {
        self.into_iter()
            .find(|(k, _)| *k == key)
            .map(|(_, value)| value)
    }

    /// How many entries there are.
    pub fn len(self) -> usize {
        self.into_iter().count()
    }

    pub fn is_empty(self) -> bool {
        self.rest.is_empty()
    }

    fn to_map(self) -> Map<String, Value> {
        let mut map = Map::new();
        for (key, value) in self {
            map.insert(key.to_string(), value.to_value());
        }
        map
    }
}

impl<'a> IntoIterator for Fields<'a> {
    type Item = (&'a str, AttributeValue<'a>);
    type IntoIter = FieldIter<'a>;

    fn into_iter(self) -> FieldIter<'a> {
        FieldIter { rest: self.rest }
    }
}

impl fmt::Debug for Fields<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(*self).finish()
    }
}

/// Iterates over [`Fields`].
#[derive(Clone)]
pub struct FieldIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for FieldIter<'a> {
    type Item = (&'a str, AttributeValue<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let mut rest = self.rest;
        let entry = read_str(&mut rest).and_then(|key| Some((key, read_value(&mut rest)?)));
        // A malformed buffer ends the iteration rather than being read further.
        self.rest = if entry.is_some() { rest } else { &[] };
        entry
    }
}

/// The items of an array, in order (a view, like [`Fields`]).
#[derive(Clone, Copy)]
pub struct Items<'a> {
    rest: &'a [u8],
}

impl Items<'_> {
    /// How many items there are.
    pub fn len(self) -> usize {
        self.into_iter().count()
    }

    pub fn is_empty(self) -> bool {
        self.rest.is_empty()
    }
}

impl<'a> IntoIterator for Items<'a> {
    type Item = AttributeValue<'a>;
    type IntoIter = ItemIter<'a>;

    fn into_iter(self) -> ItemIter<'a> {
        ItemIter { rest: self.rest }
    }
}

impl fmt::Debug for Items<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(*self).finish()
    }
}

/// Iterates over [`Items`].
#[derive(Clone)]
pub struct ItemIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for ItemIter<'a> {
    type Item = AttributeValue<'a>;

    fn next(&mut self) -> Option<Self::Item> {
        let mut rest = self.rest;
        let item = read_value(&mut rest);
        self.rest = if item.is_some() { rest } else { &[] };
        item
    }
}

/// Writes the entries of an object.
pub struct ObjectWriter<'b> {
    buf: &'b mut Vec<u8>,
}

impl ObjectWriter<'_> {
    pub fn string(&mut self, key: &str, value: &str) {
        write_str(self.buf, key);
        self.buf.push(STRING);
        write_str(self.buf, value);
    }

    pub fn bool(&mut self, key: &str, value: bool) {
        write_str(self.buf, key);
        self.buf.push(if value { TRUE } else { FALSE });
    }

    /// Any JSON value.
    pub fn value(&mut self, key: &str, value: &Value) {
        write_str(self.buf, key);
        write_value(self.buf, value);
    }

    /// An object that `fill` writes.
    pub fn object(&mut self, key: &str, fill: impl FnOnce(&mut ObjectWriter<'_>)) {
        write_str(self.buf, key);
        container(self.buf, OBJECT, |buf| fill(&mut ObjectWriter { buf }));
    }

    /// An array whose items `fill` writes.
    pub fn array(&mut self, key: &str, fill: impl FnOnce(&mut ArrayWriter<'_>)) {
        write_str(self.buf, key);
        container(self.buf, ARRAY, |buf| fill(&mut ArrayWriter { buf }));
    }
}

/// Writes the items of an array.
pub struct ArrayWriter<'b> {
    buf: &'b mut Vec<u8>,
}

impl ArrayWriter<'_> {
    /// An object item that `fill` writes.
    pub fn object(&mut self, fill: impl FnOnce(&mut ObjectWriter<'_>)) {
        container(self.buf, OBJECT, |buf| fill(&mut ObjectWriter { buf }));
    }
}

fn container(buf: &mut Vec<u8>, tag: u8, fill: impl FnOnce(&mut Vec<u8>)) {
    buf.push(tag);
    let at = buf.len();
    buf.extend_from_slice(&[0; 8]);
    fill(buf);
    let len = (buf.len() - at - 8) as u64;
    buf[at..at + 8].copy_from_slice(&len.to_le_bytes());
}

fn write_value(buf: &mut Vec<u8>, value: &Value) {
    match value {
        Value::Null => buf.push(NULL),
        Value::Bool(value) => buf.push(if *value { TRUE } else { FALSE }),
        Value::Number(number) => {
            if let Some(n) = number.as_u64() {
                buf.push(UNSIGNED);
                buf.extend_from_slice(&n.to_le_bytes());
            } else if let Some(n) = number.as_i64() {
                buf.push(SIGNED);
                buf.extend_from_slice(&n.to_le_bytes());
            } else {
                buf.push(FLOAT);
                buf.extend_from_slice(&number.as_f64().unwrap_or(0.0).to_le_bytes());
            }
        }
        Value::String(text) => {
            buf.push(STRING);
            write_str(buf, text);
        }
        Value::Array(items) => container(buf, ARRAY, |buf| {
            for item in items {
                write_value(buf, item);
            }
        }),
        Value::Object(map) => container(buf, OBJECT, |buf| {
            for (key, value) in map {
                write_str(buf, key);
                write_value(buf, value);
            }
        }),
    }
}

fn write_attribute(buf: &mut Vec<u8>, value: AttributeValue<'_>) {
    match value {
        AttributeValue::Null => buf.push(NULL),
        AttributeValue::Bool(value) => buf.push(if value { TRUE } else { FALSE }),
        AttributeValue::Number(number) => {
            let (tag, bytes) = match number {
                NumberValue::Unsigned(n) => (UNSIGNED, n.to_le_bytes()),
                NumberValue::Signed(n) => (SIGNED, n.to_le_bytes()),
                NumberValue::Float(n) => (FLOAT, n.to_le_bytes()),
            };
            buf.push(tag);
            buf.extend_from_slice(&bytes);
        }
        AttributeValue::String(text) => {
            buf.push(STRING);
            write_str(buf, text);
        }
        // The content is already encoded: copied as it is.
        AttributeValue::Array(Items { rest }) => container(buf, ARRAY, |buf| {
            buf.extend_from_slice(rest);
        }),
        AttributeValue::Object(Fields { rest }) => container(buf, OBJECT, |buf| {
            buf.extend_from_slice(rest);
        }),
    }
}

fn write_str(buf: &mut Vec<u8>, text: &str) {
    let mut len = text.len();
    loop {
        #[allow(clippy::cast_possible_truncation)] // seven bits
        let byte = (len & 0x7f) as u8;
        len >>= 7;
        if len == 0 {
            buf.push(byte);
            break;
        }
        buf.push(byte | 0x80);
    }
    buf.extend_from_slice(text.as_bytes());
}

fn take<'a>(rest: &mut &'a [u8], len: usize) -> Option<&'a [u8]> {
    let (taken, after) = rest.split_at_checked(len)?;
    *rest = after;
    Some(taken)
}

fn read_len(rest: &mut &[u8]) -> Option<usize> {
    let mut len: usize = 0;
    for shift in (0..usize::BITS).step_by(7) {
        let (&byte, after) = rest.split_first()?;
        *rest = after;
        len |= usize::from(byte & 0x7f).checked_shl(shift)?;
        if byte & 0x80 == 0 {
            return Some(len);
        }
    }
    None
}

fn read_str<'a>(rest: &mut &'a [u8]) -> Option<&'a str> {
    let len = read_len(rest)?;
    std::str::from_utf8(take(rest, len)?).ok()
}

fn read_eight(rest: &mut &[u8]) -> Option<[u8; 8]> {
    take(rest, 8)?.try_into().ok()
}

fn read_value<'a>(rest: &mut &'a [u8]) -> Option<AttributeValue<'a>> {
    let (&tag, after) = rest.split_first()?;
    *rest = after;
    Some(match tag {
        NULL => AttributeValue::Null,
        FALSE => AttributeValue::Bool(false),
        TRUE => AttributeValue::Bool(true),
        UNSIGNED => {
            AttributeValue::Number(NumberValue::Unsigned(u64::from_le_bytes(read_eight(rest)?)))
        }
        SIGNED => {
            AttributeValue::Number(NumberValue::Signed(i64::from_le_bytes(read_eight(rest)?)))
        }
        FLOAT => AttributeValue::Number(NumberValue::Float(f64::from_le_bytes(read_eight(rest)?))),
        STRING => AttributeValue::String(read_str(rest)?),
        ARRAY | OBJECT => {
            let len = usize::try_from(u64::from_le_bytes(read_eight(rest)?)).ok()?;
            let content = take(rest, len)?;
            if tag == ARRAY {
                AttributeValue::Array(Items { rest: content })
            } else {
                AttributeValue::Object(Fields { rest: content })
            }
        }
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn attributes(value: &Value) -> Attributes {
        Attributes::from_map(value.as_object().expect("an object"))
    }

    #[test]
    fn json_round_trips_in_order() {
        let value = json!({
            "externalId": "e-1",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "active": false,
            "emails": [{"value": "ada@example.test", "primary": true}, {"value": "a@x.test"}],
            "urn:example:1.0:User": {
                "badge": 1234, "delta": -5, "ratio": 0.5, "none": null, "tags": ["a", "b"],
                "long": "x".repeat(300)
            },
            "empty": {}, "nothing": []
        });
        let encoded = attributes(&value);
        assert_eq!(Value::Object(encoded.to_map()), value);
        assert_eq!(
            encoded.keys().collect::<Vec<_>>(),
            [
                "externalId",
                "name",
                "active",
                "emails",
                "urn:example:1.0:User",
                "empty",
                "nothing"
            ]
        );
        assert_eq!(
            encoded
                .get("name")
                .and_then(|n| n.get("familyName"))
                .and_then(AttributeValue::as_str),
            Some("Lovelace")
        );
        assert!(encoded.get("Name").is_none(), "keys are exact");
    }

    #[test]
    fn equals_is_json_equality() {
        let value = json!({"a": {"x": 1, "y": [true, "s"]}, "b": 2.5, "c": -1});
        let encoded = attributes(&value);
        for (key, item) in &encoded {
            assert!(item.equals(&value[key]), "{key}");
        }
        let a = encoded.get("a").expect("a");
        assert!(
            a.equals(&json!({"y": [true, "s"], "x": 1})),
            "objects in any order"
        );
        assert!(!a.equals(&json!({"x": 1})));
        assert!(!a.equals(&json!({"x": 1, "y": [true, "s"], "z": 0})));
        assert!(
            !a.equals(&json!({"x": 1.0, "y": [true, "s"]})),
            "1 is not 1.0"
        );
        assert!(
            !a.equals(&json!({"x": 1, "y": ["s", true]})),
            "arrays in order"
        );
        assert!(!encoded.get("b").expect("b").equals(&json!("2.5")));
    }

    #[test]
    fn a_malformed_buffer_reads_short_and_never_panics() {
        let whole = attributes(&json!({"a": "text", "b": {"c": [1, 2]}})).encoded;
        for cut in 0..whole.len() {
            let short = Attributes {
                encoded: whole[..cut].into(),
            };
            let _ = short.to_map();
            let _ = format!("{short:?}");
        }
        for byte in 0..whole.len() {
            let mut bad = whole.to_vec();
            bad[byte] ^= 0xff;
            let _ = Attributes {
                encoded: bad.into(),
            }
            .to_map();
        }
    }

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

    #[test]
    fn a_typical_user_takes_under_200_bytes() {
        let user = attributes(&json!({
            "displayName": "User 1",
            "name": {"givenName": "User", "familyName": "N1"},
            "active": true,
            "emails": [{"value": "user000001@synthetic.test", "type": "work", "primary": true}]
        }));
        assert!(user.encoded.len() < 200, "{} bytes", user.encoded.len());
    }
}
