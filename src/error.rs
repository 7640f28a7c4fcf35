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

/// An error whose kind decides the exit code. `main` finds it anywhere in an `anyhow` chain.
#[derive(Debug)]
pub struct Error {
    pub code: Code,
    pub message: String,
    pub hint: Option<String>,
}

impl Error {
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Error { code, message: message.into(), hint: None }
    }
    pub fn hint(mut self, hint: impl Into<String>) -> Self {
        self.hint = Some(hint.into());
        self
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
