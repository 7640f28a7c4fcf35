//! Finding the vault's own secrets in bytes: every form of every secret (`forms`), and revoked
//! tokens by their kept hash. `Needles` is built once from the records; `Needles::search` reads
//! any stream in bounded chunks and reports where each copy starts (line and column), never the
//! bytes around it. Where the bytes come from (files, git, shell history) is `sources`.
//!
//! The search is the `aho-corasick` crate (ripgrep's engine) in leftmost-longest mode, with its
//! prefilters: the automaton `redact`'s masker uses (`mask::automaton`). Its tables spell the secrets' forms and the crate offers no way to wipe them: they
//! are freed unwiped when `Needles` is dropped, at the end of the command (core dumps are off,
//! see `os`). The forms themselves are ours and wiped (`forms::Form`).

use std::collections::HashMap;
use std::io::{self, Read};

use aho_corasick::{AhoCorasick, Input};

use crate::crypto;
use crate::vault::{Kind, Record, Status};

pub(crate) mod forms;
pub(crate) mod sources;

pub(crate) use forms::{Encoding, MIN_LEN};

/// What a finding says about its token: never its secret.
pub(crate) struct Token {
    pub name: String,
    pub status: Status,
    /// The command that replaces the secret, or `None` for a revoked token (nothing to replace).
    pub replace: Option<String>,
}

/// The secrets of a vault's records, ready to be looked for.
pub(crate) struct Needles {
    pub tokens: Vec<Token>,
    /// Names of tokens too short to look for.
    pub skipped: Vec<String>,
    /// Every form of every secret; `owner[pattern]` says whose and which.
    forms: Option<AhoCorasick>,
    owner: Vec<(usize, Encoding)>,
    longest: usize,
    /// Revoked tokens: the known formats' prefixes, and the kept hash of each revoked secret.
    prefixes: Option<AhoCorasick>,
    prefix_alphabet: Vec<Alphabet>,
    revoked: HashMap<[u8; 32], usize>,
}

/// The longest candidate taken after a known prefix: any real token is shorter.
const CANDIDATE_MAX: usize = 255;
/// How many bytes a read adds to the window.
const CHUNK: usize = 1 << 20;

/// Which bytes may follow a format's prefix in a token.
type Alphabet = fn(u8) -> bool;

fn base62(b: u8) -> bool {
    b.is_ascii_alphanumeric()
}
fn with_underscore(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}
fn gitlab(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b"_-.".contains(&b)
}

/// Known formats whose revoked tokens can be found: the prefix and the characters after it.
const KNOWN: [(&str, Alphabet); 4] =
    [("ghp_", base62), ("github_pat_", with_underscore), ("glpat-", gitlab), ("npm_", base62)];

/// One copy found: whose, in which form, at which byte of the stream, and where that is.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Hit {
    pub token: usize,
    pub encoding: Encoding,
    pub offset: u64,
    pub line: u64,
    pub column: u64,
}

/// The command that gives `r` a new secret, as the finding shows it.
fn replacement(r: &Record, status: Status) -> Option<String> {
    match (status, r.kind) {
        (Status::Revoked, _) => None,
        (_, Kind::Minted) => Some(format!("tokctl regenerate {}", r.name)),
        (_, Kind::Imported) => Some(format!("tokctl import {} --replace", r.name)),
    }
}

/// Every form of every secret long enough to look for, for `redact`; and the names of the
/// tokens too short to look for.
pub(crate) fn all_forms(records: &[Record]) -> (Vec<forms::Form>, Vec<String>) {
    let (mut out, mut skipped) = (Vec::new(), Vec::new());
    for r in records {
        match &r.secret {
            Some(s) if s.expose().len() < MIN_LEN => skipped.push(r.name.clone()),
            Some(s) => out.extend(forms::forms(s.expose().as_bytes())),
            None => {}
        }
    }
    (out, skipped)
}

/// What to say about tokens too short to look for, if any.
pub(crate) fn skipped_note(skipped: &[String]) -> Option<String> {
    (!skipped.is_empty()).then(|| {
        format!(
            "not looked for, shorter than {MIN_LEN} characters (their copies cannot be told from ordinary text): {}",
            skipped.join(", ")
        )
    })
}

impl Needles {
    pub fn new(records: &[Record], now: i64) -> Needles {
        let mut tokens = Vec::new();
        let mut skipped = Vec::new();
        let mut patterns = Vec::new();
        let mut owner = Vec::new();
        let mut revoked = HashMap::new();
        let mut prefixes: Vec<(String, Alphabet)> = Vec::new();
        for r in records {
            let status = r.status(now);
            let t = tokens.len();
            match &r.secret {
                Some(s) if s.expose().len() < MIN_LEN => {
                    skipped.push(r.name.clone());
                    continue;
                }
                Some(s) => {
                    for f in forms::forms(s.expose().as_bytes()) {
                        patterns.push(f.bytes);
                        owner.push((t, f.encoding));
                    }
                }
                None => {
                    revoked.insert(r.hash, t);
                    if let Some(p) = r.prefix.as_ref().filter(|p| !p.is_empty()) {
                        prefixes.push((p.clone(), base62));
                    }
                }
            }
            tokens.push(Token { name: r.name.clone(), status, replace: replacement(r, status) });
        }
        if !revoked.is_empty() {
            prefixes.extend(KNOWN.iter().map(|(p, f)| (p.to_string(), *f)));
        }
        prefixes.sort_by(|a, b| a.0.cmp(&b.0));
        prefixes.dedup_by(|a, b| a.0 == b.0);
        let build = |pats: &[&[u8]]| crate::mask::automaton(pats);
        let forms_ref: Vec<&[u8]> = patterns.iter().map(|p| &p[..]).collect();
        let longest = patterns.iter().map(|p| p.len()).max().unwrap_or(0);
        let prefix_ref: Vec<&[u8]> = prefixes.iter().map(|p| p.0.as_bytes()).collect();
        Needles {
            tokens,
            skipped,
            forms: (!forms_ref.is_empty()).then(|| build(&forms_ref)),
            owner,
            longest,
            prefixes: (!prefix_ref.is_empty()).then(|| build(&prefix_ref)),
            prefix_alphabet: prefixes.iter().map(|p| p.1).collect(),
            revoked,
        }
    }

    /// Whether there is anything to look for.
    pub fn is_empty(&self) -> bool {
        self.forms.is_none() && self.prefixes.is_none()
    }

    /// Every copy in what `r` yields, in order. Reads in bounded chunks: the window holds one
    /// chunk and the few bytes before it that a copy could still start in.
    pub fn search(&self, mut r: impl Read, buf: &mut Vec<u8>) -> io::Result<Vec<Hit>> {
        let mut hits = Vec::new();
        // A copy starting this close to the window's end may not be whole yet.
        let reach = self.longest.max(CANDIDATE_MAX + 64);
        // Allocated (and zeroed) once for every stream the caller searches with it: after each
        // round at most `reach` bytes stay, so a read always has a chunk's room.
        if buf.len() < CHUNK + reach {
            buf.resize(CHUNK + reach, 0);
        }
        // The window is `buf[..len]`; its first byte is byte `base` of the stream, on line
        // `line` (0-based), `col` bytes after that line's start.
        let mut len = 0;
        let (mut base, mut line, mut col) = (0u64, 0u64, 0u64);
        // Where each search resumes in the window.
        let (mut from, mut pfrom) = (0usize, 0usize);
        loop {
            let n = loop {
                match r.read(&mut buf[len..]) {
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    other => break other?,
                }
            };
            len += n;
            let eof = n == 0;
            // Copies that start before `sure` lie wholly in the window.
            let sure = if eof { len } else { len.saturating_sub(reach) };
            let mut found: Vec<(usize, usize, Encoding)> = Vec::new();
            if let Some(ac) = &self.forms {
                for m in ac.find_iter(Input::new(&buf[..len]).span(from..len)) {
                    if m.start() >= sure {
                        break;
                    }
                    let (token, encoding) = self.owner[m.pattern().as_usize()];
                    found.push((m.start(), token, encoding));
                    from = m.end();
                }
            }
            from = from.max(sure);
            if let Some(ac) = &self.prefixes {
                for m in ac.find_iter(Input::new(&buf[..len]).span(pfrom..len)) {
                    if m.start() >= sure {
                        break;
                    }
                    let ok = self.prefix_alphabet[m.pattern().as_usize()];
                    let run = buf[m.end()..len].iter().take(CANDIDATE_MAX + 1).take_while(|&&b| ok(b)).count();
                    pfrom = m.end() + run;
                    if (1..=CANDIDATE_MAX).contains(&run)
                        && let Some(&t) = self.revoked.get(&crypto::sha256(&buf[m.start()..pfrom]))
                    {
                        found.push((m.start(), t, Encoding::Raw));
                    }
                }
            }
            pfrom = pfrom.max(sure);
            // Lines and columns in one pass over the window, up to each copy in turn, then to
            // the end of what is dropped: what no search looks at again.
            found.sort_by_key(|f| f.0);
            let mut counted = 0;
            let mut advance = |to: usize, line: &mut u64, col: &mut u64| {
                let part = &buf[counted..to];
                match part.iter().rposition(|&b| b == b'\n') {
                    Some(i) => {
                        *line += part.iter().filter(|&&b| b == b'\n').count() as u64;
                        *col = (part.len() - i - 1) as u64;
                    }
                    None => *col += part.len() as u64,
                }
                counted = to;
            };
            for (pos, token, encoding) in found {
                advance(pos, &mut line, &mut col);
                hits.push(Hit { token, encoding, offset: base + pos as u64, line: line + 1, column: col + 1 });
            }
            if eof {
                return Ok(hits);
            }
            advance(sure, &mut line, &mut col);
            base += sure as u64;
            buf.copy_within(sure..len, 0);
            len -= sure;
            from -= sure;
            pfrom -= sure;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::vault::Meta;

    fn record(name: &str, secret: &str) -> Record {
        let meta = Meta::new(name, None, &[], None, None, crate::when::Expiry::Never).unwrap();
        meta.record(name, Kind::Imported, None, Secret::new(secret.into()))
    }

    /// A reader that hands out at most `n` bytes a read.
    struct Trickle<'a>(&'a [u8], usize);
    impl Read for Trickle<'_> {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let k = self.0.len().min(self.1).min(out.len());
            out[..k].copy_from_slice(&self.0[..k]);
            self.0 = &self.0[k..];
            Ok(k)
        }
    }

    #[test]
    fn each_form_is_found_with_its_line_and_column() {
        use base64::Engine as _;
        let secret = "glpat-abc/def+ghi";
        let n = Needles::new(&[record("gl", secret)], 0);
        let b64 = base64::engine::general_purpose::STANDARD.encode(format!("x{secret}"));
        let text = format!("one\ntwo {secret}\n{b64}\n{{\"t\":\"glpat-abc\\/def+ghi\"}}\n");
        let hits = n.search(text.as_bytes(), &mut Vec::new()).unwrap();
        let got: Vec<(Encoding, u64, u64)> = hits.iter().map(|h| (h.encoding, h.line, h.column)).collect();
        assert_eq!(got, [(Encoding::Raw, 2, 5), (Encoding::Base64, 3, 3), (Encoding::Json, 4, 7)]);
    }

    #[test]
    fn short_secrets_are_skipped_and_named() {
        let n = Needles::new(&[record("short", "abc1234"), record("long", "abcd1234")], 0);
        assert_eq!(n.skipped, ["short"]);
        assert_eq!(n.search(&b"abc1234 abcd1234"[..], &mut Vec::new()).unwrap().len(), 1);
    }

    #[test]
    fn a_revoked_token_is_found_by_its_hash() {
        let secret = format!("ghp_{}", "A1b2C3d4".repeat(4));
        let mut r = record("gh", &secret);
        r.secret = None;
        r.revoked_at = Some(1);
        let n = Needles::new(&[r, record("other", "zzzzzzzzzz")], 0);
        let text = format!("x ghp_{0}\ntoken={secret} ghp_nothere", "B".repeat(36));
        let hits = n.search(text.as_bytes(), &mut Vec::new()).unwrap();
        assert_eq!(hits.iter().map(|h| (h.token, h.line, h.column)).collect::<Vec<_>>(), [(0, 2, 7)]);
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 128, ..Default::default() })]
        /// `redact`'s masker over every form of random secrets, fed a random text with forms
        /// planted in it and cut at random points, writes what a plain leftmost-longest
        /// replacement of the whole text writes.
        #[test]
        fn redact_equals_a_reference_replacement_however_the_input_is_split(
            secrets in proptest::collection::vec("[a-z0-9/+\"~]{8,14}", 1..3),
            pieces in proptest::collection::vec((0usize..4, 0usize..12, "[a-z0-9 =\n]{0,6}"), 0..12),
            cuts in proptest::collection::vec(proptest::prelude::any::<proptest::sample::Index>(), 0..10),
        ) {
            let records: Vec<Record> = secrets.iter().enumerate().map(|(i, s)| record(&format!("t{i}"), s)).collect();
            let (all, _) = all_forms(&records);
            let pats: Vec<&[u8]> = all.iter().map(|f| &f.bytes[..]).collect();
            let mut text = Vec::new();
            for (which, form, filler) in &pieces {
                text.extend_from_slice(filler.as_bytes());
                if *which < secrets.len() {
                    let fs = forms::forms(secrets[*which].as_bytes());
                    text.extend_from_slice(&fs[form % fs.len()].bytes);
                }
            }
            let mut expected = Vec::new();
            let mut i = 0;
            while i < text.len() {
                match pats.iter().filter(|p| text[i..].starts_with(p)).map(|p| p.len()).max() {
                    Some(l) => { expected.extend_from_slice(crate::mask::MASK); i += l; }
                    None => { expected.push(text[i]); i += 1; }
                }
            }
            let mut points: Vec<usize> = cuts.iter().map(|c| c.index(text.len() + 1)).collect();
            points.extend([0, text.len()]);
            points.sort();
            let mut m = crate::mask::Masker::new(&pats);
            let mut out = Vec::new();
            for w in points.windows(2) {
                m.push_into(&text[w[0]..w[1]], &mut out);
            }
            out.extend(m.finish());
            proptest::prop_assert_eq!(String::from_utf8_lossy(&out), String::from_utf8_lossy(&expected));
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig { cases: 64, ..Default::default() })]
        /// However the stream is cut into reads, and wherever a copy falls against the chunk
        /// size, the same copies are found as by a naive search of the whole text.
        #[test]
        fn reads_of_any_size_find_what_a_naive_search_finds(
            secrets in proptest::collection::vec("[a-d]{8,10}", 1..4),
            text in proptest::collection::vec(proptest::sample::select(vec![b'a', b'b', b'c', b'd', b'\n']), 0..400),
            pad in 0usize..3,
            step in 1usize..50,
        ) {
            let records: Vec<Record> = secrets.iter().enumerate().map(|(i, s)| record(&format!("t{i}"), s)).collect();
            let n = Needles::new(&records, 0);
            let mut stream = vec![b'z'; CHUNK - 300 + pad * 150];
            stream.extend_from_slice(&text);
            // Naive leftmost-longest over the raw forms (these secrets have no other form here).
            let mut expected = Vec::new();
            let mut i = 0;
            while i < stream.len() {
                let best = secrets.iter().filter(|s| stream[i..].starts_with(s.as_bytes())).map(|s| s.len()).max();
                match best {
                    Some(l) => { expected.push(i as u64); i += l; }
                    None => i += 1,
                }
            }
            let got: Vec<u64> = n.search(Trickle(&stream, step * 9_973), &mut Vec::new()).unwrap().iter().map(|h| h.offset).collect();
            proptest::prop_assert_eq!(got, expected);
        }
    }
}
