//! The configuration loader is total: any bytes load to a model or to located errors,
//! and the errors render (without colour, at a fixed width) — never a panic, never a
//! hang. The same property as `tests/it/config_fuzz.rs` and `config_proptest.rs`, under
//! libFuzzer's coverage guidance.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Err(errors) = scimform::config::load_str("scimform.yaml", text) {
        let rendered = scimform::cli::render_diagnostic(&errors, false, 100);
        assert!(!rendered.is_empty());
    }
});
