
use builtin;
use str;

set edit:completion:arg-completer[tokctl] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'tokctl'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'tokctl'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand -V 'Print version'
            cand --version 'Print version'
            cand init 'Create the vault and put its key in the OS keyring'
            cand create 'Mint a new random token and print it once'
            cand import 'Store a secret issued elsewhere, read from stdin (alias: add)'
            cand add 'Store a secret issued elsewhere, read from stdin (alias: add)'
            cand list 'List tokens (alias: ls)'
            cand ls 'List tokens (alias: ls)'
            cand show 'Show one token''s metadata (never the secret)'
            cand get 'Print a token''s secret, for `some-cli login --with-token`'
            cand update 'Change a token''s metadata; the secret is untouched'
            cand regenerate 'Replace a token''s secret (alias: rotate)'
            cand rotate 'Replace a token''s secret (alias: rotate)'
            cand revoke 'Destroy a token''s secret and keep the record as revoked'
            cand delete 'Remove a token''s record entirely (alias: rm)'
            cand rm 'Remove a token''s record entirely (alias: rm)'
            cand verify 'Check a presented token read from stdin; prints its name'
            cand exec 'Run a command with tokens in its environment'
            cand env 'Print tokens as shell, dotenv, JSON or GitHub Actions assignments'
            cand bundle 'Write a separate vault holding only some tokens, under a new key, for CI'
            cand log 'The vault''s history, newest first'
            cand doctor 'Explain this machine''s setup and what needs attention'
            cand key 'Manage the vault key: export, rotate, passphrase, import'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tokctl;init'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;create'= {
            cand --scope 'A scope the token carries (repeatable)'
            cand --expires 'When it expires: 30d, 12h, 2w, 90m, 2027-01-31, 2027-01-31T12:00:00Z or never'
            cand --env 'The environment variable `exec` and `env` use [default: from the name, e.g. EXPO_TOKEN]'
            cand --note 'Free text kept with the token'
            cand --prefix 'What the secret starts with, so secret scanners can find it'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;import'= {
            cand --scope 'A scope the token carries (repeatable)'
            cand --expires 'When it expires: 30d, 12h, 2w, 90m, 2027-01-31, 2027-01-31T12:00:00Z or never'
            cand --env 'The environment variable `exec` and `env` use [default: from the name, e.g. EXPO_TOKEN]'
            cand --note 'Free text kept with the token'
            cand --dotenv 'Import every VAR=value line of a dotenv file (`-` for stdin) in one write'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand --skip-existing 'With --dotenv: leave names that already exist alone instead of failing'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;add'= {
            cand --scope 'A scope the token carries (repeatable)'
            cand --expires 'When it expires: 30d, 12h, 2w, 90m, 2027-01-31, 2027-01-31T12:00:00Z or never'
            cand --env 'The environment variable `exec` and `env` use [default: from the name, e.g. EXPO_TOKEN]'
            cand --note 'Free text kept with the token'
            cand --dotenv 'Import every VAR=value line of a dotenv file (`-` for stdin) in one write'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand --skip-existing 'With --dotenv: leave names that already exist alone instead of failing'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;list'= {
            cand --scope 'Only tokens carrying this scope'
            cand --expiring 'Only tokens expired or expiring within D (e.g. 7d)'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand --all 'Include revoked tokens'
            cand --json 'Machine-readable output'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;ls'= {
            cand --scope 'Only tokens carrying this scope'
            cand --expiring 'Only tokens expired or expiring within D (e.g. 7d)'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand --all 'Include revoked tokens'
            cand --json 'Machine-readable output'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;show'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand --json 'json'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;get'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -n 'Do not print a newline after the secret'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;update'= {
            cand --rename 'A new name'
            cand --scope 'Replace all scopes with these (repeatable; `--scope ''''` is refused: use --remove-scope)'
            cand --add-scope 'Add a scope (repeatable)'
            cand --remove-scope 'Remove a scope (repeatable)'
            cand --env 'env'
            cand --expires 'New expiry, from now: 30d, a date, or never'
            cand --note 'note'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;regenerate'= {
            cand --expires 'New expiry instead of renewing the same lifetime'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;rotate'= {
            cand --expires 'New expiry instead of renewing the same lifetime'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;revoke'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -y 'Do not ask for confirmation (it is only asked on a terminal)'
            cand --yes 'Do not ask for confirmation (it is only asked on a terminal)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;delete'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -y 'Do not ask for confirmation (it is only asked on a terminal)'
            cand --yes 'Do not ask for confirmation (it is only asked on a terminal)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;rm'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -y 'Do not ask for confirmation (it is only asked on a terminal)'
            cand --yes 'Do not ask for confirmation (it is only asked on a terminal)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;verify'= {
            cand --scope 'A scope the token must carry (repeatable)'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand --json 'json'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;exec'= {
            cand -t 'A token to inject, as its env name or renamed with NAME=VAR (repeatable)'
            cand --token 'A token to inject, as its env name or renamed with NAME=VAR (repeatable)'
            cand --scope 'Every active token carrying this scope (repeatable)'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand --mask 'Stay as the parent and replace injected secrets in the output with ***'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;env'= {
            cand -t 'A token to inject, as its env name or renamed with NAME=VAR (repeatable)'
            cand --token 'A token to inject, as its env name or renamed with NAME=VAR (repeatable)'
            cand --scope 'Every active token carrying this scope (repeatable)'
            cand --format 'format'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
        }
        &'tokctl;bundle'= {
            cand -t 'A token to put in the bundle (repeatable)'
            cand --token 'A token to put in the bundle (repeatable)'
            cand --out 'Where to write the bundle'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;log'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand --json 'json'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;doctor'= {
            cand --within 'Warn about tokens expiring within D [default: 7d]'
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;key'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
            cand export 'Print the vault key, for TOKCTL_VAULT_KEY on another machine or in CI'
            cand rotate 'Make a new vault key; every exported key stops working'
            cand passphrase 'Add or change a passphrase that can also unlock the vault'
            cand import 'Store this vault''s key in this machine''s OS keyring'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tokctl;key;export'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;key;rotate'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;key;passphrase'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;key;import'= {
            cand --vault 'The vault file to use [default: <data dir>/tokctl/vault.toml]'
            cand --color 'When to colour output (NO_COLOR is respected under `auto`)'
            cand -q 'Say nothing on stderr but errors'
            cand --quiet 'Say nothing on stderr but errors'
            cand -h 'Print help'
            cand --help 'Print help'
        }
        &'tokctl;key;help'= {
            cand export 'Print the vault key, for TOKCTL_VAULT_KEY on another machine or in CI'
            cand rotate 'Make a new vault key; every exported key stops working'
            cand passphrase 'Add or change a passphrase that can also unlock the vault'
            cand import 'Store this vault''s key in this machine''s OS keyring'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tokctl;key;help;export'= {
        }
        &'tokctl;key;help;rotate'= {
        }
        &'tokctl;key;help;passphrase'= {
        }
        &'tokctl;key;help;import'= {
        }
        &'tokctl;key;help;help'= {
        }
        &'tokctl;help'= {
            cand init 'Create the vault and put its key in the OS keyring'
            cand create 'Mint a new random token and print it once'
            cand import 'Store a secret issued elsewhere, read from stdin (alias: add)'
            cand list 'List tokens (alias: ls)'
            cand show 'Show one token''s metadata (never the secret)'
            cand get 'Print a token''s secret, for `some-cli login --with-token`'
            cand update 'Change a token''s metadata; the secret is untouched'
            cand regenerate 'Replace a token''s secret (alias: rotate)'
            cand revoke 'Destroy a token''s secret and keep the record as revoked'
            cand delete 'Remove a token''s record entirely (alias: rm)'
            cand verify 'Check a presented token read from stdin; prints its name'
            cand exec 'Run a command with tokens in its environment'
            cand env 'Print tokens as shell, dotenv, JSON or GitHub Actions assignments'
            cand bundle 'Write a separate vault holding only some tokens, under a new key, for CI'
            cand log 'The vault''s history, newest first'
            cand doctor 'Explain this machine''s setup and what needs attention'
            cand key 'Manage the vault key: export, rotate, passphrase, import'
            cand help 'Print this message or the help of the given subcommand(s)'
        }
        &'tokctl;help;init'= {
        }
        &'tokctl;help;create'= {
        }
        &'tokctl;help;import'= {
        }
        &'tokctl;help;list'= {
        }
        &'tokctl;help;show'= {
        }
        &'tokctl;help;get'= {
        }
        &'tokctl;help;update'= {
        }
        &'tokctl;help;regenerate'= {
        }
        &'tokctl;help;revoke'= {
        }
        &'tokctl;help;delete'= {
        }
        &'tokctl;help;verify'= {
        }
        &'tokctl;help;exec'= {
        }
        &'tokctl;help;env'= {
        }
        &'tokctl;help;bundle'= {
        }
        &'tokctl;help;log'= {
        }
        &'tokctl;help;doctor'= {
        }
        &'tokctl;help;key'= {
            cand export 'Print the vault key, for TOKCTL_VAULT_KEY on another machine or in CI'
            cand rotate 'Make a new vault key; every exported key stops working'
            cand passphrase 'Add or change a passphrase that can also unlock the vault'
            cand import 'Store this vault''s key in this machine''s OS keyring'
        }
        &'tokctl;help;key;export'= {
        }
        &'tokctl;help;key;rotate'= {
        }
        &'tokctl;help;key;passphrase'= {
        }
        &'tokctl;help;key;import'= {
        }
        &'tokctl;help;help'= {
        }
    ]
    $completions[$command]
}
