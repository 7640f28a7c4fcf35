//! The vault envelope parser: never panics; whatever parses binds its own header bytes, opens
//! only with the right key, and can be written back by tokctl's own header writer.
#![no_main]
use libfuzzer_sys::fuzz_target;
use tokctl::secret::Key;
use tokctl::vault::{Envelope, Payload, seal};

fuzz_target!(|data: &[u8]| {
    if let Ok(env) = Envelope::parse(data) {
        assert!(data.starts_with(env.header_bytes()), "the bound header must be the file's own bytes");
        let mut header = env.header.clone();
        // A key the fuzzer cannot know must never open it.
        assert!(env.open(&Key::from_bytes([7u8; 32])).is_err());
        // Whatever the parser accepts, the writer can write (it panics on a value it cannot),
        // and what it writes parses and opens again.
        let key = Key::from_bytes([9u8; 32]);
        let again = Envelope::parse(&seal(&mut header, &key, &Payload::default())).expect("a re-sealed vault parses");
        assert_eq!(again.header, header);
        assert!(again.open(&key).is_ok());
    }
});
