//! `export` of a directory too large for one file of each kind round-trips: with the
//! loader's size limit lowered (`SCIMFORM_MAX_FILE_BYTES`, so that a directory a test can
//! afford is "too large"), both layouts split users and groups into files under the
//! limit, the export validates under that same limit, and a plan of it against the
//! directory it came from is empty.

use std::path::Path;
use std::process::{Command, Output};

use crate::support::dev_server::DevServerProcess;

/// The lowered limit of one configuration file.
const LIMIT: u64 = 256 * 1024;

/// Users without a department (so `--split team` puts them all in one department's
/// list), and groups of 20 members: about 2 MB of users and 1.3 MB of groups.
const SIZE: &str = "10000,2000,40000";

fn scimform(server: &DevServerProcess, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_scimform"))
        .args(args)
        .env("SCIMFORM_URL", &server.base_url)
        .env("SCIMFORM_TOKEN", &server.token)
        .env("SCIMFORM_MAX_FILE_BYTES", LIMIT.to_string())
        .env("NO_COLOR", "1")
        .env("COLUMNS", "250")
        .output()
        .expect("running the scimform binary")
}

fn describe(out: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
        out.status.code(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Every file under `dir` (relative path, size), sorted.
fn files(dir: &Path) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(at) = stack.pop() {
        for entry in std::fs::read_dir(&at).expect("read dir").flatten() {
            let path = entry.path();
            let meta = entry.metadata().expect("metadata");
            if meta.is_dir() {
                stack.push(path);
            } else {
                let rel = path.strip_prefix(dir).expect("inside").to_string_lossy();
                out.push((rel.replace('\\', "/"), meta.len()));
            }
        }
    }
    out.sort();
    out
}

#[test]
fn an_export_too_large_for_one_file_is_split_under_the_limit_and_round_trips() {
    let server = DevServerProcess::start_with(&["--seed-synthetic", SIZE, "--seed", "1"]);
    let dir = tempfile::tempdir().expect("temp dir");
    for (split, users_dir) in [("none", "users/"), ("team", "users/unassigned/")] {
        let out = dir.path().join(split);
        let out_arg = out.to_string_lossy().to_string();
        let export = scimform(
            &server,
            &["export", "--out-dir", &out_arg, "--split", split],
        );
        assert_eq!(export.status.code(), Some(0), "{}", describe(&export));

        let validate = scimform(&server, &["validate", "-C", &out_arg]);
        assert_eq!(
            validate.status.code(),
            Some(0),
            "--split {split}: the export validates under the lowered limit: {}",
            describe(&validate)
        );
        let written = files(&out);
        for (path, size) in &written {
            assert!(*size <= LIMIT, "--split {split}: {path} is {size} bytes");
        }
        let count = |dir: &str| written.iter().filter(|(p, _)| p.starts_with(dir)).count();
        assert!(
            count(users_dir) > 1 && count("groups/") > 1,
            "--split {split}: users and groups are each in several files: {written:?}"
        );

        let stdout = String::from_utf8_lossy(&export.stdout);
        assert!(
            stdout.contains("Exported 10000 users and 2000 groups")
                && stdout.contains("to stay under the 256 KiB limit"),
            "the summary says how the files were split: {stdout}"
        );

        let plan = scimform(&server, &["plan", "--detailed-exitcode", "-C", &out_arg]);
        assert_eq!(
            plan.status.code(),
            Some(0),
            "--split {split}: a plan of the export is empty: {}",
            describe(&plan)
        );
    }
}
