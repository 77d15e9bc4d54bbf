//! Tests of the YAML reader: the tree and its positions, the core schema, aliases and
//! merge keys, the limits, and located syntax errors.

use std::borrow::Cow;
use std::fmt::Write as _;

use super::*;
use crate::config::origin::SourceFile;

fn tree(text: &str) -> Result<Option<String>, String> {
    let file = SourceFile::new("t.yaml", text);
    match read(&file) {
        Ok(node) => Ok(node.map(|n| show(&n))),
        Err(e) => Err(format!(
            "{} @{}",
            e.message,
            e.location().unwrap_or_default()
        )),
    }
}

fn show(node: &Node<'_>) -> String {
    match &node.value {
        Value::Scalar(s) if s.plain => s.text.to_string(),
        Value::Scalar(s) => format!("{:?}", s.text),
        Value::Seq(items) => {
            let items: Vec<String> = items.iter().map(show).collect();
            format!("[{}]", items.join(","))
        }
        Value::Map(entries) => {
            let entries: Vec<String> = entries
                .iter()
                .map(|e| format!("{}:{}", e.key, show(&e.value)))
                .collect();
            format!("{{{}}}", entries.join(","))
        }
    }
}

#[test]
fn builds_a_tree_with_positions() {
    let file = SourceFile::new("t.yaml", "a:\n  - x\n  - 'y'\nb: {c: 1}\n");
    let Ok(Some(root)) = read(&file) else {
        panic!("expected a tree")
    };
    assert_eq!(show(&root), "{a:[x,\"y\"],b:{c:1}}");
    let Value::Map(entries) = &root.value else {
        panic!("a map")
    };
    assert_eq!((entries[1].key_loc.line, entries[1].key_loc.column), (4, 1));
    let Value::Seq(items) = &entries[0].value.value else {
        panic!("a seq")
    };
    assert_eq!(
        (items[1].loc.line, items[1].loc.column, items[1].loc.len),
        (3, 5, 3)
    );
}

#[test]
fn empty_and_comment_only_files_have_no_root() {
    assert_eq!(tree(""), Ok(None));
    assert_eq!(tree("# nothing\n"), Ok(None));
    assert_eq!(tree("---\n...\n"), Ok(None));
}

#[test]
fn aliases_and_merge_keys_expand() {
    assert_eq!(
        tree("a: &x {k: 1, j: 2}\nb:\n  <<: *x\n  k: 3\n"),
        Ok(Some("{a:{k:1,j:2},b:{k:3,j:2}}".into()))
    );
    assert_eq!(
        tree("a: &x [1]\nb: [*x, *x]\n"),
        Ok(Some("{a:[1],b:[[1],[1]]}".into()))
    );
}

#[test]
fn an_alias_bomb_fails_fast() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..10 {
        let refs = vec![format!("*a{}", level - 1); 10].join(", ");
        let _ = writeln!(text, "a{level}: &a{level} [{refs}]");
    }
    let started = std::time::Instant::now();
    let result = tree(&text);
    assert!(started.elapsed() < std::time::Duration::from_secs(1));
    let error = result.expect_err("an alias bomb is refused");
    assert!(error.contains("alias bomb"), "{error}");
}

#[test]
fn deep_nesting_is_refused() {
    let text = format!("{}{}", "[".repeat(200), "]".repeat(200));
    assert!(tree(&text).is_err());
    let mut nested = String::from("a: &a [1]\n");
    for level in 0..100 {
        let _ = writeln!(
            nested,
            "b{level}: &b{level} [[[*{}]]]",
            if level == 0 {
                "a".to_string()
            } else {
                format!("b{}", level - 1)
            }
        );
    }
    let error = tree(&nested).expect_err("alias nesting is bounded");
    assert!(error.contains("levels deep"), "{error}");
}

#[test]
fn a_second_document_and_unknown_tags_are_errors() {
    let error = tree("a: 1\n---\nb: 2\n").expect_err("two documents");
    assert!(
        error.contains("second YAML document @t.yaml:3:1"),
        "{error}"
    );
    let error = tree("a: !secret x\n").expect_err("a custom tag");
    assert!(error.contains("`!secret`"), "{error}");
    assert_eq!(tree("a: !!str 12\n"), Ok(Some("{a:\"12\"}".into())));
}

#[test]
fn syntax_errors_are_located() {
    let error = tree("a:\n\tb: 1\n").expect_err("a tab");
    assert!(error.ends_with("@t.yaml:2:2"), "{error}");
    assert!(tree("a: [1, 2\nb: 3\n").is_err());
    assert!(tree("[a]: 1\n").is_err());
}

#[test]
fn core_schema_resolution() {
    let plain = |t: &'static str| Scalar {
        text: Cow::Borrowed(t),
        plain: true,
    };
    assert_eq!(plain("~").resolve(), Resolved::Null);
    assert_eq!(plain("True").resolve(), Resolved::Bool(true));
    assert_eq!(plain("yes").resolve(), Resolved::Str("yes"));
    assert_eq!(plain("0x1F").resolve(), Resolved::Int(31));
    assert_eq!(plain("-12").resolve(), Resolved::Int(-12));
    assert_eq!(plain("1.5e3").resolve(), Resolved::Float(1500.0));
    assert_eq!(plain(".5").resolve(), Resolved::Float(0.5));
    assert_eq!(plain("1.2.3").resolve(), Resolved::Str("1.2.3"));
    assert_eq!(
        plain("99999999999999999999").resolve(),
        Resolved::Float(1e20)
    );
    assert_eq!(plain("e5").resolve(), Resolved::Str("e5"));
    let quoted = Scalar {
        text: Cow::Borrowed("true"),
        plain: false,
    };
    assert_eq!(quoted.resolve(), Resolved::Str("true"));
}
