//! `scimform demo`, as the README's first command: runs from any directory, exits 0, and
//! shows a plan with creates, updates and member changes, the apply results, and a final
//! "No changes".

use std::process::Command;

#[test]
fn demo_runs_the_whole_cycle_from_any_directory() {
    let elsewhere = tempfile::tempdir().expect("temp dir");
    let output = Command::new(env!("CARGO_BIN_EXE_scimform"))
        .arg("demo")
        .current_dir(elsewhere.path())
        .env("NO_COLOR", "1")
        .output()
        .expect("running scimform demo");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "demo failed:\n{stdout}\n{stderr}");
    for expected in [
        "+ user elif.yilmaz@acme.test",
        r#"~ displayName = "Benjamin Carter" -> "Ben Carter""#,
        r#"~ title = "Data Analyst" -> "Data Engineer""#,
        "~ active = false -> true",
        "- member temp.contractor@acme.test",
        "+ member farid.haddad@acme.test  (created by this plan)",
        "+ group sre-oncall",
        "Plan: 5 to create, 0 to adopt, 5 to update, 0 to replace, 0 to deactivate, 0 to delete; 9 membership changes (1 removal).",
        "Apply complete! 10 changes applied.",
    ] {
        assert!(
            stdout.contains(expected),
            "demo output lacks `{expected}`:\n{stdout}"
        );
    }
    let last_plan = stdout.rsplit("4/4").next().unwrap_or_default();
    assert!(
        last_plan.contains("No changes. The directory matches the configuration."),
        "the final plan is not empty:\n{stdout}"
    );
}
