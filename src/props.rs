//! Property tests for everything that parses untrusted input, and for the masker.
//! The fuzz targets in `fuzz/` drive the same entry points for longer.

use proptest::prelude::*;

use crate::mask::Masker;
use crate::secret::{Key, Secret};
use crate::vault::{self, Envelope, Header, Kind, Payload, Record, VaultKind};

fn sealed_vault() -> (Key, Vec<u8>) {
    let key = Key::random();
    let mut h = Header::new(VaultKind::Personal, &key);
    (key.clone(), vault::seal(&mut h, &key, &Payload::default()))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn envelope_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let _ = Envelope::parse(&bytes);
    }

    #[test]
    fn a_changed_vault_never_opens_to_records(pos in any::<prop::sample::Index>(), bit in 0u8..8) {
        let (key, mut bytes) = sealed_vault();
        let i = pos.index(bytes.len());
        bytes[i] ^= 1 << bit;
        let opened = Envelope::parse(&bytes).and_then(|e| e.open(&key));
        prop_assert!(opened.is_err());
    }

    #[test]
    fn a_sealed_vault_parses_and_opens_to_exactly_what_was_sealed(
        key in any::<[u8; 32]>(),
        bundle in any::<bool>(),
        records in proptest::collection::vec(
            (
                "[a-z][a-z0-9-]{0,20}",
                "[A-Z_]{1,12}",
                proptest::collection::vec("[a-z:]{1,8}", 0..3),
                any::<i64>(),
                proptest::option::of(any::<i64>()),
                ".{0,40}",
                proptest::option::of(".{1,60}"),
            ),
            0..5,
        ),
    ) {
        let key = Key::from_bytes(key);
        let mut header = Header::new(if bundle { VaultKind::Bundle } else { VaultKind::Personal }, &key);
        let mut payload = Payload::default();
        for (i, (name, env, scopes, created, expires, note, secret)) in records.into_iter().enumerate() {
            let mut r = Record {
                id: format!("t_{i}"),
                name,
                kind: if i % 2 == 0 { Kind::Minted } else { Kind::Imported },
                env,
                scopes,
                created_at: created,
                updated_at: created,
                expires_at: expires,
                lifetime: expires.map(|e| e.wrapping_sub(created)),
                last_used_at: None,
                revoked_at: secret.is_none().then_some(created),
                note,
                prefix: None,
                secret: None,
                hash: [0; 32],
                fingerprint: String::new(),
                secret_set_at: created,
                rotate_every: expires.map(|e| e.wrapping_sub(created).wrapping_abs() % 1_000_000),
                username: None,
                hosts: Vec::new(),
                provider: None,
                provider_url: None,
                on_rotate: None,
                on_revoke: None,
                on_inspect: None,
                inspected_at: None,
                provider_scopes: None,
                provider_last_used_at: None,
                dead_at_provider: None,
                rotation_pending: None,
            };
            if let Some(s) = secret {
                r.set_secret(Secret::new(s), created);
            }
            payload.records.push(r);
        }
        let bytes = vault::seal(&mut header, &key, &payload);
        let env = Envelope::parse(&bytes).unwrap();
        // The header reads back as written, and its exact bytes are what the ciphertext binds.
        prop_assert_eq!(&env.header, &header);
        prop_assert!(bytes[env.header_bytes().len()..].starts_with(b"\n[sealed]\n"));
        // The payload opens to the same records, byte for byte, and the same log key.
        let opened = env.open(&key).unwrap();
        prop_assert_eq!(opened.log_key, payload.log_key);
        let enc = |r: &Record| postcard::to_stdvec(r).unwrap();
        prop_assert_eq!(
            opened.records.iter().map(enc).collect::<Vec<_>>(),
            payload.records.iter().map(enc).collect::<Vec<_>>()
        );
    }

    #[test]
    fn dotenv_parser_never_panics(text in ".{0,400}") {
        let _ = crate::dotenv::parse(&text);
    }

    #[test]
    fn dotenv_quoting_round_trips(value in "[^\u{0}]{1,80}") {
        let line = format!("A={}\n", crate::commands::env::dotenv_quote(&value));
        let parsed = crate::dotenv::parse(&line).unwrap();
        prop_assert_eq!(parsed[0].value.as_str(), value.as_str());
    }

    #[test]
    fn dotenv_files_of_shell_hostile_values_round_trip(
        values in proptest::collection::vec("([^\u{0}]|['\"\\\\$`\n\r#= ]){1,40}", 1..6),
    ) {
        // Values made mostly of what quoting must survive, several to a file, so that a value
        // that derails the parser would show in the ones after it.
        let file: String = values
            .iter()
            .enumerate()
            .map(|(i, v)| format!("V{i}={}\n", crate::commands::env::dotenv_quote(v)))
            .collect();
        let parsed = crate::dotenv::parse(&file).unwrap();
        let got: Vec<&str> = parsed.iter().map(|e| e.value.as_str()).collect();
        prop_assert_eq!(got, values.iter().map(String::as_str).collect::<Vec<_>>());
    }

    #[test]
    fn duration_parser_never_panics(s in ".{0,40}") {
        let _ = crate::when::parse_expiry(&s, 1_800_000_000);
    }

    #[test]
    fn project_file_reader_never_panics(s in ".{0,300}") {
        let _ = crate::project::parse(&s, std::path::Path::new(".tokctl.toml"));
    }

    #[test]
    fn masking_is_independent_of_how_output_is_split(
        secret in "[a-zA-Z0-9_]{4,24}",
        pieces in proptest::collection::vec("[a-zA-Z0-9_ \n]{0,30}", 0..6),
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        let text = pieces.join(&secret);
        let expected = text.replace(&secret, "***");
        let bytes = text.as_bytes();
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(bytes.len() + 1)).collect();
        points.push(0);
        points.push(bytes.len());
        points.sort();
        let mut m = Masker::new(&[secret.as_bytes()]);
        let mut out = Vec::new();
        for w in points.windows(2) {
            out.extend(m.push(&bytes[w[0]..w[1]]));
        }
        out.extend(m.finish());
        prop_assert_eq!(String::from_utf8(out).unwrap(), expected);
    }

    #[test]
    fn masking_takes_the_leftmost_then_longest_of_overlapping_secrets(
        secrets in proptest::collection::vec("[ab]{1,6}", 1..5),
        text in "[abc]{0,80}",
        cuts in proptest::collection::vec(any::<prop::sample::Index>(), 0..8),
    ) {
        // The definition, on the whole text at once.
        let t = text.as_bytes();
        let (mut expected, mut i) = (Vec::new(), 0);
        while i < t.len() {
            match secrets.iter().filter(|s| t[i..].starts_with(s.as_bytes())).map(|s| s.len()).max() {
                Some(l) => {
                    expected.extend_from_slice(crate::mask::MASK);
                    i += l;
                }
                None => {
                    expected.push(t[i]);
                    i += 1;
                }
            }
        }
        let mut points: Vec<usize> = cuts.iter().map(|c| c.index(t.len() + 1)).collect();
        points.extend([0, t.len()]);
        points.sort();
        let mut m = Masker::new(&secrets);
        let mut out = Vec::new();
        for w in points.windows(2) {
            out.extend(m.push(&t[w[0]..w[1]]));
        }
        out.extend(m.finish());
        prop_assert_eq!(String::from_utf8(out).unwrap(), String::from_utf8(expected).unwrap());
    }
}
