//! The CI recipes in examples/ci are valid YAML and every scimform command line in them
//! parses with the real command-line definition (so they use only flags that exist).

use std::path::Path;

use clap::Parser;
use scimform::cli::Cli;
use serde_json::Value;

/// Every string in a YAML document.
fn strings(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::String(s) => out.push(s.clone()),
        Value::Array(items) => items.iter().for_each(|v| strings(v, out)),
        Value::Object(map) => map.values().for_each(|v| strings(v, out)),
        _ => {}
    }
}

/// The scimform command lines in a shell snippet, as argument lists (up to a
/// redirection or pipe).
fn command_lines(script: &str) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    for segment in script.split(['\n', ';']).flat_map(|s| s.split("&&")) {
        let segment = segment.trim().trim_start_matches("- ").trim();
        if !segment.starts_with("scimform ") {
            continue;
        }
        let words: Vec<String> = segment
            .split_whitespace()
            .take_while(|w| !w.starts_with('>') && !w.starts_with("2>") && *w != "|")
            .map(|w| w.trim_matches('"').to_string())
            .collect();
        found.push(words);
    }
    found
}

fn check(file: &str) -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("examples/ci")
        .join(file);
    let text = std::fs::read_to_string(&path).expect("the recipe");
    let document: Value =
        serde_saphyr::from_str(&text).unwrap_or_else(|e| panic!("{file} is not valid YAML: {e}"));
    let mut all = Vec::new();
    strings(&document, &mut all);
    let mut commands = Vec::new();
    for script in &all {
        for words in command_lines(script) {
            if let Err(error) = Cli::try_parse_from(&words) {
                panic!("{file}: `{}` does not parse:\n{error}", words.join(" "));
            }
            commands.push(words[1].clone());
        }
    }
    commands
}

#[test]
fn the_github_actions_recipe_uses_only_real_commands() {
    let commands = check("github-actions.yml");
    assert_eq!(commands, ["validate", "plan", "apply"], "{commands:?}");
}

#[test]
fn the_gitlab_recipe_uses_only_real_commands() {
    let commands = check("gitlab-ci.yml");
    assert_eq!(commands, ["validate", "plan", "apply"], "{commands:?}");
}

#[test]
fn a_wrong_flag_would_be_caught() {
    let words = command_lines("scimform plan --no-such-flag > plan.md");
    assert!(Cli::try_parse_from(&words[0]).is_err());
}
