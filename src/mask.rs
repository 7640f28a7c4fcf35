//! Streaming secret masking: every occurrence of a secret becomes `***`, also when it is split
//! across reads. Only the bytes that could still be part of a secret are held back, so prompts
//! and progress output pass through as they come.
//!
//! The secrets make an Aho-Corasick trie, walked one byte at a time with its state kept across
//! reads. The state after a byte is the longest end of the output that is still the start of
//! some secret: everything before it is final, and is written without looking back at what is
//! held. Every occurrence is noted at the byte where it starts, and the output takes the
//! leftmost, then the longest, as `str::replace` does for one secret. Each byte costs amortised
//! O(1) steps in the trie (each looking through one node's edges, at most one per secret) plus
//! one per secret that ends there: linear in the output however long the secrets are, whatever
//! they look like, and however the output is split into reads.
//!
//! Long reads take a faster road while nothing is held: the `aho-corasick` crate (ripgrep's
//! engine, `automaton`) finds the copies that start far enough from the read's end to be whole
//! in it, with the same leftmost-longest rule, and the trie walks only the last bytes, where a
//! copy may run on into the next read. `scan` searches with the same automaton. The trie stays
//! our own because the crate cannot say how many bytes may still begin a secret (what lets a
//! prompt through unheld), and its DFA takes seconds to build for a long periodic secret (15 s
//! for a 64 KiB `a…ab`): `automaton` uses its NFA for those.
//!
//! Memory: the crate's tables spell the secrets and it has no way to wipe them; they are freed
//! unwiped with the masker (core dumps are off, see `os`). The trie and the held bytes are ours
//! and wiped.

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use zeroize::{Zeroize, Zeroizing};

pub const MASK: &[u8] = b"***";

const ROOT: u32 = 0;
const NONE: u32 = u32::MAX;

struct Node {
    /// The first of this node's edges (a list through `Edge::next`), or `NONE`.
    first_edge: u32,
    /// The node of the longest proper suffix of this node's bytes that is in the trie.
    fail: u32,
    /// The length of the secret that ends exactly here, or 0.
    len: u32,
    /// The nearest node along `fail` (this one excluded) where a secret ends, or `NONE`.
    dict: u32,
    /// The depth of the deepest node along `fail` (this one included) that has an edge: how many
    /// of the last bytes can still grow into a secret.
    live: u32,
}

#[derive(Clone, Copy, Default)]
struct Edge {
    byte: u8,
    to: u32,
    next: u32,
}

/// Plain data: wiped by writing `Edge::default()` over it (no derive macro, no second `syn`).
impl zeroize::DefaultIsZeroes for Edge {}

/// The trie's edges spell the secrets: they are wiped when it is dropped, and sized up front
/// so that no reallocation leaves an unwiped copy behind.
struct Trie {
    nodes: Vec<Node>,
    edges: Vec<Edge>,
    /// The root's edges as a table: most output bytes start nothing, and cost one lookup.
    root: [u32; 256],
}

impl Drop for Trie {
    fn drop(&mut self) {
        self.edges.zeroize();
        self.root.zeroize();
    }
}

impl Trie {
    fn new(secrets: &[&[u8]]) -> Trie {
        let total: usize = secrets.iter().map(|s| s.len()).sum();
        assert!(total < NONE as usize, "secrets fit in u32 offsets");
        let mut t = Trie { nodes: Vec::with_capacity(total + 1), edges: Vec::with_capacity(total), root: [ROOT; 256] };
        let mut depth: Vec<u32> = Vec::with_capacity(total + 1);
        t.nodes.push(Node { first_edge: NONE, fail: ROOT, len: 0, dict: NONE, live: 0 });
        depth.push(0);
        for s in secrets {
            let mut at = ROOT;
            for &b in s.iter() {
                at = match t.child(at, b) {
                    Some(next) => next,
                    None => {
                        let new = t.nodes.len() as u32;
                        t.nodes.push(Node { first_edge: NONE, fail: ROOT, len: 0, dict: NONE, live: 0 });
                        depth.push(depth[at as usize] + 1);
                        let next = t.nodes[at as usize].first_edge;
                        t.edges.push(Edge { byte: b, to: new, next });
                        t.nodes[at as usize].first_edge = t.edges.len() as u32 - 1;
                        if at == ROOT {
                            t.root[b as usize] = new;
                        }
                        new
                    }
                };
            }
            t.nodes[at as usize].len = s.len() as u32;
        }
        // Breadth first, so a node's `fail` (which is shallower) is complete before the node.
        let mut queue = std::collections::VecDeque::with_capacity(t.nodes.len());
        queue.push_back(ROOT);
        while let Some(u) = queue.pop_front() {
            let mut e = t.nodes[u as usize].first_edge;
            while e != NONE {
                let Edge { byte, to: v, next } = t.edges[e as usize];
                let fail = if u == ROOT { ROOT } else { t.next(t.nodes[u as usize].fail, byte) };
                let f = &t.nodes[fail as usize];
                let dict = if f.len > 0 { fail } else { f.dict };
                let live_via_fail = f.live;
                let node = &mut t.nodes[v as usize];
                node.fail = fail;
                node.dict = dict;
                node.live = if node.first_edge != NONE { depth[v as usize] } else { live_via_fail };
                queue.push_back(v);
                e = next;
            }
        }
        t
    }

    fn child(&self, at: u32, b: u8) -> Option<u32> {
        let mut e = self.nodes[at as usize].first_edge;
        while e != NONE {
            let edge = &self.edges[e as usize];
            if edge.byte == b {
                return Some(edge.to);
            }
            e = edge.next;
        }
        None
    }

    /// The state after `b`: down an edge, or along `fail` until one fits.
    fn next(&self, mut at: u32, b: u8) -> u32 {
        loop {
            if at == ROOT {
                return self.root[b as usize];
            }
            if let Some(to) = self.child(at, b) {
                return to;
            }
            at = self.nodes[at as usize].fail;
        }
    }
}

/// The longest pattern for which the crate's DFA is built; longer ones get its NFA, whose
/// construction stays linear whatever the patterns look like.
const DFA_LONGEST: usize = 1024;

/// The leftmost-longest automaton over `patterns` that `scan` and the masker's fast road use.
pub(crate) fn automaton(patterns: &[&[u8]]) -> AhoCorasick {
    let longest = patterns.iter().map(|p| p.len()).max().unwrap_or(0);
    let kind = if longest <= DFA_LONGEST { AhoCorasickKind::DFA } else { AhoCorasickKind::ContiguousNFA };
    AhoCorasick::builder()
        .match_kind(MatchKind::LeftmostLongest)
        .kind(Some(kind))
        .build(patterns)
        .expect("the patterns fit the automaton's limits")
}

/// Our copies of the output's bytes that are held back are wiped when dropped, and so is the
/// trie, which spells the secrets.
pub struct Masker {
    trie: Option<Trie>,
    /// The same secrets for the fast road (see the module doc).
    fast: Option<AhoCorasick>,
    longest: usize,
    shortest: usize,
    /// The bytes that occur in some secret: a copy lies within a run of them.
    alphabet: [bool; 256],
    state: u32,
    /// The bytes read and not yet written, oldest first, in a ring of fixed size: never more
    /// than the longest secret. At the trie's root nothing is held.
    held: Zeroizing<Vec<u8>>,
    /// For each held byte, the length of the longest secret found starting at it (0: none yet).
    found: Vec<u32>,
    head: usize,
    len: usize,
    /// The ring's size less one (a power of two less one, for a cheap wrap-around).
    wrap: usize,
}

impl Masker {
    pub fn new<S: AsRef<[u8]>>(secrets: &[S]) -> Masker {
        let secrets: Vec<&[u8]> = secrets.iter().map(|s| s.as_ref()).filter(|s| !s.is_empty()).collect();
        let ring = secrets.iter().map(|s| s.len()).max().unwrap_or(1).next_power_of_two();
        Masker {
            trie: (!secrets.is_empty()).then(|| Trie::new(&secrets)),
            fast: (!secrets.is_empty()).then(|| automaton(&secrets)),
            longest: secrets.iter().map(|s| s.len()).max().unwrap_or(0),
            shortest: secrets.iter().map(|s| s.len()).min().unwrap_or(0),
            alphabet: {
                let mut a = [false; 256];
                secrets.iter().flat_map(|s| s.iter()).for_each(|&b| a[b as usize] = true);
                a
            },
            state: ROOT,
            held: Zeroizing::new(vec![0; ring]),
            found: vec![0; ring],
            head: 0,
            len: 0,
            wrap: ring - 1,
        }
    }

    /// Mask a chunk; returns what may be written now.
    pub fn push(&mut self, chunk: &[u8]) -> Vec<u8> {
        let mut out = Vec::with_capacity(chunk.len() + MASK.len());
        self.push_into(chunk, &mut out);
        out
    }

    /// Mask a chunk, appending what may be written now to `out`.
    pub fn push_into(&mut self, chunk: &[u8], out: &mut Vec<u8>) {
        let Some(trie) = self.trie.take() else {
            out.extend_from_slice(chunk);
            return;
        };
        let mut i = 0;
        while i < chunk.len() {
            // Copies that start before `whole` end in this read.
            let whole = chunk.len().saturating_sub(self.longest);
            if self.state == ROOT
                && i < whole
                && let Some(fast) = &self.fast
            {
                // Nothing is held: the automaton finds the copies that start before `whole`. No
                // other copy starts before the next one it finds (it would end in this read and be
                // found first), so the trie can take over from its root after them. A copy lies
                // inside a run of bytes that occur in secrets: only runs long enough for the
                // shortest secret are searched.
                let (len, mut at, mut p) = (chunk.len(), i, i);
                'runs: while p < whole {
                    while p < whole && !self.alphabet[chunk[p] as usize] {
                        p += 1;
                    }
                    let run = p;
                    while p < len && self.alphabet[chunk[p] as usize] {
                        p += 1;
                    }
                    if p - run < self.shortest {
                        continue;
                    }
                    for m in fast.find_iter(Input::new(chunk).span(run..p)) {
                        if m.start() >= whole {
                            break 'runs;
                        }
                        out.extend_from_slice(&chunk[at..m.start()]);
                        out.extend_from_slice(MASK);
                        at = m.end();
                    }
                }
                let resume = at.max(whole);
                out.extend_from_slice(&chunk[at..resume]);
                i = resume;
                continue;
            }
            if self.state == ROOT {
                // Nothing is held at the root: copy through to the next byte that begins a secret.
                let run = chunk[i..].iter().position(|&b| trie.root[b as usize] != ROOT).unwrap_or(chunk.len() - i);
                out.extend_from_slice(&chunk[i..i + run]);
                i += run;
                if i == chunk.len() {
                    break;
                }
            }
            self.step(&trie, chunk[i], out);
            i += 1;
        }
        self.trie = Some(trie);
    }

    /// One byte through the trie: hold it, note every secret that ends with it, write what can
    /// no longer be part of a secret.
    fn step(&mut self, trie: &Trie, b: u8, out: &mut Vec<u8>) {
        self.state = trie.next(self.state, b);
        let node = &trie.nodes[self.state as usize];
        // Room is certain: at most `live` < longest bytes stay held after each byte.
        let tail = (self.head + self.len) & self.wrap;
        self.held[tail] = b;
        self.found[tail] = 0;
        self.len += 1;
        // Every secret that ends here, longest first, noted where it starts.
        let mut m = if node.len > 0 { self.state } else { node.dict };
        while m != NONE {
            let n = &trie.nodes[m as usize];
            let l = n.len as usize;
            // A secret that starts before the held bytes overlaps one already masked.
            if l <= self.len {
                let at = (self.head + self.len - l) & self.wrap;
                self.found[at] = self.found[at].max(n.len);
            }
            m = n.dict;
        }
        self.release(node.live as usize, out);
    }

    /// Flush at end of stream: what is held back cannot become a secret any more.
    pub fn finish(&mut self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.len + MASK.len());
        self.release(0, &mut out);
        self.state = ROOT;
        out
    }

    /// Write every held byte but the last `keep`, which may still begin a secret; a secret that
    /// starts among the written ones is written as `MASK`.
    fn release(&mut self, keep: usize, out: &mut Vec<u8>) {
        while self.len > keep {
            let l = self.found[self.head] as usize;
            let take = if l > 0 {
                out.extend_from_slice(MASK);
                l
            } else {
                out.push(self.held[self.head]);
                1
            };
            self.head = (self.head + take) & self.wrap;
            self.len -= take;
        }
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

    #[test]
    fn overlapping_secrets_take_the_leftmost_then_the_longest() {
        // "bcd" ends after "ab" began; "cd" still starts after the masked "ab".
        assert_eq!(run(&["ab", "bcd", "cd"], &["abcd"]), "******");
        assert_eq!(run(&["bcd", "abcdef"], &["xabcdefx"]), "x***x");
        assert_eq!(run(&["bcd", "abcdef"], &["xabcdex"]), "xa***ex");
        assert_eq!(run(&["aa"], &["aaaaa"]), "******a");
        // A found secret waits while a longer one starting at the same byte may still come.
        let mut m = Masker::new(&["ab", "abcd"]);
        assert_eq!(m.push(b"-ab"), b"-");
        assert_eq!(m.push(b"c"), b"");
        assert_eq!(m.push(b"x"), b"***cx");
    }

    #[test]
    fn adversarial_secrets_fed_a_byte_at_a_time_stay_linear() {
        // 64 KiB `a…ab` against `a`s read one byte at a time: rescanning what is held back, or
        // restarting after each match, would be some 10^10 steps here; the trie takes a few a byte.
        let long = format!("{}b", "a".repeat(65_535));
        let feed = |m: &mut Masker, tail: &[u8]| {
            let mut out = Vec::new();
            for _ in 0..300_000 {
                out.extend(m.push(b"a"));
            }
            out.extend(m.push(tail));
            out.extend(m.finish());
            out
        };
        let out = feed(&mut Masker::new(&[&long]), long.as_bytes());
        assert!(out == [&b"a".repeat(300_000)[..], MASK].concat(), "{} bytes", out.len());
        // With `a` a secret too, each `a` waits until the long one can no longer start at it.
        let out = feed(&mut Masker::new(&[long.as_str(), "a"]), b"c");
        assert!(out == [&MASK.repeat(300_000)[..], b"c"].concat(), "{} bytes", out.len());
    }
}
