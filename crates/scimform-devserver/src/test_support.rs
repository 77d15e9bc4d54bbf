//! Helpers the unit tests of several modules share. Test builds only.

use serde_json::{Map, Value};

/// The object `v` is (an empty one for any other value).
pub(crate) fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}
