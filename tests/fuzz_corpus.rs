//! Replays every input in `fuzz/corpus/<target>/` (and `fuzz/regressions/<target>/`, where each
//! crash the fuzzers ever found is kept) through the same entry points as the fuzz targets, so
//! what the fuzzers learned is checked on every `cargo test`, without cargo-fuzz.

use std::path::{Path, PathBuf};

use tokctl::secret::Key;
use tokctl::vault::Envelope;
use tokctl::when::{Expiry, parse_expiry};

fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("fuzz");
    let mut out = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(rd) = std::fs::read_dir(root.join(dir).join(target)) else { continue };
        for e in rd.flatten() {
            out.push((e.path(), std::fs::read(e.path()).unwrap()));
        }
    }
    out
}

#[test]
fn envelope_corpus_never_panics_and_never_opens_with_a_stranger_key() {
    let all = inputs("envelope");
    assert!(!all.is_empty(), "the envelope corpus is missing");
    for (path, data) in all {
        if let Ok(env) = Envelope::parse(&data) {
            assert!(data.starts_with(env.header_bytes()), "{}", path.display());
            assert!(env.open(&Key::from_bytes([7u8; 32])).is_err(), "{}", path.display());
        }
    }
}

#[test]
fn dotenv_and_project_corpora_never_panic() {
    let (dotenv, project) = (inputs("dotenv"), inputs("project"));
    assert!(!dotenv.is_empty() && !project.is_empty(), "a corpus is missing");
    for (_, data) in dotenv {
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = tokctl::dotenv::parse(text);
        }
    }
    for (_, data) in project {
        if let Ok(text) = std::str::from_utf8(&data) {
            let _ = tokctl::project::parse(text, Path::new(".tokctl.toml"));
        }
    }
}

#[test]
fn duration_corpus_parses_only_to_future_expiries() {
    let all = inputs("duration");
    assert!(!all.is_empty(), "the duration corpus is missing");
    let now = 1_800_000_000;
    for (path, data) in all {
        if let Ok(text) = std::str::from_utf8(&data) {
            match parse_expiry(text, now) {
                Ok(Expiry::After(secs)) => assert!(secs > 0, "{}", path.display()),
                Ok(Expiry::At(t)) => assert!(t > now, "{}", path.display()),
                _ => {}
            }
        }
    }
}
