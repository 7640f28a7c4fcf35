//! The `.tokctl.toml` reader: never panics on any text.
#![no_main]
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = tokctl::project::parse(text, std::path::Path::new(".tokctl.toml"));
    }
});
