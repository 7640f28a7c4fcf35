//! The command-line interface: clap types and help text only. Read this file as the manual.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

const AFTER: &str = "\
Exit status: 0 ok, 1 unexpected failure, 2 usage error, 3 not found, 4 token expired or revoked,
5 vault locked, 6 vault damaged, 7 name already exists, 8 project file not trusted.";

/// Give every personal access token a proper life: named, scoped, expiring, encrypted at rest
/// with its key in the OS keyring, printed for `login --with-token`, injected into commands,
/// regenerated and revoked.
#[derive(Parser, Debug)]
#[command(name = "tokctl", version, about, after_help = AFTER, max_term_width = 100)]
pub struct Cli {
    /// The vault file, or a remote store (openbao+https://HOST:PORT/MOUNT/PREFIX) [default: <data
    /// dir>/tokctl/vault.toml]
    #[arg(long, global = true, env = "TOKCTL_VAULT", value_name = "PATH|URL")]
    pub vault: Option<PathBuf>,

    /// When to colour output (NO_COLOR is respected under `auto`)
    #[arg(long, global = true, value_enum, default_value_t = ColorWhen::Auto, value_name = "WHEN")]
    pub color: ColorWhen,

    /// Say nothing on stderr but errors
    #[arg(short, long, global = true)]
    pub quiet: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

#[derive(Subcommand, Debug)]
pub enum Command {
    /// Create the vault and put its key in the OS keyring
    #[command(after_help = "Example:\
\n  tokctl init\
\n  TOKCTL_KEYRING=none TOKCTL_PASSPHRASE=… tokctl init   # headless: passphrase only\
\n\
\nEvery writing command does this by itself when there is no vault yet.")]
    Init,

    /// Mint a new random token and print it once
    #[command(after_help = "Example:\
\n  tokctl create deploy --scope repo:write --expires 30d --env DEPLOY_TOKEN\
\n\
\nThe secret goes to stdout; where it is stored and when it expires goes to stderr. Tokens \
expire after 90 days unless --expires says otherwise: a forgotten token should die on its own. \
A provider's name (expo, bws, gh, gitlab, npm, cargo, hf, choreo…) is refused without --force: \
the provider issues those tokens, so store its token with `tokctl import NAME` instead.")]
    Create(CreateArgs),

    /// Store a secret issued elsewhere, read from stdin
    #[command(
        visible_alias = "add",
        after_help = "Examples:\
\n  tokctl import expo < expo-token.txt\
\n  gh auth token | tokctl import gh --scope repo\
\n  tokctl import gh --replace < new-token.txt   # the provider's replacement for a leaked one\
\n  tokctl import --dotenv .env --skip-existing\
\n\
\nOn a terminal you are asked for the secret without echo. A secret is never taken from the \
command line. A provider's name or secret format picks the variable its CLI reads (bws -> \
BWS_ACCESS_TOKEN, a ghp_ token -> GH_TOKEN); --env wins. A JWT with an `exp` claim expires \
then, unless --expires says otherwise."
    )]
    Import(ImportArgs),

    /// List tokens
    #[command(
        visible_alias = "ls",
        after_help = "Examples:\
\n  tokctl list\
\n  tokctl list --all --json\
\n  tokctl list --expiring 14d"
    )]
    List(ListArgs),

    /// Show one token's metadata (never the secret)
    #[command(after_help = "Example:\
\n  tokctl show expo --json")]
    Show(ShowArgs),

    /// Print a token's secret, for `some-cli login --with-token`
    #[command(after_help = "Example:\
\n  tokctl get choreo | choreo login --with-token\
\n\
\nExpired and revoked tokens are refused (exit 4).")]
    Get(GetArgs),

    /// Change a token's metadata; the secret is untouched
    #[command(after_help = "Examples:\
\n  tokctl update expo --rename expo-ci --add-scope publish\
\n  tokctl update gh --expires 2027-01-31 --note 'CI only'\
\n  tokctl update deploy --rotate-every 30d")]
    Update(UpdateArgs),

    /// Replace a token's secret
    #[command(
        visible_alias = "rotate",
        after_help = "Examples:\
\n  tokctl regenerate deploy           # minted: prints the new secret\
\n  tokctl regenerate expo < new-token.txt   # imported: the new secret from stdin\
\n\
\nA minted token gets a fresh secret and its expiry renewed for the same lifetime; the old \
secret no longer verifies."
    )]
    Regenerate(RegenerateArgs),

    /// Destroy a token's secret and keep the record as revoked
    #[command(after_help = "Example:\
\n  tokctl revoke leaked-token --yes\
\n\
\nRevoking wipes the secret from the vault for good; the record stays so `list --all` and `log` \
remember it. Revoke it at the provider too: tokctl cannot reach the service that issued an \
imported token.")]
    Revoke(ConfirmArgs),

    /// Remove a token's record entirely
    #[command(
        visible_alias = "rm",
        after_help = "Example:\
\n  tokctl delete old-token --yes"
    )]
    Delete(ConfirmArgs),

    /// Check a presented token read from stdin; prints its name
    #[command(after_help = "Example:\
\n  printf '%s' \"$TOKEN\" | tokctl verify --scope deploy\
\n\
\nExit 0 and the name when the token is known, active and carries every --scope; 3 when \
unknown; 4 otherwise.")]
    Verify(VerifyArgs),

    /// Run a command with tokens in its environment
    #[command(after_help = "Examples:\
\n  tokctl exec -t expo -- eas build\
\n  tokctl exec -t gh=GITHUB_TOKEN --scope ci -- ./deploy.sh --prod\
\n  tokctl exec --mask -- make release        # tokens from .tokctl.toml, secrets shown as ***\
\n\
\nTokens come from -t NAME[=VAR], --scope S (every active token carrying S), or the [env] table \
of the nearest .tokctl.toml; never everything. Every token must be active or the command does \
not start (exit 3 or 4). Without --mask tokctl becomes the command (execvp): its signals, \
terminal and exit status are its own. TOKCTL_VAULT_KEY and TOKCTL_PASSPHRASE are removed from \
its environment.")]
    Exec(ExecArgs),

    /// Print tokens as shell, dotenv, JSON or GitHub Actions assignments
    #[command(after_help = "Examples:\
\n  eval \"$(tokctl env -t expo)\"\
\n  tokctl env --scope ci --format github   # in a GitHub Actions step\
\n  tokctl env --format dotenv --out .env.local   # 0600, whatever the umask\
\n\
\nSelection works as for `exec`.")]
    Env(EnvArgs),

    /// Write a separate vault holding only some tokens, under a new key, for CI
    #[command(after_help = "Example:\
\n  tokctl bundle -t expo -t bws --out .tokctl/ci.vault > ci-key.txt\
\n\
\nThe bundle is a vault of its own with a fresh random key, printed once on stdout: store that \
key as the one CI secret (TOKCTL_VAULT_KEY) and commit the bundle. Your personal key cannot \
open it, nor its key your vault.")]
    Bundle(BundleArgs),

    /// Copy tokens to another vault or remote store
    #[command(after_help = "Examples:\
\n  tokctl copy -t deploy -t npm --to openbao+https://bao.example.com:8200/secret/team\
\n  tokctl --vault openbao+https://bao.example.com:8200/secret/team copy -t deploy --to ~/vault.toml\
\n\
\nA name that already exists at LOCATION is a conflict (exit 7): nothing is overwritten.")]
    Copy(CopyArgs),

    /// Keep a token for a remote store in the OS keyring, read from stdin
    #[command(after_help = "Example:\
\n  bao print token | tokctl login openbao+https://bao.example.com:8200/secret/team\
\n\
\nThe token is checked with the server, then kept under service `tokctl`, account \
`server:https://HOST:PORT`: one login serves every mount and prefix on that server. BAO_TOKEN, \
VAULT_TOKEN and AppRole (BAO_ROLE_ID + BAO_SECRET_ID) come first when set.")]
    Login(LoginArgs),

    /// Forget the token `tokctl login` kept for a remote store
    #[command(after_help = "Example:\
\n  tokctl logout openbao+https://bao.example.com:8200/secret/team")]
    Logout(LoginArgs),

    /// The vault's history, newest first
    #[command(after_help = "Example:\
\n  tokctl log expo")]
    Log(LogArgs),

    /// Explain this machine's setup and what needs attention
    #[command(after_help = "Example:\
\n  tokctl doctor --within 14d --unused 60d\
\n\
\nFlags tokens expired or expiring within --within, due for rotation (--rotate-every), and \
active tokens unused for --unused (bundles record no uses, so their tokens are never called \
unused).")]
    Doctor(DoctorArgs),

    /// Manage the vault key: export, rotate, passphrase, import
    #[command(
        subcommand,
        after_help = "Examples:\
\n  tokctl key export > vault-key.txt          # for TOKCTL_VAULT_KEY in CI or on another machine\
\n  tokctl key passphrase                      # also unlock with a passphrase (8 characters or more)\
\n  tokctl key export | ssh host tokctl key import\
\n  tokctl key rotate                          # a new key; every exported one stops working"
    )]
    Key(KeyCommand),

    /// Keep the vault's key in this login session's unlock cache for a while
    #[command(after_help = "Examples:\
\n  tokctl unlock            # 15 minutes\
\n  tokctl unlock --for 8h   # a working day on a headless box\
\n\
\nAfterwards every command of this login session (a desktop or SSH login, or `keyctl session`) \
opens the vault with no keyring call and no passphrase until the time is up or `tokctl lock`. \
The key is held by the kernel (keyutils) with a timeout; commands started by `tokctl exec` \
cannot read it. Where a process has no login session of its own (containers, CI jobs, cron, \
plain `su`) the cache is not available (exit 2) and commands unlock as before. Opening the vault \
from the OS keyring also caches its key, for TOKCTL_CACHE_TTL (default 5m; 0 or off disables the \
cache).")]
    Unlock(UnlockArgs),

    /// Remove the vault's key from this login session's unlock cache
    #[command(after_help = "Examples:\
\n  tokctl lock\
\n  tokctl lock --all   # every vault this session has unlocked")]
    Lock(LockArgs),

    /// Keep a vault that is an older copy of itself (after a backup restore), on purpose
    #[command(
        name = "accept-rollback",
        after_help = "Example:\n  tokctl accept-rollback\n\n\
When a vault file is replaced by an older copy of itself, every command refuses it (exit 6): an\n\
older copy can bring back tokens you revoked. This moves the older copy forward as the current\n\
vault. Revocations recorded in the log after that copy was made are applied again; tokens\n\
regenerated or deleted since are named, so you can act on them."
    )]
    AcceptRollback,

    /// Trust a project file (.tokctl.toml), so its [env] and vault are used
    #[command(after_help = "Examples:\
\n  tokctl trust                 # the nearest .tokctl.toml, after showing what it asks for\
\n  tokctl trust --list\
\n  tokctl trust --revoke ./.tokctl.toml\
\n\
\nA project file is used only once trusted, and only while its content is unchanged, it is \
owned by you (or root) and no one else can write it. Exempt: a file whose vault is a file \
inside its own directory tree, opened by TOKCTL_VAULT_KEY alone (a committed CI bundle).")]
    Trust(TrustArgs),

    /// Print a shell's completion script
    #[command(after_help = "Examples:\
\n  tokctl completion bash > ~/.local/share/bash-completion/completions/tokctl\
\n  tokctl completion zsh > ~/.zfunc/_tokctl            # a directory on your $fpath\
\n  tokctl completion fish > ~/.config/fish/completions/tokctl.fish\
\n\
\nThe script asks the tokctl on your PATH at each TAB, so flags always match the binary; token \
names are offered when the vault opens without a prompt. The same scripts are in completions/ \
in the repository.")]
    Completion(CompletionArgs),

    /// Write the man pages (tokctl.1 and one per subcommand)
    #[command(after_help = "Examples:\
\n  tokctl man --out ~/.local/share/man/man1   # then: man tokctl-exec\
\n  tokctl man | man -l -                       # read tokctl(1) without installing\
\n\
\nWithout --out, tokctl.1 goes to stdout. Pages are written 0644, each by a rename, never \
through a symlink left in its place; the directory is created when missing.")]
    Man(ManArgs),
}

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
    #[arg(short = 't', long = "token", value_name = "NAME", required = true)]
    pub tokens: Vec<String>,
    /// Where to write the bundle
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
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
}

#[derive(Subcommand, Debug)]
pub enum KeyCommand {
    /// Print the vault key, for TOKCTL_VAULT_KEY on another machine or in CI
    #[command(after_help = "Example:\
\n  tokctl key export   # keep it somewhere safe: it opens the vault")]
    Export,
    /// Make a new vault key; every exported key stops working
    #[command(after_help = "Example:\
\n  tokctl key rotate")]
    Rotate,
    /// Add or change a passphrase that can also unlock the vault
    #[command(after_help = "Examples:\
\n  tokctl key passphrase                       # asks twice, no echo\
\n  printf '%s\\n' \"$PASS\" | tokctl key passphrase   # first line of stdin\
\n\
\nA passphrase has at least 8 characters.")]
    Passphrase,
    /// Store this vault's key in this machine's OS keyring
    #[command(after_help = "Examples:\
\n  tokctl key export | ssh laptop2 tokctl key import\
\n  TOKCTL_PASSPHRASE=… tokctl key import   # unlocked by the passphrase")]
    Import,
}
