//! Typed errors that carry their exit code, and the exit codes themselves.
//!
//! Every message names what failed and, on a second line, what to do about it. No message ever
//! contains a secret: callers pass names, paths and causes, never token values.

use std::fmt;

/// The documented exit codes (README.md, "Exit codes").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    Usage = 2,
    NotFound = 3,
    Unusable = 4,
    Locked = 5,
    Damaged = 6,
    Conflict = 7,
    NotTrusted = 8,
    /// The command `exec` was to run exists but cannot be run, as a shell reports it.
    NotExecutable = 126,
    /// The command `exec` was to run was not found.
    CommandNotFound = 127,
}

/// What an error is about, for a caller that decides or words its own message by it: callers
/// match on this, never on the message's text.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Detail {
    /// No token has this name; `close` is the nearest name, when one is close enough.
    NoSuchToken { name: String, close: Option<String> },
    /// A project file that is not used; `why` says why, without its path.
    Untrusted { why: String },
}

/// An error whose kind decides the exit code. `main` finds it anywhere in an `anyhow` chain.
#[derive(Debug)]
pub struct Error {
    pub code: Code,
    pub message: String,
    pub hint: Option<String>,
    pub detail: Option<Detail>,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), hint: None, detail: None }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
    }
    pub fn detail(mut self, detail: Detail) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// The exit code `e` stands for: that of the first typed error in its chain, else 1.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    e.chain().find_map(|c| c.downcast_ref::<Error>()).map_or(1, |x| x.code as u8)
}

/// What to say about `e`, line by line as tokctl wrote it (a hint is a line of its own), each
/// line's control characters escaped: one of ours alone is its message and hint, anything else
/// its whole chain.
pub fn lines(e: &anyhow::Error) -> Vec<String> {
    let text = match e.downcast_ref::<Error>() {
        Some(t) if e.chain().count() == 1 => t.to_string(),
        _ => format!("{e:#}"),
    };
    text.trim_end_matches('\n').split('\n').map(|l| crate::text::escape(l).into_owned()).collect()
}

/// The detail of `e`, when it is one of ours and carries one.
pub fn detail_of(e: &anyhow::Error) -> Option<&Detail> {
    e.downcast_ref::<Error>().and_then(|x| x.detail.as_ref())
}

/// `e` said about something: "WHAT: its message", with `code` (its own when `None`) and its hint
/// when it has one; an error that is not one of ours keeps its text as the message.
pub fn within(e: anyhow::Error, what: impl std::fmt::Display, code: Option<Code>) -> anyhow::Error {
    match e.downcast::<Error>() {
        Ok(x) => Error { code: code.unwrap_or(x.code), message: format!("{what}: {}", x.message), ..x }.into(),
        Err(other) => match code {
            Some(c) => Error::new(c, format!("{what}: {other}")).into(),
            None => other.context(what.to_string()),
        },
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)?;
        if let Some(h) = &self.hint {
            write!(f, "\n{h}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Error {}

macro_rules! ctor {
    ($($name:ident => $code:ident),* $(,)?) => {
        $(pub fn $name(message: impl Into<String>) -> Error { Error::new(Code::$code, message) })*
    };
}
ctor!(usage => Usage, not_found => NotFound, unusable => Unusable, locked => Locked, damaged => Damaged, conflict => Conflict);

pub type Result<T, E = anyhow::Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn within_keeps_the_hint_and_detail_and_may_change_the_code() {
        let inner: anyhow::Error = not_found("no token named 'x'")
            .hint("did you mean 'y'?")
            .detail(Detail::NoSuchToken { name: "x".into(), close: Some("y".into()) })
            .into();
        let e = within(inner, "line 3", Some(Code::Usage));
        let x = e.downcast_ref::<Error>().unwrap();
        assert_eq!(
            (x.code, x.message.as_str(), x.hint.as_deref()),
            (Code::Usage, "line 3: no token named 'x'", Some("did you mean 'y'?"))
        );
        assert_eq!(detail_of(&e), Some(&Detail::NoSuchToken { name: "x".into(), close: Some("y".into()) }));
        let plain = within(anyhow::anyhow!("disk full"), "writing", None);
        assert_eq!(format!("{plain:#}"), "writing: disk full");
        assert!(detail_of(&plain).is_none());
    }
}
