//! The command-line interface: clap types and help text only. Read this file as the manual.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

mod args;
pub use args::*;

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

/// `Cli`'s whole command tree, every subcommand's arguments built.
pub fn full_command() -> clap::Command {
    let mut cmd = <Cli as clap::CommandFactory>::command();
    for sub in cmd.get_subcommands_mut() {
        sub.build();
    }
    cmd
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorWhen {
    Auto,
    Always,
    Never,
}

/// Each subcommand's arguments are built only when it is the one parsed (`defer`): a `get` need
/// not build `import`'s thirty arguments (a sixth of a `get`'s instructions, callgrind). What
/// needs the whole tree (man pages, completion) takes `full_command`.
#[derive(Subcommand, Debug)]
#[command(defer = true)]
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

    /// Replace a token's secret, at its provider too
    #[command(
        visible_alias = "rotate",
        after_help = "Examples:\
\n  tokctl regenerate deploy           # minted: prints the new secret\
\n  tokctl regenerate gitlab           # provider gitlab: rotated there, the new secret printed once\
\n  tokctl regenerate expo < new-token.txt   # imported, no provider: the new secret from stdin\
\n\
\nA minted token gets a fresh secret and its expiry renewed for the same lifetime; the old \
secret no longer verifies. A token whose provider can rotate (gitlab, npm, a command provider's \
--on-rotate hook) is rotated there: the new secret is sealed before success is reported, and a \
rotate request is never retried. GitHub cannot rotate a personal access token: make a new one \
and store it with `tokctl import NAME --replace`."
    )]
    Regenerate(RegenerateArgs),

    /// Revoke a token at its provider, then destroy its secret here and keep the record
    #[command(after_help = "Examples:\
\n  tokctl revoke leaked-token --yes\
\n  tokctl revoke old-ci --local --yes      # here only, the provider is not asked\
\n\
\nRevoking wipes the secret from the vault for good; the record stays so `list --all` and `log` \
remember it. A token that names a provider (gitlab, github, npm, a command provider's \
--on-revoke hook) is revoked there first; if the provider cannot be reached or refuses, it is \
still revoked here, and tokctl exits 1 or 5 saying what to do by hand.")]
    Revoke(RevokeArgs),

    /// Ask each token's provider whether it is valid, when it expires and what it may do
    #[command(after_help = "Examples:\
\n  tokctl inspect gitlab\
\n  tokctl inspect --all --json\
\n\
\nThe provider's expiry, scopes and last use are stored in the record and logged. A token the \
provider says is revoked or expired becomes `dead at provider`: `get` and `exec` refuse it (exit \
4) until a valid answer or `import NAME --replace`. Exit 0 when every token is valid, 4 when one \
is not, 5 when a provider refused the question, 1 when one could not be reached within \
TOKCTL_PROVIDER_TIMEOUT (default 10 s). Only your own vault's tokens are asked: not a remote \
store's or a bundle's, whose records others may have written.")]
    Inspect(InspectArgs),

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
terminal and exit status are its own. TOKCTL_VAULT_KEY, TOKCTL_PASSPHRASE, TOKCTL_AGE_IDENTITY \
and TOKCTL_AGE_IDENTITY_FILE are removed from its environment.")]
    Exec(ExecArgs),

    /// Print tokens as shell, dotenv, JSON or GitHub Actions assignments
    #[command(after_help = "Examples:\
\n  eval \"$(tokctl env -t expo)\"\
\n  tokctl env --scope ci --format github   # in a GitHub Actions step\
\n  tokctl env --format dotenv --out .env.local   # 0600, whatever the umask\
\n\
\nSelection works as for `exec`.")]
    Env(EnvArgs),

    /// Write a separate vault holding only some tokens, under a new key or to named recipients, for CI
    #[command(after_help = "Examples:\
\n  tokctl bundle -t expo -t bws --out .tokctl/ci.vault > ci-key.txt\
\n  tokctl bundle -t expo --out .tokctl/ci.age --to age1ql3z7hjy54pw3hyww5ayyfg7zqgvc7w3j2elw8zmrj2kg5sfn9aqmcac8p\
\n  tokctl bundle -t npm --out .tokctl/team.age --to @.tokctl/recipients.txt\
\n  tokctl bundle --refresh                  # re-seal every bundle that holds an old secret\
\n\
\nThe bundle is a vault of its own with a fresh random key, printed once on stdout: store that \
key as the one CI secret (TOKCTL_VAULT_KEY) and commit the bundle. Your personal key cannot \
open it, nor its key your vault. With --to it is an age file sealed to those recipients instead \
(no key is printed): opened with TOKCTL_AGE_IDENTITY or TOKCTL_AGE_IDENTITY_FILE, or by \
`age -d -i IDENTITY`, so re-bundling never changes CI's secret. The vault remembers each bundle \
it wrote; `regenerate`, `revoke` and `import --replace` name the bundles they make stale.")]
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

    /// Find the vault's secrets in files, git history, the index or shell history
    #[command(after_help = "Examples:\
\n  tokctl scan                       # the current directory, as ripgrep would search it\
\n  tokctl scan --git                 # every blob of every commit, each read once\
\n  tokctl scan --staged              # what `git commit` would record (a pre-commit hook)\
\n  tokctl scan --shell-history ~/notes\
\n\
\nEvery secret the vault holds (8 characters or more) is looked for as it is, in base64 \
(standard and URL-safe, at any alignment), URL-encoded and JSON-escaped; revoked tokens of known \
formats (tokctl's own, ghp_, github_pat_, glpat-, npm_) by their kept hash. A finding names the \
place, the token, the encoding, its status and the command that replaces it, never the secret \
or the line. Exit 0: nothing found; 9: found.")]
    Scan(ScanArgs),

    /// Copy stdin to stdout with every secret of the vault replaced by ***
    #[command(after_help = "Examples:\
\n  make deploy 2>&1 | tokctl redact\
\n  tokctl redact < build.log > build.redacted.log\
\n\
\nEvery secret of 8 characters or more, and its base64, URL-encoded and JSON-escaped forms, \
becomes ***, also when a copy is split across reads. Output is written as it comes: only bytes \
that may still begin a secret are held back.")]
    Redact,

    /// Fill {{ tokctl:NAME }} placeholders in a template (an .npmrc, a docker config, a kubeconfig)
    #[command(after_help = "Examples:\
\n  tokctl inject -i .npmrc.tmpl -o .npmrc\
\n  tokctl inject -i docker-config.tmpl -o ~/.docker/config.json\
\n\
\nA placeholder is {{ tokctl:NAME }}, or with a filter: {{ tokctl:NAME | json }} (escaped for \
inside a JSON string), | base64, | basicauth (base64 of USERNAME:SECRET, what a docker config's \
\"auth\" holds; the username is x-access-token for a GitHub token, oauth2 for a GitLab one, tokctl \
otherwise). Other {{ … }} text is left as it is. All or nothing: one missing, expired or revoked \
token and nothing is written. The output file is created 0600, replacing what was there (never \
written through a symlink). The names used are said on stderr.")]
    Inject(InjectArgs),

    /// Answer git's and registries' credential requests from the vault (git, docker)
    #[command(after_help = "Examples:\
\n  git config --global credential.helper '!tokctl credential git'\
\n  ln -s \"$(command -v tokctl)\" ~/.local/bin/docker-credential-tokctl   # then \"credsStore\": \"tokctl\"\
\n  tokctl update gh-work --host github.com/my-company\
\n  tokctl update gh-personal --host github.com\
\n\
\ngit asks with `get` (the token whose --host matches the request best, or the one a trusted \
project file's [git] table names for it, is answered as username and password), `store` (tokctl \
keeps nothing) and `erase` (git was refused: logged, and shown by doctor; nothing is deleted). \
Only https, and http to this machine, are answered. An expired or revoked token answers nothing, \
so git moves on, and says why on stderr. Paths count only with git's credential.useHttpPath.\
\n\
\ndocker (and podman, skopeo, buildah through credHelpers) call `docker-credential-tokctl get|list|\
store|erase`: login stores the registry's token in your own vault, get answers by the \
registry's host and port, logout deletes only what login stored.")]
    Credential(CredentialArgs),
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
