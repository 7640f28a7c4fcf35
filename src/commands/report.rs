//! `doctor`'s report, for a vault file and a remote store alike: labelled lines for a person, or
//! with `--json` one object for a script; and the exit status of its worst finding.

use serde::Serialize;

use crate::error::{Code, Result};
use crate::ui::{escape_lines, out_line};

/// What one line of the report says.
#[derive(Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
enum State {
    /// `✓`: this is as it should be.
    Ok,
    /// `–`: worth knowing, not a problem.
    Note,
    /// `✗`: a problem; the exit status says which kind.
    Problem,
    /// A plain fact.
    Info,
}

#[derive(Serialize)]
struct Check {
    topic: String,
    /// It continues the topic above it: the text form shows it with no label.
    #[serde(skip)]
    continued: bool,
    state: State,
    text: String,
}

#[derive(Default)]
pub(crate) struct Report {
    checks: Vec<Check>,
    worst: Option<Code>,
    /// A problem with no exit code of its own (the server could not be reached): exit 1.
    failed: bool,
}

impl Report {
    /// A line; `text` may start with `✓ ` or `– ` to say it is fine or a note. An empty
    /// `label` continues the topic above.
    pub(crate) fn line(&mut self, label: &str, text: impl AsRef<str>) {
        let text = text.as_ref();
        let (state, rest) = match text {
            t if t.starts_with("✓ ") => (State::Ok, &t["✓ ".len()..]),
            t if t.starts_with("– ") => (State::Note, &t["– ".len()..]),
            t => (State::Info, t),
        };
        self.push(label, state, rest);
    }

    /// A problem whose kind is `code` (`None`: not reached, exit 1).
    pub(crate) fn problem(&mut self, code: impl Into<Option<Code>>, label: &str, text: impl AsRef<str>) {
        self.push(label, State::Problem, text.as_ref());
        match code.into() {
            None => self.failed = true,
            Some(c) if self.worst.is_none_or(|w| (c as u8) > (w as u8)) => self.worst = Some(c),
            Some(_) => {}
        }
    }

    fn push(&mut self, label: &str, state: State, text: &str) {
        let topic = match (label, self.checks.last()) {
            ("", Some(last)) => last.topic.clone(),
            _ => label.to_string(),
        };
        self.checks.push(Check { topic, continued: label.is_empty(), state, text: text.to_string() });
    }

    /// The exit status: 1 when something could not be reached, else the worst finding's code.
    fn status(&self) -> u8 {
        if self.failed { 1 } else { self.worst.map_or(0, |c| c as u8) }
    }

    /// Print the report (and, for a person, the verdict line); the exit status.
    pub(crate) fn finish(self, json: bool) -> Result<u8> {
        let status = self.status();
        if json {
            let v = serde_json::json!({ "checks": self.checks, "exit": status, "ok": status == 0 });
            out_line(&serde_json::to_string_pretty(&v)?, true)?;
            return Ok(status);
        }
        let mut out = String::new();
        for c in &self.checks {
            let label = if c.continued { "" } else { c.topic.as_str() };
            let mark = match c.state {
                State::Ok => "✓ ",
                State::Note => "– ",
                State::Problem => "✗ ",
                State::Info => "",
            };
            out.push_str(&format!("{label:<10} {}\n", escape_lines(&format!("{mark}{}", c.text))));
        }
        out.push_str(if status == 0 { "all is well\n" } else { "something needs attention (✗ above)\n" });
        out_line(&out, false)?;
        Ok(status)
    }
}
