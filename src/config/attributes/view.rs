//! Reading [`Attributes`](super::Attributes) in place: a value ([`AttributeValue`])
//! borrows its text from the buffer, objects ([`Fields`]) and arrays ([`Items`]) are views
//! that iterate without copying.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Number, Value};

use super::encoding::{read_str, read_value};

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
    pub(super) fn to_number(self) -> Option<Number> {
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
    pub(super) fn new(rest: &'a [u8]) -> Fields<'a> {
        Fields { rest }
    }

    pub(super) fn encoded(self) -> &'a [u8] {
        self.rest
    }
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

    pub(super) fn to_map(self) -> Map<String, Value> {
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

impl<'a> Items<'a> {
    pub(super) fn new(rest: &'a [u8]) -> Items<'a> {
        Items { rest }
    }

    pub(super) fn encoded(self) -> &'a [u8] {
        self.rest
    }
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
