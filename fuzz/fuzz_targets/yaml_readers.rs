//! The simple block YAML reader agrees with granit: whatever it accepts, granit reads to
//! the same tree with the same positions (`scimform::config::simple_reader_agrees_with_granit`
//! panics otherwise). The same property as the simple reader's unit tests, under
//! libFuzzer's coverage guidance; seed it with `fuzz/seeds/config_load`.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        scimform::config::simple_reader_agrees_with_granit(text);
    }
});
