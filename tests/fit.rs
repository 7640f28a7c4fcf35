//! The tokens people really hold (issue 11): providers' default variables, replacing a leaked
//! token, rotation and unused reminders, a JWT's own expiry, and the small messages a newcomer
//! meets. End to end through the binary, each test in its own temp dir.

use crate::support::{BIN, Env, Out, run_std};

/// A fine-grained GitHub token (no checksum to get right).
const GH_PAT: &str = "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMN";
const GITLAB: &str = "glpat-abcdefghij0123456789";
const NPM: &str = "npm_abcdefghijklmnopqrstuvwxyz0123456789";
const BWS: &str = "0.48b4774c-68ff-4bc5-9c3a-d3e1b2f4a5c6.secretpartsecretpart:keypartkeypart==";

/// tokctl with its wall clock starting at 2020-01-01 (libfaketime).
fn in_2020(env: &Env, args: &[&str], stdin: &[u8]) -> Out {
    let mut full = vec!["-m", "2020-01-01 00:00:00", BIN];
    full.extend_from_slice(args);
    let out = run_std(env.std_cmd_of("faketime", &full), stdin);
    assert_ne!(out.code, 127, "faketime is needed (apt-get install faketime)\n{out}");
    out
}

fn env_of(env: &Env, name: &str) -> String {
    env.records()[name]["env"].as_str().expect("an env").to_string()
}

#[test]
fn provider_names_and_secret_formats_get_the_variable_their_cli_reads() {
    let env = Env::env_key();
    for (name, var) in [
        ("expo", "EXPO_TOKEN"),
        ("bws", "BWS_ACCESS_TOKEN"),
        ("bitwarden", "BWS_ACCESS_TOKEN"),
        ("gh", "GH_TOKEN"),
        ("github", "GH_TOKEN"),
        ("gitlab", "GITLAB_TOKEN"),
        ("npm", "NPM_TOKEN"),
        ("cargo", "CARGO_REGISTRY_TOKEN"),
        ("crates-io", "CARGO_REGISTRY_TOKEN"),
        ("hf", "HF_TOKEN"),
        ("huggingface", "HF_TOKEN"),
        ("my.svc", "MY_SVC_TOKEN"),
    ] {
        env.import(name, &format!("secret-of-{name}-0123456789"), &[]);
        assert_eq!(env_of(&env, name), var, "{name}");
    }
    // By format, whatever the name.
    for (name, secret, var) in [
        ("work-gh", GH_PAT, "GH_TOKEN"),
        ("company-lab", GITLAB, "GITLAB_TOKEN"),
        ("registry", NPM, "NPM_TOKEN"),
        ("secrets-ci", BWS, "BWS_ACCESS_TOKEN"),
    ] {
        env.import(name, secret, &[]);
        assert_eq!(env_of(&env, name), var, "{name}");
    }
    // --env wins, and says what the provider's CLI would read.
    let out = env.run(&["import", "gh-actions", "--env", "GITHUB_TOKEN"], GH_PAT.as_bytes());
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(env_of(&env, "gh-actions"), "GITHUB_TOKEN");
    assert!(out.stderr.contains("usually read from GH_TOKEN"), "{out}");
    // `bws run` reads BWS_ACCESS_TOKEN: the token is there under `exec -t bws`.
    let out = env.ok(&["exec", "-t", "secrets-ci", "--", "sh", "-c", "printf %s \"$BWS_ACCESS_TOKEN\""], b"");
    assert_eq!(out, BWS);
    // The variables are shown by `list` too.
    let list = env.ok(&["list"], b"");
    assert!(list.contains("BWS_ACCESS_TOKEN") && list.contains("CARGO_REGISTRY_TOKEN"), "{list}");
}

#[test]
fn minting_under_a_providers_name_needs_force() {
    let env = Env::env_key();
    for name in ["expo", "GH", "bws", "npm", "hf"] {
        let out = env.fails(&["create", name], b"", 2);
        assert!(out.stdout.is_empty(), "no secret printed\n{out}");
        assert!(out.stderr.contains(&format!("tokctl import {name}")), "hints at import\n{out}");
        assert!(out.stderr.contains("--force"), "{out}");
    }
    assert!(!env.vault.exists(), "nothing was created");
    let secret = env.ok(&["create", "expo", "--force"], b"");
    assert!(secret.starts_with("tok_"), "{secret}");
    assert_eq!(env_of(&env, "expo"), "EXPO_TOKEN");
    // Any other name mints as before.
    env.ok(&["create", "expo-staging"], b"");
    assert_eq!(env_of(&env, "expo-staging"), "EXPO_STAGING_TOKEN");
}

#[test]
fn two_selected_tokens_for_one_variable_are_a_usage_error_naming_both() {
    let env = Env::env_key();
    env.import("gh", GH_PAT, &["--scope", "ci"]);
    env.import("work-gh", &GH_PAT.replace("11A", "22B"), &["--scope", "ci"]);
    assert_eq!(env_of(&env, "work-gh"), "GH_TOKEN");
    for args in [
        &["exec", "-t", "gh", "-t", "work-gh", "--", "true"][..],
        &["env", "--scope", "ci"][..],
        &["exec", "--scope", "ci", "--", "true"][..],
    ] {
        let out = env.fails(args, b"", 2);
        assert!(out.stderr.contains("'gh'") && out.stderr.contains("'work-gh'"), "names both\n{out}");
        assert!(out.stderr.contains("GH_TOKEN") && out.stderr.contains("=OTHER_VAR"), "{out}");
        assert!(out.stdout.is_empty(), "{out}");
    }
    // Renaming one is the way out.
    env.ok(&["exec", "-t", "gh", "-t", "work-gh=WORK_GH_TOKEN", "--", "true"], b"");
}

#[test]
fn import_replace_gives_a_revoked_imported_token_its_new_secret() {
    let env = Env::env_key();
    env.import("gh", GH_PAT, &["--scope", "repo", "--note", "laptop", "--env", "GITHUB_TOKEN"]);
    let before = env.records()["gh"].clone();
    // Here only: the token's provider (github, from its format) is not reachable from a test.
    env.ok(&["revoke", "gh", "--local", "--yes"], b"");

    // Every hint points at the command that works for an imported token.
    let get = env.fails(&["get", "gh"], b"", 4);
    assert!(get.stderr.contains("tokctl import gh --replace"), "{get}");
    let again = env.fails(&["import", "gh"], b"another-secret-0123456789", 7);
    assert!(again.stderr.contains("tokctl import gh --replace"), "{again}");
    let regen = env.fails(&["regenerate", "gh"], b"another-secret-0123456789", 4);
    assert!(regen.stderr.contains("tokctl import gh --replace"), "{regen}");
    assert!(!regen.stderr.contains("tokctl create"), "create would mint a tok_ secret GitHub never accepts\n{regen}");

    let new = GH_PAT.replace("11A", "33C");
    let out = env.run(&["import", "gh", "--replace"], new.as_bytes());
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("active again"), "{out}");
    assert_eq!(env.get("gh"), new);
    let after = env.records()["gh"].clone();
    for field in ["id", "env", "scopes", "note", "kind", "created_at"] {
        assert_eq!(after[field], before[field], "{field} is kept");
    }
    assert_eq!(after["status"], "active");
    assert!(after["revoked_at"].is_null());
    let log = env.ok(&["log", "gh"], b"");
    assert!(log.lines().next().is_some_and(|l| l.contains("get")), "{log}");
    assert!(log.contains("replaced") && log.contains("was revoked"), "{log}");

    // Given flags replace those fields; --replace needs the token to exist.
    env.ok(&["import", "gh", "--replace", "--scope", "read:org"], GH_PAT.as_bytes());
    assert_eq!(env.records()["gh"]["scopes"], serde_json::json!(["read:org"]));
    let missing = env.fails(&["import", "nope", "--replace"], b"x-secret-0123456789", 3);
    assert!(missing.stderr.contains("without it"), "{missing}");
    // A typo gets the close name, as every other "no token" does.
    let typo = env.fails(&["import", "gj", "--replace"], b"x-secret-0123456789", 3);
    assert!(typo.stderr.contains("no token named 'gj'") && typo.stderr.contains("did you mean 'gh'?"), "{typo}");
}

#[test]
fn an_expired_imported_token_is_replaced_and_a_minted_one_points_at_regenerate() {
    let env = Env::env_key();
    let made = in_2020(&env, &["import", "old-api", "--expires", "30d"], b"old-secret-0123456789");
    assert_eq!(made.code, 0, "{made}");
    let get = env.fails(&["get", "old-api"], b"", 4);
    assert!(get.stderr.contains("tokctl import old-api --replace"), "{get}");
    env.ok(&["import", "old-api", "--replace", "--expires", "60d"], b"new-secret-0123456789");
    assert_eq!(env.get("old-api"), "new-secret-0123456789");

    // Minted: regenerate while it lives; once revoked, delete and create.
    env.create("deploy", &[]);
    let taken = env.fails(&["import", "deploy"], b"x-secret-0123456789", 7);
    assert!(taken.stderr.contains("tokctl regenerate deploy"), "{taken}");
    env.ok(&["revoke", "deploy", "--yes"], b"");
    for args in [&["get", "deploy"][..], &["regenerate", "deploy"][..]] {
        let out = env.fails(args, b"", 4);
        assert!(out.stderr.contains("tokctl delete deploy") && out.stderr.contains("tokctl create deploy"), "{out}");
    }
}

#[test]
fn a_rotation_period_is_reminded_in_list_doctor_and_at_each_use() {
    let env = Env::env_key();
    let made = in_2020(&env, &["create", "deploy", "--expires", "never", "--rotate-every", "30d"], b"");
    assert_eq!(made.code, 0, "{made}");
    let made = in_2020(&env, &["import", "upstream", "--rotate-every", "90d"], b"upstream-secret-0123456789");
    assert_eq!(made.code, 0, "{made}");
    let rec = &env.records()["deploy"];
    assert_eq!(rec["rotate_every"], 30 * 86_400);
    assert!(rec["rotation_due_at"].as_str().is_some_and(|t| t.starts_with("2020-01-31")), "{rec}");

    let list = env.ok(&["list"], b"");
    let row = list.lines().find(|l| l.starts_with("deploy")).expect("a row");
    assert!(row.contains("rotate"), "{list}");

    let doctor = env.run(&["doctor"], b"");
    assert_eq!(doctor.code, 4, "{doctor}");
    assert!(
        doctor.stdout.contains("'deploy' is due for rotation") && doctor.stdout.contains("regenerate deploy"),
        "{doctor}"
    );
    assert!(
        doctor.stdout.contains("'upstream' is due for rotation") && doctor.stdout.contains("import upstream --replace"),
        "{doctor}"
    );

    let get = env.run(&["get", "deploy"], b"");
    assert_eq!(get.code, 0, "a reminder, not a refusal\n{get}");
    assert!(get.stderr.contains("due for rotation"), "{get}");
    let exec = env.run(&["exec", "-t", "upstream", "--", "true"], b"");
    assert!(exec.stderr.contains("due for rotation"), "{exec}");

    env.ok(&["regenerate", "deploy"], b"");
    env.ok(&["import", "upstream", "--replace"], b"upstream-secret-2-0123456789");
    let get = env.run(&["get", "deploy"], b"");
    assert!(!get.stderr.contains("rotation"), "{get}");
    let doctor = env.run(&["doctor"], b"");
    assert_eq!(doctor.code, 0, "{doctor}");

    // update sets and drops the period.
    let out = env.run(&["update", "deploy", "--rotate-every", "1w"], b"");
    assert!(out.stderr.contains("updated 'deploy'"), "update confirms\n{out}");
    assert_eq!(env.records()["deploy"]["rotate_every"], 7 * 86_400);
    env.ok(&["update", "deploy", "--rotate-every", "never"], b"");
    assert!(env.records()["deploy"]["rotate_every"].is_null());
    env.fails(&["update", "deploy", "--rotate-every", "2030-01-01"], b"", 2);
}

#[test]
fn a_token_unused_for_90_days_is_flagged_except_in_a_bundle() {
    let env = Env::env_key();
    let made = in_2020(&env, &["import", "idle", "--expires", "never"], b"idle-secret-0123456789");
    assert_eq!(made.code, 0, "{made}");
    env.import("fresh", "fresh-secret-0123456789", &[]);
    let doctor = env.run(&["doctor"], b"");
    assert_eq!(doctor.code, 4, "{doctor}");
    assert!(doctor.stdout.contains("'idle' is unused") && doctor.stdout.contains("tokctl revoke idle"), "{doctor}");
    assert!(!doctor.stdout.contains("'fresh' is unused"), "{doctor}");
    let list = env.ok(&["list"], b"");
    assert!(list.lines().any(|l| l.starts_with("idle") && l.contains("unused")), "{list}");
    assert_eq!(env.run(&["doctor", "--unused", "100000d"], b"").code, 0);

    // A bundle records no uses: its tokens are never called unused.
    let bundle = env.root.join("ci.vault");
    let key = env.ok(&["bundle", "-t", "idle", "--out", bundle.to_str().unwrap()], b"");
    let mut ci = Env::bare();
    ci.set("TOKCTL_VAULT_KEY", key.trim()).set("TOKCTL_VAULT", bundle.to_str().unwrap());
    let doctor = ci.run(&["doctor"], b"");
    assert_eq!(doctor.code, 0, "{doctor}");

    // A use clears it.
    env.get("idle");
    assert_eq!(env.run(&["doctor"], b"").code, 0);
}

#[test]
fn an_imported_jwt_takes_its_exp_claim_as_expiry() {
    let env = Env::env_key();
    // {"alg":"HS256","typ":"JWT"} . {"sub":"x","exp":1900000000} . signature
    let jwt = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ4IiwiZXhwIjoxOTAwMDAwMDAwfQ.c2lnbmF0dXJl";
    env.import("choreo", jwt, &[]);
    assert_eq!(env.records()["choreo"]["expires_at"], "2030-03-17T17:46:40Z");
    assert_eq!(env_of(&env, "choreo"), "CHOREO_TOKEN");
    // --expires wins.
    env.import("choreo-2", jwt, &["--expires", "never"]);
    assert!(env.records()["choreo-2"]["expires_at"].is_null());
    // A JWT past its exp is stored as what it is: expired, and said so.
    // {"alg":"HS256"} . {"exp":1600000000}
    let old = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjE2MDAwMDAwMDB9.c2ln";
    let out = env.run(&["import", "old-jwt"], old.as_bytes());
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stderr.contains("has passed"), "{out}");
    env.fails(&["get", "old-jwt"], b"", 4);
    // Replacing it with a fresh JWT takes the new exp.
    env.ok(&["import", "old-jwt", "--replace"], jwt.as_bytes());
    assert_eq!(env.records()["old-jwt"]["expires_at"], "2030-03-17T17:46:40Z");
}

#[test]
fn delete_and_update_confirm_on_stderr() {
    let env = Env::env_key();
    env.create("deploy", &[]);
    let out = env.run(&["update", "deploy", "--note", "ci"], b"");
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out}");
    assert!(out.stderr.contains("updated 'deploy': note"), "{out}");
    let out = env.run(&["delete", "deploy", "--yes"], b"");
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "{out}");
    assert!(out.stderr.contains("deleted 'deploy'"), "{out}");
    assert!(env.run(&["-q", "delete", "nope", "--yes"], b"").code == 3);
}

#[test]
fn doctor_says_which_vault_applies_and_why() {
    let env = Env::env_key();
    env.import("expo", "expo-robot-token-0123456789", &[]);
    let doctor = env.run(&["doctor"], b"");
    assert!(doctor.stdout.contains("chosen by TOKCTL_VAULT"), "{doctor}");
    assert!(doctor.stdout.contains("project    – no .tokctl.toml here or above"), "{doctor}");
    let other = env.root.join("other.toml");
    let doctor = env.run(&["--vault", other.to_str().unwrap(), "doctor"], b"");
    assert!(doctor.stdout.contains("chosen by --vault"), "{doctor}");

    // A committed bundle under [ci]: in CI it applies, needs no trust, and doctor says so.
    let bundle = env.root.join(".tokctl/ci.vault");
    let key = env.ok(&["bundle", "-t", "expo", "--out", bundle.to_str().unwrap()], b"");
    env.write_file(".tokctl.toml", b"[ci]\nvault = \".tokctl/ci.vault\"\n[env]\nEXPO_TOKEN = \"expo\"\n");
    let mut c = env.std_cmd(&["doctor"]);
    c.env_remove("TOKCTL_VAULT").env("CI", "true").env("TOKCTL_VAULT_KEY", key.trim());
    let doctor = run_std(c, b"");
    assert_eq!(doctor.code, 0, "{doctor}");
    assert!(doctor.stdout.contains(&format!("vault      {}", bundle.display())), "{doctor}");
    assert!(doctor.stdout.contains("chosen by the project file's [ci] table (CI is set)"), "{doctor}");
    assert!(doctor.stdout.contains("needs no trust"), "{doctor}");
    assert!(doctor.stdout.contains("bundle vault"), "{doctor}");

    // On the laptop, the same directory: the personal vault; the file is not trusted, which
    // only exec and env without -t care about.
    let doctor = env.run(&["doctor"], b"");
    assert_eq!(doctor.code, 0, "{doctor}");
    assert!(doctor.stdout.contains("chosen by TOKCTL_VAULT"), "{doctor}");
    assert!(doctor.stdout.contains("is not trusted") && doctor.stdout.contains("tokctl trust"), "{doctor}");
    assert!(doctor.stdout.contains("applies only when CI is true or 1"), "{doctor}");
    env.ok(&["trust"], b"");
    let doctor = env.run(&["doctor"], b"");
    assert!(doctor.stdout.contains("✓ trusted"), "{doctor}");
}

#[test]
fn env_out_writes_a_private_file_whatever_the_umask() {
    use std::os::unix::fs::PermissionsExt;
    let env = Env::env_key();
    env.import("expo", "expo-robot-token-0123456789", &[]);
    let file = env.root.join(".env.local");
    let line = format!("umask 022; exec {BIN} env -t expo --format dotenv --out {}", file.display());
    let out = run_std(env.std_cmd_of("sh", &["-c", &line]), b"");
    assert_eq!((out.code, out.stdout.as_str()), (0, ""), "nothing on stdout\n{out}");
    assert!(out.stderr.contains("wrote 1 assignment"), "{out}");
    let meta = std::fs::symlink_metadata(&file).unwrap();
    assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "EXPO_TOKEN='expo-robot-token-0123456789'\n");
    // A symlink left in its place is replaced, not written through.
    let victim = env.write_file("victim", b"keep");
    std::fs::remove_file(&file).unwrap();
    std::os::unix::fs::symlink(&victim, &file).unwrap();
    env.ok(&["env", "-t", "expo", "--out", file.to_str().unwrap()], b"");
    assert_eq!(std::fs::read(&victim).unwrap(), b"keep");
    assert!(std::fs::symlink_metadata(&file).unwrap().file_type().is_file());
    let mut c = env.std_cmd(&["env", "-t", "expo", "--format", "github", "--out", "x"]);
    c.env("GITHUB_ENV", env.root.join("gh"));
    assert_eq!(run_std(c, b"").code, 2);
}

#[test]
fn a_wrong_passphrase_then_end_of_input_is_exit_5() {
    let mut env = Env::bare();
    env.set("TOKCTL_PASSPHRASE", "correct horse battery");
    env.import("x", "secret-0123456789", &[]);
    env.unset("TOKCTL_PASSPHRASE");
    // On a terminal: the wrong passphrase typed once the prompt is up, then end of input.
    let within = std::time::Duration::from_secs(60);
    let mut pty = env.on_pty(&["get", "x"]);
    pty.expect("Passphrase for ", within);
    pty.wait_echo_off(within);
    pty.send("wrong-passphrase\n");
    pty.expect("wrong passphrase", within);
    pty.expect("Passphrase for ", within);
    pty.wait_echo_off(within);
    // ^D: the prompt reads the terminal raw, where it means end of input.
    pty.send("\x04");
    let out = pty.finish(within);
    assert_eq!(out.code, 5, "{out}");
    // Without a terminal, the hint leads with what fits a passphrase vault.
    let out = env.fails(&["get", "x"], b"", 5);
    let hint = out.stderr.lines().nth(1).unwrap_or_default();
    assert!(hint.contains("this vault has a passphrase: set TOKCTL_PASSPHRASE"), "{out}");
}

#[test]
fn small_messages_a_newcomer_meets() {
    let env = Env::env_key();
    // The "pipe it in" hint names a command this platform has.
    let out = env.fails(&["import", "empty"], b"", 2);
    assert_eq!(out.stderr.contains("pbpaste"), cfg!(target_os = "macos"), "{out}");
    // `log` columns line up whatever the names' lengths.
    env.create("a", &[]);
    env.create("a-much-longer-name", &[]);
    env.get("a");
    let log = env.ok(&["log"], b"");
    // (The vault's own event, `vault-created`, has `-` in the token column.)
    let starts: Vec<usize> =
        log.lines().map(|l| l.find(" a").or_else(|| l.find(" - ")).expect("a token column")).collect();
    assert!(starts.windows(2).all(|w| w[0] == w[1]), "{log}");
    // Every help's prose is wrapped by clap, not by hand: no line past 100 columns, no
    // fragment left after a full line.
    for cmd in ["exec", "bundle", "create", "import", "trust", "key", "verify", "env", "doctor"] {
        let help = env.ok(&["help", cmd], b"");
        let lines: Vec<&str> = help.lines().collect();
        assert!(lines.iter().all(|l| l.chars().count() <= 100), "{cmd}: a line past 100 columns\n{help}");
        for w in lines.windows(3) {
            let prose = |l: &str| !l.is_empty() && !l.starts_with(' ');
            let ragged =
                w[0].chars().count() > 90 && prose(w[1]) && w[1].split_whitespace().count() <= 2 && prose(w[2]);
            assert!(!ragged, "{cmd}: a fragment left mid-paragraph at {:?}\n{help}", w[1]);
        }
    }
    let verify = env.ok(&["verify", "--help"], b"");
    let json = verify.lines().find(|l| l.trim_start().starts_with("--json")).expect("--json");
    assert!(json.contains("JSON"), "--json has a description: {verify}");
    let key = env.ok(&["key", "--help"], b"");
    assert!(key.contains("Examples:\n  tokctl key export"), "{key}");
}

#[test]
fn a_secret_service_without_a_default_collection_is_named_as_such() {
    // A private bus with a gnome-keyring that was started but never unlocked: it answers, yet
    // has no collection to keep a new key in.
    let mut env = Env::bare();
    env.unset("TOKCTL_KEYRING");
    let (data, run) = (env.root.join("kr-data"), env.root.join("kr-run"));
    std::fs::create_dir_all(&data).unwrap();
    std::fs::create_dir_all(&run).unwrap();
    let inner = format!(
        "export XDG_DATA_HOME={data} XDG_RUNTIME_DIR={run}; \
         gnome-keyring-daemon --start --components=secrets >/dev/null 2>&1; \
         for i in $(seq 1 100); do dbus-send --session --print-reply --dest=org.freedesktop.DBus \
           /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner string:org.freedesktop.secrets 2>/dev/null \
           | grep -q true && break; sleep 0.1; done; \
         {BIN} doctor; echo \"doctor=$?\"; {BIN} init </dev/null; echo \"init=$?\"",
        data = data.display(),
        run = run.display()
    );
    let mut c = env.std_cmd_of("dbus-run-session", &["--", "sh", "-c", &inner]);
    c.env_remove("DBUS_SESSION_BUS_ADDRESS").env("TOKCTL_KEYRING_TIMEOUT", "5");
    let out = run_std(c, b"");
    assert!(out.stdout.contains("doctor=3") && out.stdout.contains("init=5"), "{out}");
    assert!(!out.stdout.contains("answers"), "doctor must not say the keyring answers\n{out}");
    assert!(out.stdout.contains("no default collection"), "{out}");
    assert!(out.stderr.contains("no default collection") && !out.stderr.contains("no result found"), "{out}");
    assert!(out.stderr.contains("gnome-keyring-daemon --unlock") && out.stderr.contains("TOKCTL_PASSPHRASE"), "{out}");
}

#[test]
fn key_rotate_asks_for_the_passphrase_as_any_unlock_does_wrong_answers_included() {
    // A keyring vault that also has a passphrase: the keyring unlocks it, and the rotation must
    // re-apply the passphrase to the new key, so it asks, checks and asks again like an unlock.
    let env = Env::keyring();
    env.import("x", "secret-0123456789", &[]);
    env.ok(&["key", "passphrase"], b"correct horse battery\n");
    let before = std::fs::read(&env.vault).unwrap();
    let within = std::time::Duration::from_secs(60);
    let mut pty = env.on_pty(&["key", "rotate"]);
    pty.expect("re-applied to the new key", within);
    pty.expect("Passphrase for ", within);
    pty.wait_echo_off(within);
    pty.send("wrong-passphrase\n");
    pty.expect("wrong passphrase", within);
    pty.expect("Passphrase for ", within);
    pty.wait_echo_off(within);
    pty.send("correct horse battery\n");
    let out = pty.finish(within);
    assert_eq!(out.code, 0, "{out}");
    assert_ne!(std::fs::read(&env.vault).unwrap(), before, "re-keyed");
    assert_eq!(env.get("x"), "secret-0123456789");
    // Three wrong answers: exit 5, nothing written.
    let before = std::fs::read(&env.vault).unwrap();
    let mut pty = env.on_pty(&["key", "rotate"]);
    for _ in 0..3 {
        pty.expect("Passphrase for ", within);
        pty.wait_echo_off(within);
        pty.send("wrong-passphrase\n");
    }
    let out = pty.finish(within);
    assert_eq!(out.code, 5, "{out}");
    assert!(out.stdout.contains("three times") || out.stderr.contains("three times"), "{out}");
    assert_eq!(std::fs::read(&env.vault).unwrap(), before, "untouched");
}

#[test]
fn doctor_on_a_bundle_says_what_a_bundle_is_without_doubled_words() {
    let env = Env::env_key();
    env.create("ci", &[]);
    let bundle = env.root.join("ci.vault");
    let key = env.ok(&["bundle", "-t", "ci", "--out", bundle.to_str().unwrap()], b"");
    let mut c = env.std_cmd(&["--vault", bundle.to_str().unwrap(), "doctor"]);
    c.env("TOKCTL_VAULT_KEY", key.trim()).env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    let out = run_std(c, b"");
    assert_eq!(out.code, 0, "{out}");
    assert!(out.stdout.contains("a bundle is read-only: it has no rollback check"), "{out}");
    assert!(!out.stdout.contains("in nowhere"), "{out}");
    assert!(!out.stdout.contains("is not usable: the OS keyring is not usable"), "{out}");
}

#[test]
fn doctor_and_trust_list_print_json_for_scripts() {
    let env = Env::env_key();
    env.create("ok", &[]);
    let out = env.run(&["doctor", "--json"], b"");
    assert_eq!(out.code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("doctor --json is JSON");
    assert_eq!((v["exit"].as_u64(), v["ok"].as_bool()), (Some(0), Some(true)), "{out}");
    let checks = v["checks"].as_array().unwrap();
    let topic = |t: &str| checks.iter().find(|c| c["topic"] == t).unwrap_or_else(|| panic!("no {t}\n{out}"));
    assert_eq!(topic("unlock")["state"], "ok", "{out}");
    assert!(topic("vault")["text"].as_str().unwrap().contains(env.vault.to_str().unwrap()), "{out}");
    // A finding: the exit status and the check say the same as the text form.
    in_2020(&env, &["create", "--force", "old", "--expires", "1d"], b"");
    let text = env.run(&["doctor"], b"");
    let out = env.run(&["doctor", "--json"], b"");
    assert_eq!(out.code, text.code, "{out}\n{text}");
    assert_ne!(out.code, 0, "{out}");
    let v: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(v["exit"].as_u64(), Some(u64::from(out.code as u8)), "{out}");
    assert!(v["checks"].as_array().unwrap().iter().any(|c| c["state"] == "problem"), "{out}");
    assert!(!out.stdout.contains("all is well") && !out.stdout.contains('✗'), "no text form mixed in\n{out}");

    // trust --list --json: each file and its state.
    let list = env.run(&["trust", "--list", "--json"], b"");
    assert_eq!((list.code, list.stdout.trim()), (0, "[]"), "{list}");
    let dir = env.root.join("proj");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(".tokctl.toml"), "[env]\nOK_TOKEN = \"ok\"\n").unwrap();
    env.ok(&["trust", dir.join(".tokctl.toml").to_str().unwrap()], b"");
    std::fs::write(dir.join(".tokctl.toml"), "[env]\nOK_TOKEN = \"old\"\n").unwrap();
    let list = env.run(&["trust", "--list", "--json"], b"");
    let v: serde_json::Value = serde_json::from_str(&list.stdout).expect("JSON");
    assert_eq!(v[0]["state"], "changed", "{list}");
    assert!(v[0]["path"].as_str().unwrap().ends_with("proj/.tokctl.toml"), "{list}");
    assert_eq!(env.run(&["trust", "--json"], b"").code, 2, "--json goes with --list");
}
