//! Streaming secret masking: every occurrence of a secret becomes `***`, also when it is split
//! across reads. Only the bytes that could still be the start of a secret are held back, so
//! prompts and progress output pass through as they come.

use aho_corasick::{AhoCorasick, MatchKind};
use zeroize::Zeroizing;

/// Our copies of the secrets, the held-back bytes and each chunk's working buffer are wiped when
/// dropped. The automaton is not: aho-corasick encodes the secrets' bytes in its transition
/// tables and its prefilters (packed, memmem) keep whole copies of them, and it frees all that
/// unwiped when the masker is dropped. Nothing in its API reaches that memory.
pub struct Masker {
    ac: Option<AhoCorasick>,
    secrets: Zeroizing<Vec<Vec<u8>>>,
    carry: Zeroizing<Vec<u8>>,
}

pub const MASK: &[u8] = b"***";

impl Masker {
    pub fn new<S: AsRef<[u8]>>(secrets: &[S]) -> Masker {
        let secrets: Zeroizing<Vec<Vec<u8>>> =
            Zeroizing::new(secrets.iter().filter(|s| !s.as_ref().is_empty()).map(|s| s.as_ref().to_vec()).collect());
        let ac = (!secrets.is_empty()).then(|| {
            AhoCorasick::builder()
                .match_kind(MatchKind::LeftmostLongest)
                .build(secrets.iter())
                .expect("secrets make a valid automaton")
        });
        Masker { ac, secrets, carry: Zeroizing::default() }
    }

    /// Mask a chunk; returns what may be written now.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        let Some(ac) = &self.ac else { return chunk.to_vec() };
        // Sized once, so no reallocation leaves a stray copy of the bytes behind; wiped on drop.
        let mut buf = Zeroizing::new(Vec::with_capacity(self.carry.len() + chunk.len()));
        buf.extend_from_slice(&self.carry);
        buf.extend_from_slice(chunk);
        let mut out = Vec::with_capacity(buf.len());
        let mut pos = 0;
        for m in ac.find_iter(&buf) {
            // A match that reaches the end might be the start of a longer secret: wait for more.
            if m.end() == buf.len() && self.secrets.iter().any(|s| s.len() > m.len() && s.starts_with(&buf[m.range()]))
            {
                break;
            }
            out.extend_from_slice(&buf[pos..m.start()]);
            out.extend_from_slice(MASK);
            pos = m.end();
        }
        let hold = self.held_suffix(&buf[pos..]);
        let keep_from = buf.len() - hold;
        out.extend_from_slice(&buf[pos..keep_from]);
        // The old carry is wiped as it is replaced.
        self.carry = Zeroizing::new(buf[keep_from..].to_vec());
        out
    }

    /// Flush at end of stream: what is held back cannot become a secret any more.
    pub fn finish(&mut self) -> Vec<u8> {
        let rest = std::mem::take(&mut self.carry);
        match &self.ac {
            Some(ac) => ac.replace_all_bytes(&rest, &vec![MASK; self.secrets.len()]),
            None => rest.to_vec(),
        }
    }

    /// The longest suffix of `tail` that is a proper prefix of some secret.
    fn held_suffix(&self, tail: &[u8]) -> usize {
        let mut best = 0;
        for s in self.secrets.iter() {
            let max = (s.len() - 1).min(tail.len());
            for k in (best + 1..=max).rev() {
                if tail[tail.len() - k..] == s[..k] {
                    best = k;
                    break;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(secrets: &[&str], chunks: &[&str]) -> String {
        let mut m = Masker::new(secrets);
        let mut out = Vec::new();
        for c in chunks {
            out.extend(m.push(c.as_bytes()));
        }
        out.extend(m.finish());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_whole_and_split_secrets() {
        assert_eq!(run(&["s3cret"], &["a s3cret b"]), "a *** b");
        assert_eq!(run(&["s3cret"], &["a s3", "cr", "et b s3cret"]), "a *** b ***");
        assert_eq!(run(&["abc", "abcdef"], &["x abc", "def y abc"]), "x *** y ***");
        assert_eq!(run(&["tok_x"], &["prompt: t"]), "prompt: t");
    }

    #[test]
    fn only_possible_prefixes_are_held_back() {
        let mut m = Masker::new(&["secret"]);
        assert_eq!(m.push(b"Password: "), b"Password: ");
        assert_eq!(m.push(b"xx se"), b"xx ");
        assert_eq!(m.push(b"ven"), b"seven");
    }

    #[test]
    fn every_split_point_is_masked() {
        let secret = "tok_ABCdef123";
        let text = format!("<{secret}>{secret}\n");
        for i in 0..text.len() {
            for j in i..text.len() {
                let (a, rest) = text.split_at(i);
                let (b, c) = rest.split_at(j - i);
                assert_eq!(run(&[secret], &[a, b, c]), "<***>***\n", "split at {i},{j}");
            }
        }
    }
}
