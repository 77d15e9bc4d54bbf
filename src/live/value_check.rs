//! Attribute values a server sends, checked before a snapshot keeps them.
//!
//! The page reader keeps each attribute as the raw JSON text the server sent, which
//! `serde_json` has checked for syntax only: it accepts values that its own parser then
//! refuses when the resource is read as a tree (`LiveUser::resource`) — a number beyond
//! the range of `f64` (`1e400`), an escaped UTF-16 surrogate without its pair
//! (`"\ud800"`), nesting deeper than its recursion limit of 128. Such a value is refused
//! here, at read time, so that every kept resource parses later. The check is a single
//! pass over the bytes and only runs on what is not plainly safe: a string without a
//! backslash, `true`, `false`, `null` and a number without an exponent of at most 300
//! characters (which cannot exceed `f64`) are taken as they are. This file only checks.

use std::fmt;

/// How deep an attribute value may nest (each array or object is one level): far more
/// than any SCIM schema uses (an extension's `manager.value` is two), and far below
/// `serde_json`'s limit of 128 for the whole resource.
pub(super) const MAX_VALUE_DEPTH: usize = 64;

/// A number without an exponent this long or shorter cannot exceed `f64::MAX` (about
/// 1.8e308, 309 digits).
const PLAINLY_FINITE_NUMBER: usize = 300;

/// What is wrong with a value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ValueProblem {
    TooDeep,
    NumberOutOfRange,
    LoneSurrogate,
}

impl fmt::Display for ValueProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueProblem::TooDeep => write!(
                f,
                "is nested deeper than {MAX_VALUE_DEPTH} levels of arrays and objects"
            ),
            ValueProblem::NumberOutOfRange => {
                f.write_str("holds a number too large to represent (beyond ±1.8e308)")
            }
            ValueProblem::LoneSurrogate => f.write_str(
                "holds a string with an unpaired UTF-16 surrogate escape (\\uD800 to \\uDFFF), which is no text",
            ),
        }
    }
}

/// Check one value: `raw` is valid JSON syntax (as `RawValue` accepted it).
pub(super) fn check(raw: &str) -> Result<(), ValueProblem> {
    let bytes = raw.as_bytes();
    match bytes.first() {
        Some(b'"') if !bytes.contains(&b'\\') => Ok(()),
        Some(b'"' | b'[' | b'{') => scan(raw),
        Some(b'-' | b'0'..=b'9') => check_number(raw),
        _ => Ok(()),
    }
}

/// Walk a string, array or object: depth, strings' escapes, numbers.
fn scan(raw: &str) -> Result<(), ValueProblem> {
    let bytes = raw.as_bytes();
    let mut depth = 0usize;
    let mut at = 0;
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'"' => {
                at = skip_string(bytes, at + 1)?;
                continue;
            }
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_VALUE_DEPTH {
                    return Err(ValueProblem::TooDeep);
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            b'-' | b'0'..=b'9' => {
                let end = at
                    + bytes[at..]
                        .iter()
                        .take_while(|b| matches!(b, b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E'))
                        .count();
                check_number(raw.get(at..end).unwrap_or_default())?;
                at = end;
                continue;
            }
            _ => {}
        }
        at += 1;
    }
    Ok(())
}

/// The index after the string whose contents start at `at`, its `\u` escapes checked
/// as `serde_json` checks them when it reads the string as text: a high surrogate must
/// be followed at once by an escaped low one, and a low one must not come alone.
fn skip_string(bytes: &[u8], mut at: usize) -> Result<usize, ValueProblem> {
    while let Some(&byte) = bytes.get(at) {
        match byte {
            b'"' => return Ok(at + 1),
            b'\\' => {
                if bytes.get(at + 1) != Some(&b'u') {
                    at += 2;
                    continue;
                }
                let Some(unit) = hex4(bytes, at + 2) else {
                    // Not a valid escape; `RawValue` would not have let it through.
                    at += 2;
                    continue;
                };
                at += 6;
                match unit {
                    0xDC00..=0xDFFF => return Err(ValueProblem::LoneSurrogate),
                    0xD800..=0xDBFF => {
                        let low = (bytes.get(at) == Some(&b'\\')
                            && bytes.get(at + 1) == Some(&b'u'))
                        .then(|| hex4(bytes, at + 2))
                        .flatten();
                        if !matches!(low, Some(0xDC00..=0xDFFF)) {
                            return Err(ValueProblem::LoneSurrogate);
                        }
                        at += 6;
                    }
                    _ => {}
                }
            }
            _ => at += 1,
        }
    }
    Ok(at)
}

/// Four hex digits at `at`.
fn hex4(bytes: &[u8], at: usize) -> Option<u16> {
    let digits = bytes.get(at..at + 4)?;
    let mut unit: u16 = 0;
    for &digit in digits {
        let value = char::from(digit).to_digit(16)?;
        unit = unit * 16 + u16::try_from(value).ok()?;
    }
    Some(unit)
}

/// A number token: finite as `serde_json` reads it (it refuses what overflows `f64`).
fn check_number(token: &str) -> Result<(), ValueProblem> {
    if token.len() <= PLAINLY_FINITE_NUMBER && !token.contains(['e', 'E']) {
        return Ok(());
    }
    match serde_json::from_str::<serde_json::Value>(token) {
        Ok(_) => Ok(()),
        Err(_) => Err(ValueProblem::NumberOutOfRange),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What `serde_json` makes of the value inside a resource object.
    fn parses_in_a_resource(raw: &str) -> bool {
        serde_json::from_str::<serde_json::Value>(&format!("{{\"a\":{raw}}}")).is_ok()
    }

    #[test]
    fn refuses_exactly_what_would_not_parse_later() {
        let deep = |n: usize| format!("{}1{}", "[".repeat(n), "]".repeat(n));
        let cases = [
            (r#""plain""#.to_string(), Ok(())),
            (r#""tab\t quote\" \u00e9 \ud83d\ude00""#.to_string(), Ok(())),
            (r#""\ud800""#.to_string(), Err(ValueProblem::LoneSurrogate)),
            (r#""\udc00x""#.to_string(), Err(ValueProblem::LoneSurrogate)),
            (
                r#""\ud800\u0041""#.to_string(),
                Err(ValueProblem::LoneSurrogate),
            ),
            (
                r#""\ud800\n""#.to_string(),
                Err(ValueProblem::LoneSurrogate),
            ),
            (
                r#"{"k\ud800":1}"#.to_string(),
                Err(ValueProblem::LoneSurrogate),
            ),
            (r#"{"\\ud800":1}"#.to_string(), Ok(())),
            ("1e400".to_string(), Err(ValueProblem::NumberOutOfRange)),
            ("-1E+400".to_string(), Err(ValueProblem::NumberOutOfRange)),
            ("1e-400".to_string(), Ok(())),
            ("0e99999".to_string(), Ok(())),
            ("1".repeat(400), Err(ValueProblem::NumberOutOfRange)),
            ("1".repeat(300), Ok(())),
            ("12345678901234567890123".to_string(), Ok(())),
            (
                r#"[1, {"x": [2.5e3, 1e999]}]"#.to_string(),
                Err(ValueProblem::NumberOutOfRange),
            ),
            (r#"["1e999"]"#.to_string(), Ok(())),
            (deep(MAX_VALUE_DEPTH), Ok(())),
            (deep(MAX_VALUE_DEPTH + 1), Err(ValueProblem::TooDeep)),
            (deep(200), Err(ValueProblem::TooDeep)),
            ("true".to_string(), Ok(())),
            ("null".to_string(), Ok(())),
        ];
        for (raw, expected) in cases {
            assert_eq!(check(&raw), expected, "{raw}");
            if expected.is_ok() {
                assert!(parses_in_a_resource(&raw), "accepted but unparsable: {raw}");
            } else if expected != Err(ValueProblem::TooDeep) {
                assert!(!parses_in_a_resource(&raw), "refused but parsable: {raw}");
            }
        }
    }
}
