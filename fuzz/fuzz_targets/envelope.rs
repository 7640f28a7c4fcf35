//! The vault envelope parser: never panics; whatever parses opens only with the right key and
//! re-encodes to the same header bytes.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tokctl::secret::Key;
use tokctl::vault::Envelope;

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = Envelope::parse(data) {
        let head = toml::to_string(&env.header).expect("a parsed header serialises");
        assert!(data.starts_with(head.as_bytes()), "parsed header must be the file's own bytes");
        // A key the fuzzer cannot know must never open it.
        assert!(env.open(&Key::from_bytes([7u8; 32])).is_err());
    }
});
