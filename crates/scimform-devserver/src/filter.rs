//! SCIM filter expressions and attribute paths (RFC 7644 §3.4.2.2, §3.5.2): parsing and
//! evaluation against a resource's JSON object.
//!
//! Owns the grammar — `attrPath op value`, `pr`, `and`/`or`/`not`, parentheses, value
//! filters `emails[type eq "work"]` and PATCH paths `emails[type eq "work"].value` — and
//! the comparison rules (attribute names and operators case-insensitive; string values
//! case-insensitive except `id` and `externalId`). It must not know about HTTP, the store
//! or which attributes a resource type has; an unknown attribute simply matches nothing.

use serde_json::{Map, Value};

/// Schema URNs whose attributes live at the top level of a resource.
const CORE_SCHEMAS: [&str; 2] = [
    "urn:ietf:params:scim:schemas:core:2.0:User",
    "urn:ietf:params:scim:schemas:core:2.0:Group",
];

/// Extension schema URNs the parser recognises as one path segment (their URN has dots).
const EXTENSION_SCHEMAS: [&str; 1] = ["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"];

/// Deepest nesting of parentheses, `not` and value filters accepted (no stack overflow).
const MAX_DEPTH: usize = 32;

/// Most `and`/`or` connectives in one filter (evaluation recurses over them).
const MAX_CONNECTIVES: usize = 200;

/// A parsed filter expression.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Filter {
    And(Box<Filter>, Box<Filter>),
    Or(Box<Filter>, Box<Filter>),
    Not(Box<Filter>),
    Present(AttrPath),
    Compare(AttrPath, CompareOp, Value),
    /// `emails[type eq "work"]`: some value of a multi-valued attribute matches the filter.
    ValuePath(AttrPath, Box<Filter>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum CompareOp {
    Eq,
    Ne,
    Co,
    Sw,
    Ew,
    Gt,
    Ge,
    Lt,
    Le,
}

/// An attribute path as segments to walk: `["name", "givenName"]`, or with an extension
/// `["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "department"]`.
/// A core schema URN prefix is dropped. Never empty.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct AttrPath {
    pub segments: Vec<String>,
}

/// A PATCH path: `attrPath`, optionally `[valFilter]`, optionally `.subAttr` after it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct PatchPath {
    pub attr: AttrPath,
    pub filter: Option<Filter>,
    pub sub: Option<String>,
}

/// Why a filter or path did not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct FilterError(pub String);

fn err<T>(msg: impl Into<String>) -> Result<T, FilterError> {
    Err(FilterError(msg.into()))
}

/// Parses a complete filter expression.
pub(crate) fn parse(input: &str) -> Result<Filter, FilterError> {
    let tokens = tokenize(input)?;
    if tokens.is_empty() {
        return err("the filter is empty");
    }
    let mut parser = Parser {
        tokens,
        pos: 0,
        connectives: 0,
    };
    let filter = parser.or(0)?;
    match parser.tokens.get(parser.pos) {
        None => Ok(filter),
        Some(tok) => err(format!(
            "unexpected {} after the end of the filter",
            tok.describe()
        )),
    }
}

/// Parses an attribute path such as `userName`, `name.givenName` or
/// `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`.
pub(crate) fn parse_attr_path(word: &str) -> Result<AttrPath, FilterError> {
    let word = word.trim();
    if word.is_empty() {
        return err("an attribute path is empty");
    }
    let mut segments = Vec::new();
    let rest = if strip_prefix_ci(word, "urn:").is_some() {
        urn_split(word, &mut segments)?
    } else {
        word
    };
    if !rest.is_empty() {
        for name in rest.split('.') {
            if !is_attr_name(name) {
                return err(format!("'{word}' is not a valid attribute path"));
            }
            segments.push(name.to_owned());
        }
    }
    if segments.is_empty() {
        return err(format!("'{word}' is not a valid attribute path"));
    }
    if segments.len() > 3 {
        return err(format!("'{word}' is nested too deeply"));
    }
    Ok(AttrPath { segments })
}

/// Splits a URN-prefixed path: pushes the schema URN (unless core) onto `segments` and
/// returns the attribute part (empty when the path is an extension schema itself).
fn urn_split<'a>(word: &'a str, segments: &mut Vec<String>) -> Result<&'a str, FilterError> {
    for urn in CORE_SCHEMAS.iter().chain(EXTENSION_SCHEMAS.iter()) {
        let is_core = CORE_SCHEMAS.contains(urn);
        if word.eq_ignore_ascii_case(urn) {
            if is_core {
                return err(format!("'{word}' is a schema, not an attribute"));
            }
            segments.push((*urn).to_owned());
            return Ok("");
        }
        if let Some(tail) = strip_prefix_ci(word, urn).and_then(|t| t.strip_prefix(':')) {
            if tail.is_empty() {
                return err(format!("'{word}' is not a valid attribute path"));
            }
            if !is_core {
                segments.push((*urn).to_owned());
            }
            return Ok(tail);
        }
    }
    match word.rfind(':') {
        Some(idx) if idx + 1 < word.len() && idx > "urn:".len() => {
            segments.push(word[..idx].to_owned());
            Ok(&word[idx + 1..])
        }
        _ => err(format!("'{word}' is not a valid attribute path")),
    }
}

/// Parses a PATCH `path`: `members`, `name.givenName`, `members[value eq "2819c223"]`,
/// `emails[type eq "work"].value`, or an extension-URN-prefixed attribute.
pub(crate) fn parse_patch_path(input: &str) -> Result<PatchPath, FilterError> {
    let input = input.trim();
    let Some(open) = input.find('[') else {
        return Ok(PatchPath {
            attr: parse_attr_path(input)?,
            filter: None,
            sub: None,
        });
    };
    let close = match input.rfind(']') {
        Some(close) if close > open => close,
        _ => return err(format!("'{input}' has '[' without a matching ']'")),
    };
    let attr = parse_attr_path(&input[..open])?;
    let filter = parse(&input[open + 1..close])?;
    let after = &input[close + 1..];
    let sub = if after.is_empty() {
        None
    } else {
        match after.strip_prefix('.') {
            Some(name) if is_attr_name(name) => Some(name.to_owned()),
            _ => return err(format!("'{input}' has unexpected text after ']'")),
        }
    };
    Ok(PatchPath {
        attr,
        filter: Some(filter),
        sub,
    })
}

/// ATTRNAME (RFC 7644 §3.10): ALPHA *(nameChar), plus `$ref`.
fn is_attr_name(name: &str) -> bool {
    if name == "$ref" {
        return true;
    }
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// `s` without `prefix` when `s` starts with it, ignoring ASCII case.
pub(crate) fn strip_prefix_ci<'a>(s: &'a str, prefix: &str) -> Option<&'a str> {
    let head = s.get(..prefix.len())?;
    if head.eq_ignore_ascii_case(prefix) {
        s.get(prefix.len()..)
    } else {
        None
    }
}

/// The key of `map` equal to `key` ignoring ASCII case (exact match first).
pub(crate) fn key_ci(map: &Map<String, Value>, key: &str) -> Option<String> {
    if map.contains_key(key) {
        return Some(key.to_owned());
    }
    map.keys().find(|k| k.eq_ignore_ascii_case(key)).cloned()
}

/// The value of `map` under `key`, ignoring ASCII case.
pub(crate) fn get_ci<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).or_else(|| {
        map.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v)
    })
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Open,
    Close,
    OpenBracket,
    CloseBracket,
    Str(String),
    Word(String),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Open => "'('".into(),
            Token::Close => "')'".into(),
            Token::OpenBracket => "'['".into(),
            Token::CloseBracket => "']'".into(),
            Token::Str(s) => format!("string {}", Value::String(s.clone())),
            Token::Word(w) => format!("'{w}'"),
        }
    }
}

fn tokenize(input: &str) -> Result<Vec<Token>, FilterError> {
    let mut tokens = Vec::new();
    let mut chars = input.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' | ')' | '[' | ']' => {
                chars.next();
                tokens.push(match c {
                    '(' => Token::Open,
                    ')' => Token::Close,
                    '[' => Token::OpenBracket,
                    _ => Token::CloseBracket,
                });
            }
            '"' => {
                chars.next();
                let mut end = None;
                let mut escaped = false;
                for (i, c) in chars.by_ref() {
                    if escaped {
                        escaped = false;
                    } else if c == '\\' {
                        escaped = true;
                    } else if c == '"' {
                        end = Some(i);
                        break;
                    }
                }
                let Some(end) = end else {
                    return err("a string value has no closing quote");
                };
                let literal = &input[start..=end];
                match serde_json::from_str::<String>(literal) {
                    Ok(s) => tokens.push(Token::Str(s)),
                    Err(_) => return err(format!("{literal} is not a valid JSON string")),
                }
            }
            _ => {
                let mut end = input.len();
                while let Some(&(i, c)) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | '[' | ']' | '"') {
                        end = i;
                        break;
                    }
                    chars.next();
                }
                tokens.push(Token::Word(input[start..end].to_owned()));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    connectives: usize,
}

impl Parser {
    fn next(&mut self) -> Option<Token> {
        let tok = self.tokens.get(self.pos).cloned();
        if tok.is_some() {
            self.pos += 1;
        }
        tok
    }

    /// Consumes `keyword` (`and` / `or`) if it is next, counting connectives.
    fn connective(&mut self, keyword: &str) -> Result<bool, FilterError> {
        let found = matches!(self.tokens.get(self.pos), Some(Token::Word(w)) if w.eq_ignore_ascii_case(keyword));
        if found {
            self.pos += 1;
            self.connectives += 1;
            if self.connectives > MAX_CONNECTIVES {
                return err(format!(
                    "the filter has more than {MAX_CONNECTIVES} and/or conditions"
                ));
            }
        }
        Ok(found)
    }

    fn expect(&mut self, want: &Token) -> Result<(), FilterError> {
        match self.next() {
            Some(tok) if &tok == want => Ok(()),
            Some(tok) => err(format!(
                "expected {} but found {}",
                want.describe(),
                tok.describe()
            )),
            None => err(format!("expected {} but the filter ended", want.describe())),
        }
    }

    fn or(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut left = self.and(depth)?;
        while self.connective("or")? {
            let right = self.and(depth)?;
            left = Filter::Or(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn and(&mut self, depth: usize) -> Result<Filter, FilterError> {
        let mut left = self.unary(depth)?;
        while self.connective("and")? {
            let right = self.unary(depth)?;
            left = Filter::And(Box::new(left), Box::new(right));
        }
        Ok(left)
    }

    fn unary(&mut self, depth: usize) -> Result<Filter, FilterError> {
        if depth >= MAX_DEPTH {
            return err("the filter is nested too deeply");
        }
        match self.next() {
            Some(Token::Open) => {
                let inner = self.or(depth + 1)?;
                self.expect(&Token::Close)?;
                Ok(inner)
            }
            Some(Token::Word(w)) if w.eq_ignore_ascii_case("not") => {
                self.expect(&Token::Open)?;
                let inner = self.or(depth + 1)?;
                self.expect(&Token::Close)?;
                Ok(Filter::Not(Box::new(inner)))
            }
            Some(Token::Word(w)) => self.attr_expr(&w, depth),
            Some(tok) => err(format!(
                "expected an attribute but found {}",
                tok.describe()
            )),
            None => err("expected an attribute but the filter ended"),
        }
    }

    fn attr_expr(&mut self, word: &str, depth: usize) -> Result<Filter, FilterError> {
        let path = parse_attr_path(word).map_err(|e| FilterError(e.0))?;
        let op = match self.next() {
            Some(Token::OpenBracket) => {
                let inner = self.or(depth + 1)?;
                self.expect(&Token::CloseBracket)?;
                return Ok(Filter::ValuePath(path, Box::new(inner)));
            }
            Some(Token::Word(op)) => op,
            Some(tok) => {
                return err(format!(
                    "expected an operator after '{word}' but found {}",
                    tok.describe()
                ));
            }
            None => return err(format!("expected an operator after '{word}'")),
        };
        let op = match op.to_ascii_lowercase().as_str() {
            "pr" => return Ok(Filter::Present(path)),
            "eq" => CompareOp::Eq,
            "ne" => CompareOp::Ne,
            "co" => CompareOp::Co,
            "sw" => CompareOp::Sw,
            "ew" => CompareOp::Ew,
            "gt" => CompareOp::Gt,
            "ge" => CompareOp::Ge,
            "lt" => CompareOp::Lt,
            "le" => CompareOp::Le,
            _ => return err(format!("'{op}' is not a supported filter operator")),
        };
        let value = match self.next() {
            Some(Token::Str(s)) => Value::String(s),
            Some(Token::Word(w)) => literal(&w)?,
            Some(tok) => {
                return err(format!(
                    "expected a value after '{word}' but found {}",
                    tok.describe()
                ));
            }
            None => return err(format!("expected a value after '{word}'")),
        };
        Ok(Filter::Compare(path, op, value))
    }
}

/// `true`, `false`, `null` or a JSON number.
fn literal(word: &str) -> Result<Value, FilterError> {
    match word {
        "true" => return Ok(Value::Bool(true)),
        "false" => return Ok(Value::Bool(false)),
        "null" => return Ok(Value::Null),
        _ => {}
    }
    if word.starts_with(|c: char| c.is_ascii_digit() || c == '-')
        && let Ok(n @ Value::Number(_)) = serde_json::from_str::<Value>(word)
    {
        return Ok(n);
    }
    err(format!(
        "{word} is not a valid value (strings must be in double quotes)"
    ))
}

impl Filter {
    /// Whether the resource (or, inside a value filter, one value of a multi-valued
    /// attribute) matches.
    pub(crate) fn matches(&self, obj: &Map<String, Value>) -> bool {
        match self {
            Filter::And(a, b) => a.matches(obj) && b.matches(obj),
            Filter::Or(a, b) => a.matches(obj) || b.matches(obj),
            Filter::Not(f) => !f.matches(obj),
            Filter::Present(path) => resolve(obj, &path.segments).iter().any(|v| match v {
                Value::Null => false,
                Value::String(s) => !s.is_empty(),
                Value::Object(m) => !m.is_empty(),
                _ => true,
            }),
            Filter::ValuePath(path, inner) => resolve(obj, &path.segments)
                .iter()
                .any(|v| v.as_object().is_some_and(|o| inner.matches(o))),
            Filter::Compare(path, CompareOp::Ne, value) => {
                !Filter::Compare(path.clone(), CompareOp::Eq, value.clone()).matches(obj)
            }
            Filter::Compare(path, op, value) => {
                let leaves = resolve(obj, &path.segments);
                if value.is_null() {
                    return *op == CompareOp::Eq && leaves.iter().all(|v| v.is_null());
                }
                let case_exact = is_case_exact(&path.segments);
                leaves.iter().any(|leaf| {
                    let leaf = match leaf {
                        Value::Object(m) => get_ci(m, "value").unwrap_or(&Value::Null),
                        other => other,
                    };
                    compare(leaf, *op, value, case_exact)
                })
            }
        }
    }
}

/// `id` and `externalId` compare case-sensitively (RFC 7643 `caseExact`); all else not.
fn is_case_exact(segments: &[String]) -> bool {
    matches!(segments, [one] if one.eq_ignore_ascii_case("id") || one.eq_ignore_ascii_case("externalId"))
}

/// Every value reached by walking `segments` from `obj`, with arrays flattened.
fn resolve<'a>(obj: &'a Map<String, Value>, segments: &[String]) -> Vec<&'a Value> {
    let Some((first, rest)) = segments.split_first() else {
        return Vec::new();
    };
    let mut current: Vec<&Value> = get_ci(obj, first).into_iter().collect();
    for segment in rest {
        current = flatten(current)
            .into_iter()
            .filter_map(|v| v.as_object().and_then(|m| get_ci(m, segment)))
            .collect();
    }
    flatten(current)
}

fn flatten(values: Vec<&Value>) -> Vec<&Value> {
    values
        .into_iter()
        .flat_map(|v| match v {
            Value::Array(items) => items.iter().collect(),
            other => vec![other],
        })
        .collect()
}

fn compare(left: &Value, op: CompareOp, right: &Value, case_exact: bool) -> bool {
    match (left, right) {
        (Value::String(a), Value::String(b)) => {
            let (a, b) = if case_exact {
                (a.clone(), b.clone())
            } else {
                (a.to_lowercase(), b.to_lowercase())
            };
            match op {
                CompareOp::Eq => a == b,
                CompareOp::Ne => a != b,
                CompareOp::Co => a.contains(&b),
                CompareOp::Sw => a.starts_with(&b),
                CompareOp::Ew => a.ends_with(&b),
                CompareOp::Gt => a > b,
                CompareOp::Ge => a >= b,
                CompareOp::Lt => a < b,
                CompareOp::Le => a <= b,
            }
        }
        (Value::Bool(a), Value::Bool(b)) => match op {
            CompareOp::Eq => a == b,
            CompareOp::Ne => a != b,
            _ => false,
        },
        (Value::Number(a), Value::Number(b)) => {
            let (Some(a), Some(b)) = (a.as_f64(), b.as_f64()) else {
                return false;
            };
            compare_numbers(a, op, b)
        }
        _ => false,
    }
}

// A filter's `eq` and `ne` on numbers mean exact equality, not equality within an epsilon.
#[allow(clippy::float_cmp)]
fn compare_numbers(a: f64, op: CompareOp, b: f64) -> bool {
    match op {
        CompareOp::Eq => a == b,
        CompareOp::Ne => a != b,
        CompareOp::Gt => a > b,
        CompareOp::Ge => a >= b,
        CompareOp::Lt => a < b,
        CompareOp::Le => a <= b,
        CompareOp::Co | CompareOp::Sw | CompareOp::Ew => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::obj;
    use serde_json::json;

    fn user() -> Map<String, Value> {
        obj(json!({
            "id": "abc-123",
            "externalId": "Ext-1",
            "userName": "Alice@Example.com",
            "displayName": "Alice Liddell",
            "active": true,
            "name": {"givenName": "Alice", "familyName": "Liddell"},
            "emails": [
                {"value": "alice@example.com", "type": "work", "primary": true},
                {"value": "alice@home.example", "type": "home"}
            ],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {
                "department": "Engineering",
                "manager": {"value": "boss-1"}
            }
        }))
    }

    fn matches(filter: &str) -> bool {
        match parse(filter) {
            Ok(f) => f.matches(&user()),
            Err(e) => panic!("{filter}: {e}"),
        }
    }

    #[test]
    fn eq_on_username_is_case_insensitive_in_name_operator_and_value() {
        assert!(matches(r#"userName eq "alice@example.com""#));
        assert!(matches(r#"USERNAME EQ "ALICE@EXAMPLE.COM""#));
        assert!(!matches(r#"userName eq "bob@example.com""#));
    }

    #[test]
    fn id_and_external_id_are_case_exact() {
        assert!(matches(r#"id eq "abc-123""#));
        assert!(!matches(r#"id eq "ABC-123""#));
        assert!(matches(r#"externalId eq "Ext-1""#));
        assert!(!matches(r#"externalId eq "ext-1""#));
    }

    #[test]
    fn emails_match_by_value_with_or_without_sub_attribute() {
        assert!(matches(r#"emails.value eq "alice@home.example""#));
        assert!(matches(r#"emails eq "ALICE@example.com""#));
        assert!(!matches(r#"emails eq "nobody@example.com""#));
        assert!(matches(r#"emails[type eq "work" and primary eq true]"#));
        assert!(!matches(r#"emails[type eq "other"]"#));
    }

    #[test]
    fn members_value_eq() {
        let group = obj(json!({"displayName": "g", "members": [{"value": "u1"}, {"value": "u2"}]}));
        let f = parse(r#"members.value eq "u2""#).expect("parses");
        assert!(f.matches(&group));
        let f = parse(r#"members.value eq "u3""#).expect("parses");
        assert!(!f.matches(&group));
    }

    #[test]
    fn logical_operators_and_grouping() {
        assert!(matches(
            r#"userName sw "alice" and (displayName co "liddell" or active eq false)"#
        ));
        assert!(!matches(r"not (active eq true)"));
        assert!(matches(r"active ne false"));
        assert!(matches(r"title pr or name.givenName pr"));
        assert!(!matches(r"title pr"));
        assert!(matches(r#"userName ew ".COM""#));
    }

    #[test]
    fn extension_attributes_by_urn() {
        assert!(matches(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "engineering""#
        ));
        assert!(matches(
            r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value eq "boss-1""#
        ));
        assert!(matches(
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "alice@example.com""#
        ));
    }

    #[test]
    fn string_escapes_are_json() {
        let f = parse(r#"displayName eq "say \"hi\"""#).expect("parses");
        let o = obj(json!({"displayName": "say \"hi\""}));
        assert!(f.matches(&o));
    }

    #[test]
    fn invalid_filters_are_errors_not_panics() {
        for bad in [
            "",
            "userName",
            "userName eq",
            "userName eq alice",
            "userName foo \"x\"",
            "userName eq \"x",
            "(userName eq \"x\"",
            "userName eq \"x\")",
            "userName eq \"x\" and",
            "not userName eq \"x\"",
            "emails[type eq \"work\"",
            "1abc eq \"x\"",
            "urn: eq \"x\"",
            "urn:ietf:params:scim:schemas:core:2.0:User eq \"x\"",
            "ü eq \"x\"",
            "\"x\" eq userName",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} should not parse");
        }
        let deep = format!("{}userName pr{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(parse(&deep).is_err());
        let long = vec!["userName pr"; 10_000].join(" and ");
        assert!(parse(&long).is_err());
        let fine = vec!["userName pr"; 50].join(" or ");
        assert!(parse(&fine).is_ok());
    }

    #[test]
    fn patch_paths() {
        let p = parse_patch_path("name.givenName").expect("parses");
        assert_eq!(p.attr.segments, vec!["name", "givenName"]);
        assert!(p.filter.is_none());

        let p = parse_patch_path(r#"members[value eq "2819c223"]"#).expect("parses");
        assert_eq!(p.attr.segments, vec!["members"]);
        assert!(p.filter.is_some());
        assert_eq!(p.sub, None);

        let p = parse_patch_path(r#"emails[type eq "work"].value"#).expect("parses");
        assert_eq!(p.attr.segments, vec!["emails"]);
        assert_eq!(p.sub.as_deref(), Some("value"));

        let p = parse_patch_path(
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
        )
        .expect("parses");
        assert_eq!(
            p.attr.segments,
            vec![
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
                "department"
            ]
        );

        let p = parse_patch_path("urn:ietf:params:scim:schemas:extension:enterprise:2.0:user")
            .expect("parses");
        assert_eq!(
            p.attr.segments,
            vec!["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]
        );

        let p = parse_patch_path("urn:example:custom:1.0:User:badge").expect("parses");
        assert_eq!(
            p.attr.segments,
            vec!["urn:example:custom:1.0:User", "badge"]
        );

        for bad in [
            "",
            "members[",
            "members]x[",
            "emails[type eq \"work\"]value",
            "a..b",
        ] {
            assert!(parse_patch_path(bad).is_err(), "{bad:?} should not parse");
        }
    }
}
