//! The committed JSON Schema must match the one the code generates. Run with
//! `UPDATE_SCHEMAS=1` to rewrite it after changing the configuration types.

#[test]
fn committed_config_schema_is_current() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema/scimform.schema.json");
    let generated = scimform::config::json_schema();
    if std::env::var_os("UPDATE_SCHEMAS").is_some_and(|v| v == "1") {
        std::fs::write(path, &generated).expect("writing the schema");
        return;
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/scimform.schema.json is out of date: run `UPDATE_SCHEMAS=1 cargo test --test schema` and commit the result"
    );
}
