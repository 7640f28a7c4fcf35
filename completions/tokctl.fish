# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_tokctl_global_optspecs
    string join \n vault= color= q/quiet h/help V/version
end

function __fish_tokctl_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_tokctl_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_tokctl_using_subcommand
    set -l cmd (__fish_tokctl_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c tokctl -n "__fish_tokctl_needs_command" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_needs_command" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_needs_command" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_needs_command" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_needs_command" -s V -l version -d 'Print version'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "init" -d 'Create the vault and put its key in the OS keyring'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "create" -d 'Mint a new random token and print it once'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "import" -d 'Store a secret issued elsewhere, read from stdin (alias: add)'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "add" -d 'Store a secret issued elsewhere, read from stdin (alias: add)'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "list" -d 'List tokens (alias: ls)'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "ls" -d 'List tokens (alias: ls)'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "show" -d 'Show one token\'s metadata (never the secret)'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "get" -d 'Print a token\'s secret, for `some-cli login --with-token`'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "update" -d 'Change a token\'s metadata; the secret is untouched'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "regenerate" -d 'Replace a token\'s secret (alias: rotate)'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "rotate" -d 'Replace a token\'s secret (alias: rotate)'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "revoke" -d 'Destroy a token\'s secret and keep the record as revoked'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "delete" -d 'Remove a token\'s record entirely (alias: rm)'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "rm" -d 'Remove a token\'s record entirely (alias: rm)'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "verify" -d 'Check a presented token read from stdin; prints its name'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "exec" -d 'Run a command with tokens in its environment'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "env" -d 'Print tokens as shell, dotenv, JSON or GitHub Actions assignments'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "bundle" -d 'Write a separate vault holding only some tokens, under a new key, for CI'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "log" -d 'The vault\'s history, newest first'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "doctor" -d 'Explain this machine\'s setup and what needs attention'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "key" -d 'Manage the vault key: export, rotate, passphrase, import'
complete -c tokctl -n "__fish_tokctl_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokctl -n "__fish_tokctl_using_subcommand init" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand init" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand init" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand init" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand create" -l scope -d 'A scope the token carries (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand create" -l expires -d 'When it expires: 30d, 12h, 2w, 90m, 2027-01-31, 2027-01-31T12:00:00Z or never' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand create" -l env -d 'The environment variable `exec` and `env` use [default: from the name, e.g. EXPO_TOKEN]' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand create" -l note -d 'Free text kept with the token' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand create" -l prefix -d 'What the secret starts with, so secret scanners can find it' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand create" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand create" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand create" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand create" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand import" -l scope -d 'A scope the token carries (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand import" -l expires -d 'When it expires: 30d, 12h, 2w, 90m, 2027-01-31, 2027-01-31T12:00:00Z or never' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand import" -l env -d 'The environment variable `exec` and `env` use [default: from the name, e.g. EXPO_TOKEN]' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand import" -l note -d 'Free text kept with the token' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand import" -l dotenv -d 'Import every VAR=value line of a dotenv file (`-` for stdin) in one write' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand import" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand import" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand import" -l skip-existing -d 'With --dotenv: leave names that already exist alone instead of failing'
complete -c tokctl -n "__fish_tokctl_using_subcommand import" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand import" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand add" -l scope -d 'A scope the token carries (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand add" -l expires -d 'When it expires: 30d, 12h, 2w, 90m, 2027-01-31, 2027-01-31T12:00:00Z or never' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand add" -l env -d 'The environment variable `exec` and `env` use [default: from the name, e.g. EXPO_TOKEN]' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand add" -l note -d 'Free text kept with the token' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand add" -l dotenv -d 'Import every VAR=value line of a dotenv file (`-` for stdin) in one write' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand add" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand add" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand add" -l skip-existing -d 'With --dotenv: leave names that already exist alone instead of failing'
complete -c tokctl -n "__fish_tokctl_using_subcommand add" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand add" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand list" -l scope -d 'Only tokens carrying this scope' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand list" -l expiring -d 'Only tokens expired or expiring within D (e.g. 7d)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand list" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand list" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand list" -l all -d 'Include revoked tokens'
complete -c tokctl -n "__fish_tokctl_using_subcommand list" -l json -d 'Machine-readable output'
complete -c tokctl -n "__fish_tokctl_using_subcommand list" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand list" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand ls" -l scope -d 'Only tokens carrying this scope' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand ls" -l expiring -d 'Only tokens expired or expiring within D (e.g. 7d)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand ls" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand ls" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand ls" -l all -d 'Include revoked tokens'
complete -c tokctl -n "__fish_tokctl_using_subcommand ls" -l json -d 'Machine-readable output'
complete -c tokctl -n "__fish_tokctl_using_subcommand ls" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand ls" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand show" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand show" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand show" -l json
complete -c tokctl -n "__fish_tokctl_using_subcommand show" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand show" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand get" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand get" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand get" -s n -d 'Do not print a newline after the secret'
complete -c tokctl -n "__fish_tokctl_using_subcommand get" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand get" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -l rename -d 'A new name' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -l scope -d 'Replace all scopes with these (repeatable; `--scope \'\'` is refused: use --remove-scope)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -l add-scope -d 'Add a scope (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -l remove-scope -d 'Remove a scope (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -l env -r
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -l expires -d 'New expiry, from now: 30d, a date, or never' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -l note -r
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand update" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand regenerate" -l expires -d 'New expiry instead of renewing the same lifetime' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand regenerate" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand regenerate" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand regenerate" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand regenerate" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand rotate" -l expires -d 'New expiry instead of renewing the same lifetime' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand rotate" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand rotate" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand rotate" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand rotate" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand revoke" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand revoke" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand revoke" -s y -l yes -d 'Do not ask for confirmation (it is only asked on a terminal)'
complete -c tokctl -n "__fish_tokctl_using_subcommand revoke" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand revoke" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand delete" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand delete" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand delete" -s y -l yes -d 'Do not ask for confirmation (it is only asked on a terminal)'
complete -c tokctl -n "__fish_tokctl_using_subcommand delete" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand delete" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand rm" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand rm" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand rm" -s y -l yes -d 'Do not ask for confirmation (it is only asked on a terminal)'
complete -c tokctl -n "__fish_tokctl_using_subcommand rm" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand rm" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand verify" -l scope -d 'A scope the token must carry (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand verify" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand verify" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand verify" -l json
complete -c tokctl -n "__fish_tokctl_using_subcommand verify" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand verify" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand exec" -s t -l token -d 'A token to inject, as its env name or renamed with NAME=VAR (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand exec" -l scope -d 'Every active token carrying this scope (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand exec" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand exec" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand exec" -l mask -d 'Stay as the parent and replace injected secrets in the output with ***'
complete -c tokctl -n "__fish_tokctl_using_subcommand exec" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand exec" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand env" -s t -l token -d 'A token to inject, as its env name or renamed with NAME=VAR (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand env" -l scope -d 'Every active token carrying this scope (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand env" -l format -r -f -a "sh\t'`export VAR=\'…\'` lines, safe for eval'
dotenv\t'`VAR=\'…\'` lines'
json\t'One JSON object'
github\t'Append to $GITHUB_ENV (multi-line safe) and print ::add-mask:: lines'"
complete -c tokctl -n "__fish_tokctl_using_subcommand env" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand env" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand env" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand env" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c tokctl -n "__fish_tokctl_using_subcommand bundle" -s t -l token -d 'A token to put in the bundle (repeatable)' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand bundle" -l out -d 'Where to write the bundle' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand bundle" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand bundle" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand bundle" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand bundle" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand log" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand log" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand log" -l json
complete -c tokctl -n "__fish_tokctl_using_subcommand log" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand log" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand doctor" -l within -d 'Warn about tokens expiring within D [default: 7d]' -r
complete -c tokctl -n "__fish_tokctl_using_subcommand doctor" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand doctor" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand doctor" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand doctor" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and not __fish_seen_subcommand_from export rotate passphrase import help" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and not __fish_seen_subcommand_from export rotate passphrase import help" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and not __fish_seen_subcommand_from export rotate passphrase import help" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and not __fish_seen_subcommand_from export rotate passphrase import help" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and not __fish_seen_subcommand_from export rotate passphrase import help" -f -a "export" -d 'Print the vault key, for TOKCTL_VAULT_KEY on another machine or in CI'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and not __fish_seen_subcommand_from export rotate passphrase import help" -f -a "rotate" -d 'Make a new vault key; every exported key stops working'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and not __fish_seen_subcommand_from export rotate passphrase import help" -f -a "passphrase" -d 'Add or change a passphrase that can also unlock the vault'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and not __fish_seen_subcommand_from export rotate passphrase import help" -f -a "import" -d 'Store this vault\'s key in this machine\'s OS keyring'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and not __fish_seen_subcommand_from export rotate passphrase import help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from export" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from export" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from export" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from export" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from rotate" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from passphrase" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from passphrase" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from passphrase" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from passphrase" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from import" -l vault -d 'The vault file to use [default: <data dir>/tokctl/vault.toml]' -r -F
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from import" -l color -d 'When to colour output (NO_COLOR is respected under `auto`)' -r -f -a "auto\t''
always\t''
never\t''"
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from import" -s q -l quiet -d 'Say nothing on stderr but errors'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from import" -s h -l help -d 'Print help'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "export" -d 'Print the vault key, for TOKCTL_VAULT_KEY on another machine or in CI'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "rotate" -d 'Make a new vault key; every exported key stops working'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "passphrase" -d 'Add or change a passphrase that can also unlock the vault'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "import" -d 'Store this vault\'s key in this machine\'s OS keyring'
complete -c tokctl -n "__fish_tokctl_using_subcommand key; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "init" -d 'Create the vault and put its key in the OS keyring'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "create" -d 'Mint a new random token and print it once'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "import" -d 'Store a secret issued elsewhere, read from stdin (alias: add)'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "list" -d 'List tokens (alias: ls)'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "show" -d 'Show one token\'s metadata (never the secret)'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "get" -d 'Print a token\'s secret, for `some-cli login --with-token`'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "update" -d 'Change a token\'s metadata; the secret is untouched'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "regenerate" -d 'Replace a token\'s secret (alias: rotate)'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "revoke" -d 'Destroy a token\'s secret and keep the record as revoked'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "delete" -d 'Remove a token\'s record entirely (alias: rm)'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "verify" -d 'Check a presented token read from stdin; prints its name'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "exec" -d 'Run a command with tokens in its environment'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "env" -d 'Print tokens as shell, dotenv, JSON or GitHub Actions assignments'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "bundle" -d 'Write a separate vault holding only some tokens, under a new key, for CI'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "log" -d 'The vault\'s history, newest first'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "doctor" -d 'Explain this machine\'s setup and what needs attention'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "key" -d 'Manage the vault key: export, rotate, passphrase, import'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and not __fish_seen_subcommand_from init create import list show get update regenerate revoke delete verify exec env bundle log doctor key help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "export" -d 'Print the vault key, for TOKCTL_VAULT_KEY on another machine or in CI'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "rotate" -d 'Make a new vault key; every exported key stops working'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "passphrase" -d 'Add or change a passphrase that can also unlock the vault'
complete -c tokctl -n "__fish_tokctl_using_subcommand help; and __fish_seen_subcommand_from key" -f -a "import" -d 'Store this vault\'s key in this machine\'s OS keyring'
