//! Shell completion: the clap command with token-name candidates attached. Names are offered
//! only when the vault opens without a prompt (from `TOKCTL_VAULT_KEY` or the OS keyring, given
//! up after 2 s); otherwise silently nothing. Kept apart from `cli`, which knows no storage.

use clap_complete::engine::{ArgValueCandidates, CompletionCandidate};
use clap_complete::env::{Bash, Elvish, EnvCompleter, Fish, Powershell, Zsh};

use crate::cli::Shell;
use crate::keystore;
use crate::unlock::{self, Sources};
use crate::vault::Envelope;

const KEYRING_WAIT_SECS: u64 = 2;

/// The environment variable through which a shell asks `tokctl` for completions.
pub const VAR: &str = "TOKCTL_COMPLETE";

/// Every shell, with the file its registration script has in `completions/`.
pub const SHELLS: [(Shell, &str); 5] = [
    (Shell::Bash, "tokctl.bash"),
    (Shell::Zsh, "_tokctl"),
    (Shell::Fish, "tokctl.fish"),
    (Shell::Powershell, "_tokctl.ps1"),
    (Shell::Elvish, "tokctl.elv"),
];

/// The registration script for `shell`: on TAB the shell runs `tokctl` itself with `VAR` set,
/// so flags always match the binary and token names come from the vault.
pub fn registration(shell: Shell) -> Vec<u8> {
    let completer: &dyn EnvCompleter = match shell {
        Shell::Bash => &Bash,
        Shell::Zsh => &Zsh,
        Shell::Fish => &Fish,
        Shell::Powershell => &Powershell,
        Shell::Elvish => &Elvish,
    };
    let mut out = Vec::new();
    completer.write_registration(VAR, "tokctl", "tokctl", "tokctl", &mut out).expect("writing to memory");
    out
}

/// The subcommands and arguments that take an existing token's name.
const TOKEN_ARGS: &[(&str, &str)] = &[
    ("show", "name"),
    ("get", "name"),
    ("update", "name"),
    ("regenerate", "name"),
    ("revoke", "name"),
    ("inspect", "names"),
    ("delete", "name"),
    ("log", "name"),
    ("exec", "tokens"),
    ("env", "tokens"),
    ("bundle", "tokens"),
];

/// `Cli`'s command, with token names offered where a token is named.
pub fn command() -> clap::Command {
    let mut cmd = crate::cli::full_command();
    for (sub, arg) in TOKEN_ARGS {
        cmd = cmd.mut_subcommand(*sub, |s| s.mut_arg(*arg, |a| a.add(ArgValueCandidates::new(token_names))));
    }
    cmd
}

fn token_names() -> Vec<CompletionCandidate> {
    names().unwrap_or_default().into_iter().map(CompletionCandidate::new).collect()
}

fn quick_keyring(account: &str) -> Result<crate::secret::Key, keystore::Miss> {
    keystore::load_within(account, KEYRING_WAIT_SECS)
}

fn names() -> Option<Vec<String>> {
    let path = match crate::settings::get().vault.clone() {
        Some(p) => p,
        None => crate::access::default_vault_path().ok()?,
    };
    let env = Envelope::parse(&std::fs::read(&path).ok()?).ok()?;
    // The one unlock order, with a short keyring wait and no one to ask.
    let sources = Sources { env_passphrase: None, keyring: &quick_keyring, ..Sources::from_env(&unlock::Never).ok()? };
    let key = unlock::unlock(&path, &env, &sources).ok()?.key;
    let payload = env.open(&key).ok()?;
    Some(payload.records.iter().filter(|r| r.revoked_at.is_none()).map(|r| r.name.clone()).collect())
}
