//! The `tokctl` binary: parse, run, turn the outcome into an exit code.
#![forbid(unsafe_code)]

use std::process::ExitCode;

use clap::{CommandFactory, FromArgMatches};

fn main() -> ExitCode {
    tokctl::os::harden();
    // Answers the shell's completion requests (TOKCTL_COMPLETE=bash tokctl …) and exits; else
    // no-op. Never clap's default `COMPLETE`: a user may have that set for anything, and it
    // would turn every command into printing a script.
    clap_complete::CompleteEnv::with_factory(tokctl::complete::command).var(tokctl::complete::VAR).complete();
    let cli = parse();
    match tokctl::run(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => report(&err),
    }
}

/// `Cli::parse()`, the same parse and the same errors, except that the clap `Command` (every
/// subcommand and argument, built for this one parse) is never freed: the process is about to
/// end anyway, and dropping it took ~110k instructions, a tenth of a `get` (callgrind).
fn parse() -> tokctl::cli::Cli {
    let mut cmd = tokctl::cli::Cli::command();
    let mut matches = cmd.try_get_matches_from_mut(args()).unwrap_or_else(|e| e.exit());
    let cli = tokctl::cli::Cli::from_arg_matches_mut(&mut matches).unwrap_or_else(|e| e.format(&mut cmd).exit());
    std::mem::forget(cmd);
    cli
}

/// The command line; called through a link named `docker-credential-tokctl` (docker's and
/// containers' credential-helper convention), `docker-credential-tokctl ACTION` is
/// `tokctl credential docker ACTION`.
fn args() -> Vec<std::ffi::OsString> {
    let mut args: Vec<std::ffi::OsString> = std::env::args_os().collect();
    let called = args.first().and_then(|a| std::path::Path::new(a).file_name().map(|n| n.to_os_string()));
    if called.as_deref() == Some(std::ffi::OsStr::new("docker-credential-tokctl")) {
        let rest = args.split_off(1);
        args = ["tokctl", "credential", "docker"].map(std::ffi::OsString::from).into_iter().chain(rest).collect();
    }
    args
}

/// Print `tokctl: …` lines and pick the exit code from the first typed error in the chain.
fn report(err: &anyhow::Error) -> ExitCode {
    let broken_pipe = err
        .chain()
        .any(|c| c.downcast_ref::<std::io::Error>().is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe));
    if broken_pipe {
        return ExitCode::SUCCESS;
    }
    tokctl::print_error(err);
    ExitCode::from(tokctl::error::exit_code(err))
}
