//! Where `scan` looks: files under paths (walked as ripgrep walks them, through the `ignore`
//! crate, in parallel), the index (`--staged`), every blob of the history (`--git`), and the
//! shell history files. Git is asked through its own plumbing (`git rev-list --objects`,
//! `git cat-file --batch`), each blob read once however many commits hold it.

use std::ffi::OsStr;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Mutex;

use super::{Hit, Needles};
use crate::error::{self, Result};

/// Where a finding was made.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Source {
    File,
    Staged,
    Git,
    ShellHistory,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::File => "file",
            Source::Staged => "staged",
            Source::Git => "git",
            Source::ShellHistory => "shell-history",
        }
    }
}

/// One copy of a secret, and where: never the bytes around it.
pub(crate) struct Finding {
    pub source: Source,
    pub path: String,
    /// The blob it is in (`--git`, `--staged`).
    pub blob: Option<String>,
    /// The commits that add that blob (`--git` only), oldest first.
    pub commits: Vec<String>,
    pub hit: Hit,
}

/// What a search collected: the findings, and what could not be read (said, not fatal).
#[derive(Default)]
pub(crate) struct Report {
    pub findings: Vec<Finding>,
    pub unreadable: Vec<String>,
}

impl Report {
    fn add(&mut self, source: Source, path: &str, hits: Vec<Hit>) {
        self.findings.extend(hits.into_iter().map(|hit| Finding {
            source,
            path: path.to_string(),
            blob: None,
            commits: Vec::new(),
            hit,
        }));
    }
}

/// A path as findings show it: `./` dropped when the walk started at the default `.`.
fn shown_path(p: &Path, strip_dot: bool) -> String {
    let p = if strip_dot { p.strip_prefix("./").unwrap_or(p) } else { p };
    p.to_string_lossy().into_owned()
}

/// Every file under `paths`, as ripgrep would search them unless `no_ignore`; binary files too.
pub(crate) fn files(needles: &Needles, paths: &[PathBuf], no_ignore: bool, strip_dot: bool, report: &mut Report) {
    let Some((first, rest)) = paths.split_first() else { return };
    let mut walk = ignore::WalkBuilder::new(first);
    for p in rest {
        walk.add(p);
    }
    walk.standard_filters(!no_ignore);
    let shared = Mutex::new(std::mem::take(report));
    walk.build_parallel().run(|| {
        let shared = &shared;
        let mut buf = Vec::new();
        Box::new(move |entry| {
            let mut local = Report::default();
            match entry {
                Ok(e) if e.file_type().is_some_and(|t| t.is_file()) => {
                    let path = shown_path(e.path(), strip_dot);
                    match std::fs::File::open(e.path()).and_then(|f| needles.search(f, &mut buf)) {
                        Ok(hits) => local.add(Source::File, &path, hits),
                        Err(err) => local.unreadable.push(format!("{}: {err}", crate::text::escape(&path))),
                    }
                }
                Ok(_) => {}
                Err(err) => local.unreadable.push(crate::text::escape(&err.to_string()).into_owned()),
            }
            if !local.findings.is_empty() || !local.unreadable.is_empty() {
                let mut r = shared.lock().unwrap_or_else(|p| p.into_inner());
                r.findings.extend(local.findings);
                r.unreadable.extend(local.unreadable);
            }
            ignore::WalkState::Continue
        })
    });
    *report = shared.into_inner().unwrap_or_else(|p| p.into_inner());
}

/// The shell history files that exist: `$HISTFILE`, bash's, zsh's (also under `$ZDOTDIR`) and
/// fish's. Read as files: zsh's extended format (`: 1700000000:0;cmd`) and fish's YAML-like one
/// keep each command on its line.
pub(crate) fn history_files() -> Vec<PathBuf> {
    let home = dirs::home_dir();
    let mut out: Vec<PathBuf> = Vec::new();
    if let Some(h) = std::env::var_os("HISTFILE").filter(|h| !h.is_empty()) {
        out.push(h.into());
    }
    if let Some(home) = &home {
        out.extend([".bash_history", ".zsh_history", ".zhistory", ".histfile"].map(|n| home.join(n)));
    }
    if let Some(z) = std::env::var_os("ZDOTDIR").filter(|z| !z.is_empty()) {
        let z = PathBuf::from(z);
        out.extend([".zsh_history", ".zhistory"].map(|n| z.join(n)));
    }
    if let Some(data) = dirs::data_dir() {
        out.push(data.join("fish").join("fish_history"));
    }
    let mut seen = Vec::new();
    out.retain(|p| match p.canonicalize() {
        Ok(c) if p.is_file() && !seen.contains(&c) => {
            seen.push(c);
            true
        }
        _ => false,
    });
    out
}

pub(crate) fn shell_history(needles: &Needles, report: &mut Report) -> Vec<PathBuf> {
    let files = history_files();
    let mut buf = Vec::new();
    for p in &files {
        let path = p.to_string_lossy();
        match std::fs::File::open(p).and_then(|f| needles.search(f, &mut buf)) {
            Ok(hits) => report.add(Source::ShellHistory, &path, hits),
            Err(err) => report.unreadable.push(format!("{}: {err}", crate::text::escape(&path))),
        }
    }
    files
}

/// Run git with `args` in the current directory; its stdout, or why it failed (exit 2 when this
/// is not a repository, as the user then asked for something that cannot be).
fn git<S: AsRef<OsStr>>(args: &[S]) -> Result<Vec<u8>> {
    let out = Command::new("git").args(args).stdin(Stdio::null()).output().map_err(|e| {
        error::usage(format!("cannot run git: {e}")).hint("install git, or scan without --git and --staged")
    })?;
    if !out.status.success() {
        let why = String::from_utf8_lossy(&out.stderr);
        let why = why.lines().find(|l| !l.trim().is_empty()).unwrap_or("no reason given").trim();
        return Err(error::usage(format!("git failed: {}", crate::text::escape(why)))
            .hint("run it inside a git repository, with a revision range git knows (e.g. main..HEAD)")
            .into());
    }
    Ok(out.stdout)
}

/// Read each blob once through one `git cat-file --batch`, searching it as it arrives.
fn blobs(needles: &Needles, ids: &[(String, String)], source: Source, report: &mut Report) -> Result<()> {
    if ids.is_empty() {
        return Ok(());
    }
    let mut child = Command::new("git")
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let list: Vec<u8> = ids.iter().flat_map(|(id, _)| format!("{id}\n").into_bytes()).collect();
    // Written from a thread of its own: git answers while it reads, and both pipes are bounded.
    let writer = std::thread::spawn(move || stdin.write_all(&list));
    let mut out = BufReader::with_capacity(1 << 16, child.stdout.take().expect("piped"));
    let mut header = Vec::new();
    let mut blob = Vec::new();
    let mut buf = Vec::new();
    for (id, path) in ids {
        header.clear();
        out.read_until(b'\n', &mut header)?;
        let text = String::from_utf8_lossy(&header);
        let mut parts = text.split_whitespace();
        let (Some(got), Some(kind)) = (parts.next(), parts.next()) else {
            return Err(anyhow::anyhow!("git cat-file ended early"));
        };
        if kind == "missing" || got != id {
            report.unreadable.push(format!("{}: blob {id} is missing", crate::text::escape(path)));
            continue;
        }
        let size: usize =
            parts.next().and_then(|s| s.parse().ok()).ok_or_else(|| anyhow::anyhow!("git cat-file: bad header"))?;
        blob.resize(size + 1, 0);
        out.read_exact(&mut blob)?;
        if kind == "blob" {
            let hits = needles.search(&blob[..size], &mut buf)?;
            let start = report.findings.len();
            report.add(source, path, hits);
            for f in &mut report.findings[start..] {
                f.blob = Some(id.clone());
            }
        }
    }
    drop(out);
    let _ = writer.join();
    child.wait()?;
    Ok(())
}

/// What `git commit` would record now: the staged version of each added or changed file.
pub(crate) fn staged(needles: &Needles, report: &mut Report) -> Result<()> {
    let raw = git(&["diff", "--cached", "--raw", "-z", "--no-abbrev", "--no-renames", "--diff-filter=AMT"])?;
    // `:old-mode new-mode old-id new-id status` NUL `path` NUL, repeated.
    let mut ids = Vec::new();
    let mut fields = raw.split(|&b| b == 0).filter(|f| !f.is_empty());
    while let (Some(meta), Some(path)) = (fields.next(), fields.next()) {
        let meta = String::from_utf8_lossy(meta);
        if let Some(new) = meta.split_whitespace().nth(3)
            && meta.split_whitespace().nth(1) != Some("160000")
        {
            ids.push((new.to_string(), String::from_utf8_lossy(path).into_owned()));
        }
    }
    blobs(needles, &ids, Source::Staged, report)
}

/// Every blob reachable from `range` (all refs when empty), each once; then, for the blobs that
/// hold a secret, the commits that add them.
pub(crate) fn history(needles: &Needles, range: &str, report: &mut Report) -> Result<()> {
    let mut args = vec!["rev-list", "--objects", "--filter=object:type=blob", "--filter-provided-objects"];
    let refs = if range.is_empty() { vec!["--all"] } else { vec!["--end-of-options", range] };
    args.extend(&refs);
    let listing = git(&args)?;
    let mut ids = Vec::new();
    for line in listing.split(|&b| b == b'\n') {
        let line = String::from_utf8_lossy(line);
        if let Some((id, path)) = line.split_once(' ') {
            ids.push((id.to_string(), path.to_string()));
        }
    }
    let start = report.findings.len();
    blobs(needles, &ids, Source::Git, report)?;
    let mut found: Vec<String> = report.findings[start..].iter().filter_map(|f| f.blob.clone()).collect();
    found.sort();
    found.dedup();
    let mut adding = std::collections::HashMap::new();
    for blob in found {
        let find = format!("--find-object={blob}");
        let mut args = vec!["log", "--reverse", "--format=C%H", "--raw", "--no-abbrev", "--no-renames", "-m", &find];
        args.extend(&refs);
        let log = git(&args)?;
        let mut commits: Vec<String> = Vec::new();
        let mut current = "";
        let log = String::from_utf8_lossy(&log);
        for l in log.lines() {
            if let Some(c) = l.strip_prefix('C') {
                current = c;
            } else if l.starts_with(':')
                && l.split_whitespace().nth(3) == Some(blob.as_str())
                && commits.last().map(String::as_str) != Some(current)
            {
                commits.push(current.to_string());
            }
        }
        adding.insert(blob, commits);
    }
    for f in &mut report.findings[start..] {
        f.commits = f.blob.as_ref().and_then(|b| adding.get(b)).cloned().unwrap_or_default();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn shown_paths_drop_the_leading_dot_only_for_the_default_root() {
        use std::path::Path;
        assert_eq!(super::shown_path(Path::new("./a/b"), true), "a/b");
        assert_eq!(super::shown_path(Path::new("./a/b"), false), "./a/b");
    }
}
