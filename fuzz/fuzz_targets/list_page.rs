//! The list-page and resource parsers are total: any bytes read as a `ListResponse` with
//! every reader scimform uses give a page or an error, and every resource a page keeps
//! reads back as a JSON object — never a panic. The same property as
//! `tests/it/live_fuzz.rs`, under libFuzzer's coverage guidance.

#![no_main]

use libfuzzer_sys::fuzz_target;
use scimform::live::{GroupReader, UserReader};
use scimform::scim::{SlimResource, parse_with};

fuzz_target!(|data: &[u8]| {
    if let Ok(page) = parse_with(data, &UserReader) {
        for user in &page.resources {
            assert!(user.resource().is_object());
        }
    }
    if let Ok(page) = parse_with(data, &GroupReader) {
        for group in &page.resources {
            assert!(group.resource().is_object());
            let _ = group.members.iter().count();
        }
    }
    let _ = parse_with(data, &SlimResource);
});
