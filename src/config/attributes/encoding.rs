//! The encoding of [`Attributes`](super::Attributes) and
//! [`PackedValue`](super::PackedValue): writing it ([`ObjectWriter`], [`ArrayWriter`]) and
//! reading one value back. Nothing else knows the layout.

use serde_json::Value;

use super::view::{AttributeValue, Fields, Items, NumberValue};

const NULL: u8 = 0;
const FALSE: u8 = 1;
const TRUE: u8 = 2;
const UNSIGNED: u8 = 3;
const SIGNED: u8 = 4;
const FLOAT: u8 = 5;
const STRING: u8 = 6;
const ARRAY: u8 = 7;
const OBJECT: u8 = 8;

/// Writes the entries of an object.
pub struct ObjectWriter<'b> {
    buf: &'b mut Vec<u8>,
}

impl<'b> ObjectWriter<'b> {
    pub(super) fn new(buf: &'b mut Vec<u8>) -> ObjectWriter<'b> {
        ObjectWriter { buf }
    }

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

pub(super) fn write_value(buf: &mut Vec<u8>, value: &Value) {
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

pub(super) fn write_attribute(buf: &mut Vec<u8>, value: AttributeValue<'_>) {
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
        AttributeValue::Array(items) => container(buf, ARRAY, |buf| {
            buf.extend_from_slice(items.encoded());
        }),
        AttributeValue::Object(fields) => container(buf, OBJECT, |buf| {
            buf.extend_from_slice(fields.encoded());
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

pub(super) fn read_str<'a>(rest: &mut &'a [u8]) -> Option<&'a str> {
    let len = read_len(rest)?;
    std::str::from_utf8(take(rest, len)?).ok()
}

fn read_eight(rest: &mut &[u8]) -> Option<[u8; 8]> {
    take(rest, 8)?.try_into().ok()
}

pub(super) fn read_value<'a>(rest: &mut &'a [u8]) -> Option<AttributeValue<'a>> {
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
                AttributeValue::Array(Items::new(content))
            } else {
                AttributeValue::Object(Fields::new(content))
            }
        }
        _ => return None,
    })
}
