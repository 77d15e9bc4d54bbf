//! Files in an output directory that an export did not write but that its root file's
//! `include:` patterns load: an earlier export's layout (`users/unassigned.yaml` from
//! before that list was split, the file of a department that is gone), which would
//! declare its users and groups a second time. Export warns about them; it removes
//! nothing it did not write. Only the patterns export writes are understood: names, and
//! `*` or `*.yaml` for the entries of a directory, hidden ones aside.

use std::path::Path;

/// Files in `out_dir` that the include `patterns` load but that are not among `written`
/// — an earlier export's layout (`users/unassigned.yaml` before the list was split, a
/// department that is gone), with the pattern that loads each. Only the patterns export
/// writes are understood: names, and `*.yaml` for any file of a directory.
pub(super) fn leftovers(
    out_dir: &Path,
    patterns: &[&str],
    written: &[String],
) -> Vec<(String, String)> {
    let mut found = Vec::new();
    for pattern in patterns {
        let mut matched = vec![String::new()];
        for segment in pattern.split('/') {
            matched = matched
                .iter()
                .flat_map(|at| matching(out_dir, at, segment))
                .collect();
        }
        for rel in matched {
            if !written.contains(&rel) && !found.iter().any(|(r, _)| *r == rel) {
                found.push((rel, (*pattern).to_string()));
            }
        }
    }
    found.sort();
    found
}

/// The entries of directory `at` (relative to `out_dir`) that `segment` names: itself,
/// or for `*.yaml` every name that ends so and is not hidden.
fn matching(out_dir: &Path, at: &str, segment: &str) -> Vec<String> {
    let join = |name: &str| {
        if at.is_empty() {
            name.to_string()
        } else {
            format!("{at}/{name}")
        }
    };
    let Some(suffix) = segment.strip_prefix('*') else {
        let rel = join(segment);
        return if out_dir.join(&rel).exists() {
            vec![rel]
        } else {
            Vec::new()
        };
    };
    let Ok(entries) = std::fs::read_dir(out_dir.join(at)) else {
        return Vec::new();
    };
    let mut names: Vec<String> = entries
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|name| !name.starts_with('.') && name.ends_with(suffix))
        .map(|name| join(&name))
        .collect();
    names.sort();
    names
}
