//! The arguments of each subcommand, as clap types with their help text.

use std::path::PathBuf;

use clap::{Args, ValueEnum};

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
    Elvish,
}

#[derive(Args, Debug)]
pub struct CompletionArgs {
    /// The shell to print the script for
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Args, Debug)]
pub struct ManArgs {
    /// The directory to write every page into (e.g. ~/.local/share/man/man1)
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug, Default)]
pub struct MetaArgs {
    /// A scope the token carries (repeatable)
    #[arg(long = "scope", value_name = "S")]
    pub scopes: Vec<String>,

    /// When it expires: 30d, 12h, 2w, 90m, 2027-01-31, 2027-01-31T12:00:00Z or never
    #[arg(long, value_name = "D", allow_hyphen_values = true)]
    pub expires: Option<String>,

    /// The environment variable `exec` and `env` use [default: from the name, e.g. EXPO_TOKEN]
    #[arg(long, value_name = "VAR")]
    pub env: Option<String>,

    /// Free text kept with the token
    #[arg(long, value_name = "T")]
    pub note: Option<String>,

    /// How often the secret should be rotated (e.g. 90d, 12w, or never): doctor, list and each use say when it is due
    #[arg(long, value_name = "D")]
    pub rotate_every: Option<String>,

    /// Answer git (`tokctl credential git`) for this host, or host/path (repeatable)
    #[arg(long = "host", value_name = "HOST[/PATH]")]
    pub hosts: Vec<String>,

    /// The username to present with the secret [default: x-access-token for GitHub, oauth2 for GitLab, else tokctl]
    #[arg(long, value_name = "U")]
    pub username: Option<String>,
}

/// Who issued a token and how tokctl acts there (`import`, `update`).
#[derive(Args, Debug, Default)]
pub struct ProviderArgs {
    /// Who issued the token: gitlab, github, npm, command or none [default on import: from the secret's format]
    #[arg(long, value_name = "P", value_parser = clap::builder::PossibleValuesParser::new(crate::vault::PROVIDER_WORDS))]
    pub provider: Option<String>,
    /// The provider's web address, for a self-managed instance (https; plain http only to this machine)
    #[arg(long, value_name = "URL")]
    pub provider_url: Option<String>,
    /// With --provider command: the command that makes a new secret (reads the old one on stdin, answers secret=…)
    #[arg(long, value_name = "CMD")]
    pub on_rotate: Option<String>,
    /// With --provider command: the command that revokes the secret it reads on stdin
    #[arg(long, value_name = "CMD")]
    pub on_revoke: Option<String>,
    /// With --provider command: the command that checks the secret it reads on stdin (answers valid=…)
    #[arg(long, value_name = "CMD")]
    pub on_inspect: Option<String>,
}

#[derive(Args, Debug)]
pub struct CreateArgs {
    /// The new token's name, e.g. github or deploy-ci (letters, digits, `.`, `_`, `-`)
    pub name: String,
    #[command(flatten)]
    pub meta: MetaArgs,
    /// What the secret starts with, so secret scanners can find it
    #[arg(long, default_value = "tok_", value_name = "P")]
    pub prefix: String,
    /// Mint even under a provider's name (expo, gh, bws…), whose real tokens come from the provider
    #[arg(long)]
    pub force: bool,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// The token's name (not with --dotenv)
    #[arg(required_unless_present = "dotenv", conflicts_with = "dotenv")]
    pub name: Option<String>,
    #[command(flatten)]
    pub meta: MetaArgs,
    /// Import every VAR=value line of a dotenv file (`-` for stdin) in one write
    #[arg(long, value_name = "FILE", conflicts_with_all = ["env", "note"])]
    pub dotenv: Option<PathBuf>,
    /// With --dotenv: leave names that already exist alone instead of failing
    // (clap's `requires` does not fire for this flag; `import::run` refuses it without --dotenv)
    #[arg(long)]
    pub skip_existing: bool,
    /// Put a new secret into the existing token NAME, whatever its status (the provider issued a
    /// replacement); its name, env, scopes and note stay unless given
    #[arg(long, conflicts_with_all = ["dotenv", "skip_existing"])]
    pub replace: bool,
    #[command(flatten)]
    pub issuer: ProviderArgs,
}

#[derive(Args, Debug)]
pub struct ListArgs {
    /// Include revoked tokens
    #[arg(long)]
    pub all: bool,
    /// Only tokens carrying this scope
    #[arg(long, value_name = "S")]
    pub scope: Option<String>,
    /// Only tokens expired or expiring within D (45s, 90m, 12h, 30d, 2w)
    #[arg(long, value_name = "D", allow_hyphen_values = true)]
    pub expiring: Option<String>,
    /// Machine-readable output
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ShowArgs {
    /// The token to show
    pub name: String,
    /// Print the record as JSON (the fields README.md lists; never the secret)
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct UnlockArgs {
    /// How long: 90s, 15m, 8h (45s, 90m, 12h, 30d, 2w); at most 24h
    #[arg(long = "for", value_name = "DURATION", default_value = "15m")]
    pub duration: String,
}

#[derive(Args, Debug)]
pub struct LockArgs {
    /// Remove every vault's key that tokctl cached in this session, not only this vault's
    #[arg(long)]
    pub all: bool,
}

#[derive(Args, Debug)]
pub struct GetArgs {
    /// The token whose secret to print
    pub name: String,
    /// Do not print a newline after the secret
    #[arg(short = 'n')]
    pub no_newline: bool,
}

#[derive(Args, Debug)]
pub struct UpdateArgs {
    /// The token to change
    pub name: String,
    /// A new name
    #[arg(long, value_name = "NEW")]
    pub rename: Option<String>,
    /// Replace all scopes with these (repeatable; `--scope ''` is refused: use --remove-scope)
    #[arg(long = "scope", value_name = "S")]
    pub scopes: Vec<String>,
    /// Add a scope (repeatable)
    #[arg(long = "add-scope", value_name = "S")]
    pub add_scopes: Vec<String>,
    /// Remove a scope (repeatable)
    #[arg(long = "remove-scope", value_name = "S")]
    pub remove_scopes: Vec<String>,
    /// The environment variable exec and env put the secret in
    #[arg(long, value_name = "VAR")]
    pub env: Option<String>,
    /// New expiry, from now: 30d, a date, or never
    #[arg(long, value_name = "D", allow_hyphen_values = true)]
    pub expires: Option<String>,
    /// Free text kept with the token, in place of the old note
    #[arg(long, value_name = "T")]
    pub note: Option<String>,
    /// How often the secret should be rotated (e.g. 90d), counted from when it was set; `never` drops it
    #[arg(long, value_name = "D")]
    pub rotate_every: Option<String>,
    /// Also answer git for this host, or host/path (repeatable)
    #[arg(long = "host", value_name = "HOST[/PATH]")]
    pub hosts: Vec<String>,
    /// No longer answer git for this host (repeatable)
    #[arg(long = "remove-host", value_name = "HOST[/PATH]")]
    pub remove_hosts: Vec<String>,
    /// The username to present with the secret; '' goes back to the provider's own
    #[arg(long, value_name = "U")]
    pub username: Option<String>,
    #[command(flatten)]
    pub issuer: ProviderArgs,
}

#[derive(Args, Debug)]
pub struct InspectArgs {
    /// The tokens to ask their providers about
    #[arg(value_name = "NAME", required_unless_present = "all", conflicts_with = "all")]
    pub names: Vec<String>,
    /// Every token that names a provider and still has its secret
    #[arg(long)]
    pub all: bool,
    /// Print JSON: one object per token
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// The token's name
    pub name: String,
    /// Do not ask for confirmation (it is only asked on a terminal)
    #[arg(short, long)]
    pub yes: bool,
    /// Only here: do not ask the provider to revoke it
    #[arg(long)]
    pub local: bool,
}

#[derive(Args, Debug)]
pub struct RegenerateArgs {
    /// The token to give a new secret (an imported one reads the provider's new token on stdin)
    pub name: String,
    /// New expiry instead of renewing the same lifetime
    #[arg(long, value_name = "D", allow_hyphen_values = true)]
    pub expires: Option<String>,
}

#[derive(Args, Debug)]
pub struct ConfirmArgs {
    /// The token's name
    pub name: String,
    /// Do not ask for confirmation (it is only asked on a terminal)
    #[arg(short, long)]
    pub yes: bool,
}

#[derive(Args, Debug)]
pub struct VerifyArgs {
    /// A scope the token must carry (repeatable)
    #[arg(long = "scope", value_name = "S")]
    pub scopes: Vec<String>,
    /// Print the token's name, id, scopes and expiry as JSON instead of its name
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug, Default)]
pub struct SelectArgs {
    /// A token to inject, as its env name or renamed with NAME=VAR (repeatable)
    #[arg(short = 't', long = "token", value_name = "NAME[=VAR]")]
    pub tokens: Vec<String>,
    /// Every active token carrying this scope (repeatable)
    #[arg(long = "scope", value_name = "S")]
    pub scopes: Vec<String>,
}

#[derive(Args, Debug)]
pub struct ExecArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// Stay as the parent and replace injected secrets in the output with ***
    #[arg(long)]
    pub mask: bool,
    /// Put the path of a 0600 file holding token NAME's secret in VAR; the file is removed when
    /// the command ends (repeatable)
    #[arg(long = "file", value_name = "VAR=NAME")]
    pub files: Vec<String>,
    /// The command and its arguments, passed exactly as given (no shell)
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EnvFormat {
    /// `export VAR='…'` lines, safe for eval
    Sh,
    /// `VAR='…'` lines
    Dotenv,
    /// One JSON object
    Json,
    /// Append to $GITHUB_ENV (multi-line safe) and print ::add-mask:: lines
    Github,
}

#[derive(Args, Debug)]
pub struct EnvArgs {
    #[command(flatten)]
    pub select: SelectArgs,
    /// How to print the variables
    #[arg(long, value_enum, default_value_t = EnvFormat::Sh)]
    pub format: EnvFormat,
    /// Write the assignments to FILE (created 0600, replaced whole) instead of stdout
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct BundleArgs {
    /// A token to put in the bundle (repeatable)
    #[arg(short = 't', long = "token", value_name = "NAME", required_unless_present = "refresh")]
    pub tokens: Vec<String>,
    /// Where to write the bundle
    #[arg(long, value_name = "FILE", required_unless_present = "refresh")]
    pub out: Option<PathBuf>,
    /// Seal to these recipients instead of a new key: age1…, an SSH public key (ssh-ed25519,
    /// ssh-rsa), or @FILE of such lines (repeatable)
    #[arg(long = "to", value_name = "RECIPIENT", num_args = 1.., action = clap::ArgAction::Append)]
    pub to: Vec<String>,
    /// Re-seal the bundles this vault wrote that hold an old secret (or the FILEs named) from
    /// today's secrets, to the same recipients; a key bundle gets a new key
    #[arg(long, conflicts_with_all = ["tokens", "out", "to"])]
    pub refresh: bool,
    /// With --refresh: the bundles to re-seal (default: every stale one)
    #[arg(value_name = "FILE", requires = "refresh")]
    pub files: Vec<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CopyArgs {
    /// A token to copy (repeatable)
    #[arg(short = 't', long = "token", value_name = "NAME", required = true)]
    pub tokens: Vec<String>,
    /// The vault file or remote store to copy them to
    #[arg(long, value_name = "PATH|URL")]
    pub to: PathBuf,
}

#[derive(Args, Debug)]
pub struct LoginArgs {
    /// The remote store: openbao+https://HOST:PORT/MOUNT/PREFIX (or vault+https://…)
    #[arg(value_name = "URL")]
    pub url: PathBuf,
}

#[derive(Args, Debug)]
pub struct LogArgs {
    /// Only this token's events
    pub name: Option<String>,
    /// Print the events as a JSON array (time, action, token, detail, chain)
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct DoctorArgs {
    /// Warn about tokens expiring within D (45s, 90m, 12h, 30d, 2w) [default: 7d]
    #[arg(long, value_name = "D", allow_hyphen_values = true)]
    pub within: Option<String>,
    /// Warn about tokens not used for D [default: 90d]
    #[arg(long, value_name = "D", allow_hyphen_values = true)]
    pub unused: Option<String>,
    /// Print the report as JSON: {"checks": [{"topic", "state", "text"}], "exit", "ok"}
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct TrustArgs {
    /// The project file [default: the nearest .tokctl.toml]
    #[arg(value_name = "FILE", conflicts_with = "list")]
    pub file: Option<PathBuf>,
    /// Stop trusting it
    #[arg(long, conflicts_with = "list")]
    pub revoke: bool,
    /// Show the trusted files
    #[arg(long)]
    pub list: bool,
    /// With --list: print a JSON array of {"path", "state"} (trusted, changed or missing)
    #[arg(long, requires = "list")]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct ScanArgs {
    /// Files and directories to search [default: . unless only --git, --staged or --shell-history is given]
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,
    /// Every blob of the repository's history, or of RANGE (e.g. main..HEAD) [default: all refs]
    #[arg(long, value_name = "RANGE", num_args = 0..=1, default_missing_value = "", allow_hyphen_values = false)]
    pub git: Option<String>,
    /// What is staged for commit (the index), for a pre-commit hook
    #[arg(long)]
    pub staged: bool,
    /// The shell history files of bash, zsh and fish
    #[arg(long)]
    pub shell_history: bool,
    /// Also search hidden files and files that .gitignore, .ignore or .rgignore leave out
    #[arg(long)]
    pub no_ignore: bool,
    /// Print the findings as a JSON array of {"source", "path", "commits", "line", "column", "token", "encoding", "status", "replace"}
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct InjectArgs {
    /// The template [default: stdin]
    #[arg(short = 'i', long = "in", value_name = "TEMPLATE")]
    pub input: Option<PathBuf>,
    /// Where to write the result, created 0600 [default: stdout]
    #[arg(short = 'o', long = "out", value_name = "FILE")]
    pub out: Option<PathBuf>,
}

#[derive(Args, Debug)]
pub struct CredentialArgs {
    /// The protocol spoken: git or docker
    #[arg(value_name = "HELPER")]
    pub helper: String,
    /// What is asked: get, store or erase (git: anything else is ignored, as its protocol says),
    /// and list (docker)
    #[arg(value_name = "ACTION")]
    pub action: String,
}
