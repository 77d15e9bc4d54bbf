//! The committed JSON Schemas must match the ones the code generates (check-or-write:
//! `UPDATE_SCHEMAS=1 cargo test schema` rewrites them after a change of the types), and
//! a real plan file must validate against the plan schema.

use std::path::Path;

fn check_or_write(file: &str, generated: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("schema")
        .join(file);
    if std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| v == "1") {
        std::fs::write(&path, generated).expect("writing the schema");
        return;
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/{file} is out of date: run `UPDATE_SCHEMAS=1 cargo test schema` and commit the result"
    );
}

#[test]
fn committed_config_schema_is_current() {
    check_or_write("scimform.schema.json", &scimform::config::json_schema());
}

#[test]
fn committed_plan_schema_is_current() {
    check_or_write("plan.schema.json", &scimform::plan::json_schema());
}

/// A plan with every kind of change, as `plan --out` writes it, against the committed
/// schema, with a JSON Schema validator.
#[test]
fn a_plan_file_validates_against_its_schema() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("schema/plan.schema.json");
    let schema: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("the plan schema"))
            .expect("the schema is JSON");
    let validator = jsonschema::validator_for(&schema).expect("a valid schema");
    let plan: serde_json::Value =
        serde_json::from_str(&crate::support::plans::rich_plan().to_json()).expect("JSON");
    let errors: Vec<String> = validator
        .iter_errors(&plan)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // And the schema is not vacuous: an unknown action is refused.
    let mut broken = plan.clone();
    broken["changes"][0]["action"] = serde_json::json!("explode");
    assert!(!validator.is_valid(&broken));
}
