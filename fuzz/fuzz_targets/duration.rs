//! The duration and date parser: never panics; a parsed expiry lies in the future.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tokctl::when::{Expiry, parse_expiry};

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let now = 1_800_000_000;
        match parse_expiry(text, now) {
            Ok(Expiry::After(secs)) => assert!(secs > 0),
            Ok(Expiry::At(t)) => assert!(t > now),
            _ => {}
        }
    }
});
