//! Include patterns that match something that is not a file — a symbolic link to
//! nothing, a symbolic link loop, a FIFO — are errors that name the path, not files
//! silently left out (a silently skipped file is a silently missing part of the
//! directory, and a FIFO read would hang).

#![cfg(unix)]

use std::path::Path;
use std::process::Command;

use scimform::config::{ConfigErrorKind, load_dir};

fn write(dir: &Path, rel: &str, text: &str) {
    let path = dir.join(rel);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

fn fifo(path: &Path) {
    let status = Command::new("mkfifo")
        .arg(path)
        .status()
        .expect("run mkfifo");
    assert!(status.success(), "mkfifo {}", path.display());
}

#[test]
fn links_to_nothing_link_loops_and_fifos_are_errors_that_name_the_path() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "scimform.yaml", "include: [\"users/*.yaml\"]\n");
    write(root, "users/a.yaml", "users:\n  - userName: a@x.test\n");
    std::os::unix::fs::symlink(
        root.join("users/gone.txt"),
        root.join("users/dangling.yaml"),
    )
    .expect("symlink");
    std::os::unix::fs::symlink("loop.yaml", root.join("users/loop.yaml")).expect("symlink");
    fifo(&root.join("users/pipe.yaml"));

    let Err(errors) = load_dir(root) else {
        panic!("the configuration was accepted with three unreadable includes")
    };
    let found: Vec<(ConfigErrorKind, String)> = errors
        .errors
        .iter()
        .map(|e| (e.kind, e.message.clone()))
        .collect();
    assert_eq!(found.len(), 3, "{found:#?}");
    for (kind, _) in &found {
        assert_eq!(*kind, ConfigErrorKind::IncludeNotAFile);
    }
    let messages: Vec<&str> = found.iter().map(|(_, m)| m.as_str()).collect();
    assert!(
        messages[0].contains("users/dangling.yaml") && messages[0].contains("points to nothing"),
        "{messages:#?}"
    );
    assert!(
        messages[1].contains("users/loop.yaml") && messages[1].contains("cannot be followed"),
        "{messages:#?}"
    );
    assert!(
        messages[2].contains("users/pipe.yaml") && messages[2].contains("FIFO"),
        "{messages:#?}"
    );
    for error in &errors.errors {
        assert_eq!(
            error.location().as_deref(),
            Some(&*format!("{}:1:11", root.join("scimform.yaml").display()))
        );
    }
}

#[test]
fn a_pattern_that_names_a_fifo_says_so() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    write(root, "scimform.yaml", "include: [users.yaml]\n");
    fifo(&root.join("users.yaml"));
    let Err(errors) = load_dir(root) else {
        panic!("a FIFO was included")
    };
    let kinds: Vec<ConfigErrorKind> = errors.errors.iter().map(|e| e.kind).collect();
    assert_eq!(
        kinds,
        [ConfigErrorKind::IncludeNotAFile],
        "{:?}",
        errors.errors
    );
    assert!(errors.errors[0].message.contains("users.yaml"));
}
