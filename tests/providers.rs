//! Providers (README, "Providers"): a token's life at its issuer. GitLab and GitHub are played
//! by `tests/support/forge.py`, which answers as their REST documentation says (they cannot run
//! here); `command` providers are real child processes. npm against a real Verdaccio is in
//! `tests/npm_provider.rs`.

use std::time::Duration;

use serde_json::{Value, json};

use crate::support::forge::Forge;
use crate::support::*;

const GLPAT: &str = "glpat-Tk9fAkEsEcReTnUmBeR1";
const GHP: &str = "ghp_0123456789abcdefghijklmnopqrstuvwxyZ";

/// A user's own vault, as tokctl tells one (README, "Providers"): env-key mode, with the vault
/// at the default path in the user's data directory. (A vault elsewhere opened with
/// `TOKCTL_VAULT_KEY` alone could be anyone's: its providers are not acted on.)
pub(crate) fn own_env() -> Env {
    let mut env = Env::env_key();
    env.vault = env.home.join(".local/share/tokctl/vault.toml");
    env
}

fn show(env: &Env, name: &str) -> Value {
    serde_json::from_str(&env.ok(&["show", name, "--json"], b"")).unwrap()
}

/// A GitLab token `secret` known to the forge (scopes `api`, expiring in 30 days), imported
/// as `name` with the forge as its instance.
fn gitlab_token(env: &Env, forge: &Forge, name: &str, secret: &str, extra: Value) {
    let exp = (jiff::Zoned::now().date() + jiff::Span::new().days(30)).to_string();
    let mut t = json!({"scopes": ["api", "read_user"], "expires_at": exp, "last_used_at": "2026-11-30T10:00:00.000Z"});
    t.as_object_mut().unwrap().extend(extra.as_object().cloned().unwrap_or_default());
    forge.token(secret, t);
    env.import(name, secret, &["--provider-url", &forge.url(), "--expires", &exp]);
}

/// No request carried a secret in its path or query, and every one that carried it did so in
/// the header the provider's documentation names.
fn secrets_only_in_headers(forge: &Forge, secrets: &[&str]) {
    for r in forge.log() {
        let line = format!("{} {}", r["path"], r["query"]);
        for s in secrets {
            assert!(!line.contains(s), "a secret in a URL: {line}");
        }
    }
}

#[test]
fn import_names_the_provider_from_the_secrets_format_and_show_and_list_say_it() {
    let env = own_env();
    env.import("gl", GLPAT, &[]);
    env.import("gh", GHP, &[]);
    env.import("np", "npm_abcdefghijklmnopqrstuvwxyz0123456789", &[]);
    env.import("other", "plain-secret-of-some-length", &[]);
    env.import("opted-out", "glpat-AnOtHeRtOkEnXyZ12345", &["--provider", "none"]);
    let providers: Vec<Value> =
        ["gl", "gh", "np", "other", "opted-out"].iter().map(|n| show(&env, n)["provider"].clone()).collect();
    assert_eq!(providers, [json!("gitlab"), json!("github"), json!("npm"), Value::Null, Value::Null]);
    let list: Value = serde_json::from_str(&env.ok(&["list", "--json"], b"")).unwrap();
    let gl = list.as_array().unwrap().iter().find(|r| r["name"] == "gl").unwrap().clone();
    assert_eq!(
        (gl["provider"].as_str(), gl["provider_url"].as_str(), gl["inspected_at"].as_str()),
        (Some("gitlab"), None, None)
    );
    let text = env.ok(&["show", "gl"], b"");
    assert!(text.contains("provider") && text.contains("gitlab at https://gitlab.com"), "{text}");
    assert!(text.contains("inspected    never"), "{text}");
    // doctor offers to ask the provider, as a note: nothing is wrong yet.
    let doc = env.run(&["doctor", "--json"], b"");
    let j: Value = serde_json::from_str(&doc.stdout).unwrap();
    let offer = j["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["text"].as_str().unwrap_or("").contains("`tokctl inspect gl`"));
    assert_eq!(offer.map(|c| c["state"].clone()), Some(json!("note")), "{doc}");
    // A dotenv file too, saying what it chose; `--provider none` opts the file out.
    let file = env.root.join("tokens.env");
    std::fs::write(&file, "GITLAB_CI_TOKEN=glpat-DotenvTokenSecret00001\nOTHER_TOKEN=plain-secret-0000000001\n")
        .unwrap();
    env.remember("glpat-DotenvTokenSecret00001");
    let out = env.succeeds(&["import", "--dotenv", file.to_str().unwrap()], b"");
    assert!(out.stderr.contains("'gitlab-ci-token': provider gitlab at https://gitlab.com"), "{out}");
    assert_eq!(
        (show(&env, "gitlab-ci-token")["provider"].as_str(), show(&env, "other-token")["provider"].as_str()),
        (Some("gitlab"), None)
    );
    let other = own_env();
    other.ok(&["import", "--dotenv", file.to_str().unwrap(), "--provider", "none"], b"");
    assert!(show(&other, "gitlab-ci-token")["provider"].is_null());
    // A minted token has none; one is refused.
    env.create("minted", &[]);
    assert!(show(&env, "minted")["provider"].is_null());
    let before = std::fs::read(&env.vault).unwrap();
    let out = env.fails(&["update", "minted", "--provider", "gitlab"], b"", 2);
    assert!(out.stderr.contains("minted"), "{out}");
    assert_eq!(std::fs::read(&env.vault).unwrap(), before);
}

#[test]
fn bad_provider_settings_are_refused_and_leave_the_vault_as_it_was() {
    let env = own_env();
    env.import("gl", GLPAT, &[]);
    let before = std::fs::read(&env.vault).unwrap();
    for (args, says) in [
        (vec!["update", "gl", "--provider-url", "http://gitlab.example.com"], "clear text"),
        (vec!["update", "gl", "--provider-url", "https://user:pw@gitlab.example.com"], "password"),
        (vec!["update", "gl", "--provider-url", "gitlab.example.com"], "absolute"),
        (vec!["update", "gl", "--on-rotate", "my-hook"], "--provider command"),
        (vec!["update", "gl", "--provider", "command", "--on-rotate", "'unbalanced"], "quotes"),
        (vec!["update", "gl", "--provider", "command", "--provider-url", "https://x.example"], "gitlab, github or npm"),
        (vec!["update", "gl", "--provider", "bogus"], "bogus"),
    ] {
        let out = env.fails(&args, b"", 2);
        assert!(out.stderr.contains(says), "{args:?}: {out}");
        assert_eq!(std::fs::read(&env.vault).unwrap(), before, "{args:?} changed the vault");
    }
    let out = env.fails(&["import", "x", "--provider-url", "http://10.1.2.3"], b"glpat-whatever-secret-1234", 2);
    assert!(out.stderr.contains("clear text"), "{out}");
    assert_eq!(std::fs::read(&env.vault).unwrap(), before);
    // inspect of a token without a provider: exit 2; a missing name: 3.
    env.import("plain", "plain-secret-of-some-length", &[]);
    let before = std::fs::read(&env.vault).unwrap();
    let out = env.fails(&["inspect", "plain"], b"", 2);
    assert!(out.stderr.contains("no provider"), "{out}");
    env.fails(&["inspect", "nope"], b"", 3);
    assert_eq!(std::fs::read(&env.vault).unwrap(), before);
}

#[test]
fn gitlab_inspect_keeps_the_providers_expiry_scopes_and_last_use_and_logs_it() {
    let env = own_env();
    let forge = Forge::start();
    let exp = (jiff::Zoned::now().date() + jiff::Span::new().days(12)).to_string();
    forge.token(
        GLPAT,
        json!({"scopes": ["api", "read_user"], "expires_at": exp, "last_used_at": "2026-11-30T10:00:00.000Z"}),
    );
    env.import("gl", GLPAT, &["--provider-url", &forge.url(), "--scope", "mine"]);
    let out = env.succeeds(&["inspect", "gl"], b"");
    assert!(out.stdout.starts_with("gl: valid (gitlab at http://127.0.0.1:"), "{out}");
    assert!(out.stdout.contains("scopes api, read_user"), "{out}");
    let r = show(&env, "gl");
    assert_eq!(r["expires_at"], format!("{exp}T00:00:00Z"), "the provider's expiry: {r}");
    assert_eq!(r["provider_scopes"], json!(["api", "read_user"]));
    assert_eq!(r["scopes"], json!(["mine"]), "the user's own scopes stay apart");
    assert_eq!(r["provider_last_used_at"], "2026-11-30T10:00:00Z");
    assert!(r["inspected_at"].is_string() && r["status"] == "active", "{r}");
    let log = env.ok(&["log", "gl"], b"");
    assert!(log.contains("inspected") && log.contains("valid at gitlab"), "{log}");
    // One request, the token in PRIVATE-TOKEN only.
    let reqs = forge.log();
    assert_eq!(reqs.len(), 1, "{reqs:?}");
    assert_eq!(reqs[0]["path"], "/api/v4/personal_access_tokens/self");
    assert_eq!(reqs[0]["headers"]["private-token"], GLPAT);
    secrets_only_in_headers(&forge, &[GLPAT]);
    // JSON: one object per token.
    let j: Value = serde_json::from_str(&env.ok(&["inspect", "--all", "--json"], b"")).unwrap();
    assert_eq!(j[0]["name"], "gl");
    assert_eq!((j[0]["valid"].as_bool(), j[0]["provider"].as_str()), (Some(true), Some("gitlab")));
}

#[test]
fn a_token_dead_at_its_provider_is_refused_until_a_new_secret_or_a_valid_answer() {
    let env = own_env();
    let forge = Forge::start();
    // The forge does not know it: 401, as GitLab answers a revoked or expired token.
    env.import("gl", GLPAT, &["--provider-url", &forge.url()]);
    let out = env.fails(&["inspect", "gl"], b"", 4);
    assert!(out.stdout.contains("gl: dead at provider"), "{out}");
    assert_eq!(show(&env, "gl")["status"], "dead at provider");
    let list = env.ok(&["list"], b"");
    assert!(list.contains("dead at provider"), "{list}");
    let out = env.fails(&["get", "gl"], b"", 4);
    assert!(out.stderr.contains("dead at its provider") && out.stderr.contains("import gl --replace"), "{out}");
    env.fails(&["exec", "-t", "gl", "--", "true"], b"", 4);
    // The provider takes it again: a valid answer clears the mark.
    forge.token(GLPAT, json!({"scopes": ["api"]}));
    env.succeeds(&["inspect", "gl"], b"");
    assert_eq!(env.get("gl"), GLPAT);
    // Dead again, then a new secret clears it too.
    forge.fault(
        json!({"path": "/api/v4/personal_access_tokens/self", "status": 401, "body": {"message": "401 Unauthorized"}}),
    );
    env.fails(&["inspect", "gl"], b"", 4);
    env.import("gl", "glpat-ReplacementSecret0001", &["--replace"]);
    assert_eq!(show(&env, "gl")["status"], "active");
}

#[test]
fn inspect_exit_codes_put_unreachable_before_refused_before_dead() {
    let mut env = own_env();
    // Room for a 429 of one second to be waited out even on a loaded machine.
    env.set("TOKCTL_PROVIDER_TIMEOUT", "4");
    let forge = Forge::start();
    gitlab_token(&env, &forge, "a", GLPAT, json!({}));
    gitlab_token(&env, &forge, "b", "glpat-SecondTokenSecret0002", json!({}));
    let path = "/api/v4/personal_access_tokens/self";
    let both = ["inspect", "a", "b"];
    // 403 (refused) and 401 (dead): 5.
    forge.fault(json!({"path": path, "status": 403, "body": {"message": "403 Forbidden"}}));
    forge.fault(json!({"path": path, "status": 401, "body": {"message": "401 Unauthorized"}}));
    let out = env.fails(&both, b"", 5);
    assert!(out.stderr.contains("refused") && out.stderr.contains("403"), "{out}");
    // A provider that repeats the token in its answer: never shown (the harness checks stderr).
    forge.fault(json!({"path": path, "status": 403, "body": {"message": format!("token {GLPAT} is not allowed")}}));
    let out = env.fails(&["inspect", "a"], b"", 5);
    assert!(out.stderr.contains("token *** is not allowed"), "{out}");
    // A server error and a dead token: 1.
    forge.fault(json!({"path": path, "status": 502, "body": {"message": "bad gateway"}}));
    forge.fault(json!({"path": path, "status": 401, "body": {"message": "401 Unauthorized"}}));
    let out = env.fails(&both, b"", 1);
    assert!(out.stderr.contains("HTTP 502"), "{out}");
    // A slow answer: 1 within the timeout, saying which variable sets it.
    forge.fault(json!({"path": path, "delay": 6}));
    let out = env.fails(&["inspect", "a"], b"", 1);
    assert!(out.stderr.contains("TOKCTL_PROVIDER_TIMEOUT"), "{out}");
    // A 429 is waited out once within the timeout; a longer one is exit 1.
    let before = forge.count("GET", path);
    forge
        .fault(json!({"path": path, "status": 429, "headers": {"Retry-After": "1"}, "body": {"message": "slow down"}}));
    env.succeeds(&["inspect", "a"], b"");
    assert_eq!(forge.count("GET", path) - before, 2, "one retry after the 429");
    forge.fault(
        json!({"path": path, "status": 429, "headers": {"Retry-After": "60"}, "body": {"message": "slow down"}}),
    );
    let out = env.fails(&["inspect", "a"], b"", 1);
    assert!(out.stderr.contains("rate-limiting"), "{out}");
    // Nothing to ask and nothing wrong: 0.
    env.import("plain", "plain-secret-of-some-length", &[]);
    env.succeeds(&["inspect", "--all"], b"");
}

#[test]
fn gitlab_regenerate_rotates_there_seals_the_new_secret_and_prints_it_once() {
    let env = own_env();
    let forge = Forge::start();
    gitlab_token(&env, &forge, "gl", GLPAT, json!({}));
    let out = env.succeeds(&["regenerate", "gl"], b"");
    let new = env.one_secret(out.stdout.clone());
    assert_eq!(forge.rotated_to(GLPAT).as_deref(), Some(new.as_str()), "the secret GitLab issued");
    assert!(new.starts_with("glpat-"));
    assert!(!forge.is_valid(GLPAT) && forge.is_valid(&new));
    assert_eq!(env.get("gl"), new);
    assert_eq!(forge.count("POST", "/api/v4/personal_access_tokens/self/rotate"), 1);
    // The lifetime kept: 30 days from import, so 30 days from today.
    let sent: Value = serde_json::from_str(forge.log().last().unwrap()["body"].as_str().unwrap()).unwrap();
    let want =
        (jiff::Zoned::now().with_time_zone(jiff::tz::TimeZone::UTC).date() + jiff::Span::new().days(30)).to_string();
    assert_eq!(sent["expires_at"], want);
    let r = show(&env, "gl");
    assert_eq!(r["expires_at"], format!("{want}T00:00:00Z"));
    assert!(r["rotation_pending_since"].is_null());
    let log = env.ok(&["log", "gl"], b"");
    assert!(log.contains("rotation-started") && log.contains("regenerated"), "{log}");
    secrets_only_in_headers(&forge, &[GLPAT, &new]);
    // A longer --expires than GitLab allows is capped at 365 days, said on stderr.
    let out = env.succeeds(&["regenerate", "gl", "--expires", "never"], b"");
    env.one_secret(out.stdout.clone());
    assert!(out.stderr.contains("365 days"), "{out}");
}

#[test]
fn gitlab_refusals_change_nothing_and_clear_the_mark() {
    let env = own_env();
    let forge = Forge::start();
    gitlab_token(&env, &forge, "gl", GLPAT, json!({"scopes": ["read_api"]}));
    let before = show(&env, "gl");
    let out = env.fails(&["regenerate", "gl"], b"", 5);
    assert!(out.stderr.contains("self_rotate"), "{out}");
    assert_eq!(out.stdout, "");
    let after = show(&env, "gl");
    assert_eq!(
        (after["status"].clone(), after["fingerprint"].clone()),
        (before["status"].clone(), before["fingerprint"].clone())
    );
    assert_eq!(env.get("gl"), GLPAT, "no mark left: the token is usable");
    // A dead token cannot rotate itself: exit 4, and it is marked dead.
    forge.fault(json!({"path": "/api/v4/personal_access_tokens/self/rotate", "status": 401, "body": {"message": "401 Unauthorized"}}));
    env.fails(&["regenerate", "gl"], b"", 4);
    assert_eq!(show(&env, "gl")["status"], "dead at provider");
    // GitHub cannot rotate: exit 2, nothing sent.
    let gh = Forge::start();
    env.import("gh", GHP, &["--provider-url", &gh.url()]);
    let out = env.fails(&["regenerate", "gh"], b"", 2);
    assert!(out.stderr.contains("/settings/tokens") && out.stderr.contains("import gh --replace"), "{out}");
    assert!(gh.log().is_empty());
}

/// Start `regenerate gl` and wait until its rotate request reached the forge, which holds the
/// answer (the rotation is done there).
fn rotation_under_way<'e>(env: &'e Env, forge: &Forge) -> Running<'e> {
    forge.fault(json!({"path": "/api/v4/personal_access_tokens/self/rotate", "hold": true}));
    let run = env.spawn(env.std_cmd(&["regenerate", "gl"]));
    wait_until("the rotate request", Duration::from_secs(30), || {
        (forge.count("POST", "/api/v4/personal_access_tokens/self/rotate") == 1).then_some(())
    });
    run
}

/// After a rotation whose answer never got sealed: the token is held back with the pending
/// mark, `regenerate` refuses without a request, and the secret GitLab issued stores it again.
fn pending_afterwards(env: &Env, forge: &Forge) {
    let out = env.fails(&["get", "gl"], b"", 4);
    assert!(out.stderr.contains("rotation") && out.stderr.contains("import gl --replace"), "{out}");
    assert_eq!(show(env, "gl")["status"], "rotation pending");
    let out = env.fails(&["regenerate", "gl"], b"", 4);
    assert!(out.stderr.contains("has not finished") && out.stderr.contains("never sent to rotate again"), "{out}");
    // Asking the provider (which says the old secret is dead) does not lift the mark either.
    env.fails(&["inspect", "gl"], b"", 4);
    env.fails(&["regenerate", "gl"], b"", 4);
    assert_eq!(forge.count("POST", "/api/v4/personal_access_tokens/self/rotate"), 1, "never a second rotate request");
    let issued = forge.rotated_to(GLPAT).expect("the forge rotated it");
    assert!(forge.is_valid(&issued), "GitLab's new token is still valid: it was never reused");
    env.import("gl", &issued, &["--replace"]);
    assert_eq!(env.get("gl"), issued);
}

#[test]
fn a_rotation_killed_while_waiting_for_the_answer_leaves_the_pending_mark() {
    let env = own_env();
    let forge = Forge::start();
    gitlab_token(&env, &forge, "gl", GLPAT, json!({}));
    let mut run = rotation_under_way(&env, &forge);
    run.signal("KILL");
    run.finish(Duration::from_secs(30));
    forge.release();
    pending_afterwards(&env, &forge);
}

#[test]
fn a_rotation_killed_between_the_answer_and_the_seal_leaves_the_pending_mark() {
    let env = own_env();
    let forge = Forge::start();
    gitlab_token(&env, &forge, "gl", GLPAT, json!({}));
    let mut run = rotation_under_way(&env, &forge);
    // Hold the writers' lock, let the answer go, and wait until tokctl waits for the lock with
    // the new secret in hand: then kill it.
    let lock_file = std::fs::File::open(env.vault.with_file_name("vault.toml.lock")).unwrap();
    lock_file.lock().unwrap();
    forge.release();
    let pid = run.pid();
    wait_until("tokctl waiting for the writers' lock", Duration::from_secs(30), || {
        let sc = std::fs::read_to_string(format!("/proc/{pid}/syscall")).unwrap_or_default();
        // flock(2) is system call 73 on x86_64, 32 on aarch64.
        let n = sc.split_whitespace().next().unwrap_or("");
        (n == if cfg!(target_arch = "aarch64") { "32" } else { "73" }).then_some(())
    });
    run.signal("KILL");
    let out = run.finish(Duration::from_secs(30));
    assert_eq!(out.stdout, "", "nothing was printed: the answer was never sealed");
    drop(lock_file);
    pending_afterwards(&env, &forge);
}

#[test]
fn a_rotation_whose_seal_fails_prints_the_new_secret_once_with_the_command_that_stores_it() {
    let env = own_env();
    let forge = Forge::start();
    gitlab_token(&env, &forge, "gl", GLPAT, json!({}));
    let run = rotation_under_way(&env, &forge);
    // The vault is damaged while the provider holds its answer: the seal cannot happen.
    let good = std::fs::read(&env.vault).unwrap();
    let mut bad = good.clone();
    let last = bad.len() - 2;
    bad[last] ^= 1;
    std::fs::write(&env.vault, &bad).unwrap();
    forge.release();
    let out = run.finish(Duration::from_secs(30));
    assert_eq!(out.code, 1, "{out}");
    let issued = forge.rotated_to(GLPAT).unwrap();
    assert_eq!(out.stdout, format!("{issued}\n"), "printed once, on stdout");
    assert!(out.stderr.contains("import gl --replace") && !out.stderr.contains(&issued), "{out}");
    env.remember(&issued);
    std::fs::write(&env.vault, &good).unwrap();
    pending_afterwards(&env, &forge);
}

#[test]
fn a_rotation_that_times_out_keeps_the_mark_and_is_never_retried() {
    let mut env = own_env();
    env.set("TOKCTL_PROVIDER_TIMEOUT", "1");
    let forge = Forge::start();
    gitlab_token(&env, &forge, "gl", GLPAT, json!({}));
    forge.fault(json!({"path": "/api/v4/personal_access_tokens/self/rotate", "delay": 3}));
    let out = env.fails(&["regenerate", "gl"], b"", 1);
    assert!(
        out.stderr.contains("never be sent to rotate again") && out.stderr.contains("import gl --replace"),
        "{out}"
    );
    assert_eq!(out.stdout, "");
    pending_afterwards(&env, &forge);
}

#[test]
fn revoke_revokes_at_the_provider_then_here_and_says_what_to_do_when_it_cannot() {
    let env = own_env();
    let forge = Forge::start();
    gitlab_token(&env, &forge, "gl", GLPAT, json!({}));
    let out = env.succeeds(&["revoke", "gl", "--yes"], b"");
    assert!(out.stderr.contains("at gitlab"), "{out}");
    assert!(!forge.is_valid(GLPAT));
    assert_eq!(forge.count("DELETE", "/api/v4/personal_access_tokens/self"), 1);
    assert_eq!(show(&env, "gl")["status"], "revoked");
    // Unreachable: revoked here all the same, exit 1, what to do by hand.
    let other = "glpat-UnreachableTokenSecret01";
    gitlab_token(&env, &forge, "down", other, json!({}));
    forge.fault(json!({"path": "/api/v4/personal_access_tokens/self", "method": "DELETE", "status": 503, "body": {"message": "down"}}));
    let out = env.fails(&["revoke", "down", "--yes"], b"", 1);
    assert!(
        out.stderr.contains("NOT at gitlab") && out.stderr.contains("/-/user_settings/personal_access_tokens"),
        "{out}"
    );
    assert_eq!(show(&env, "down")["status"], "revoked");
    env.fails(&["get", "down"], b"", 4);
    assert!(env.ok(&["log", "down"], b"").contains("provider-revoke-failed"));
    // Refused: exit 5.
    let third = "glpat-RefusedTokenSecret00001";
    gitlab_token(&env, &forge, "refused", third, json!({}));
    forge.fault(json!({"path": "/api/v4/personal_access_tokens/self", "method": "DELETE", "status": 403, "body": {"message": "403 Forbidden"}}));
    env.fails(&["revoke", "refused", "--yes"], b"", 5);
    // --local asks no one.
    let fourth = "glpat-LocalOnlyTokenSecret001";
    gitlab_token(&env, &forge, "local", fourth, json!({}));
    let before = forge.log().len();
    env.succeeds(&["revoke", "local", "--local", "--yes"], b"");
    assert_eq!(forge.log().len(), before);
    assert!(forge.is_valid(fourth));
    // Already dead at the provider counts as revoked.
    env.import("gone", "glpat-AlreadyDeadAtGitLab001", &["--provider-url", &forge.url()]);
    env.succeeds(&["revoke", "gone", "--yes"], b"");
}

#[test]
fn github_inspect_reads_the_headers_and_revoke_uses_the_credential_revocation_api() {
    let env = own_env();
    let forge = Forge::start();
    forge.token(GHP, json!({"scopes": ["repo", "read:org"], "expires_at": "2027-02-01"}));
    env.import("gh", GHP, &["--provider-url", &forge.url()]);
    let fine = "github_pat_11AAAAAAA0FineGrainedTokenSecret";
    forge.token(fine, json!({"classic": false}));
    env.import("fine", fine, &["--provider-url", &forge.url()]);
    env.succeeds(&["inspect", "gh", "fine"], b"");
    let r = show(&env, "gh");
    assert_eq!(
        (r["provider_scopes"].clone(), r["expires_at"].clone()),
        (json!(["repo", "read:org"]), json!("2027-02-01T00:00:00Z"))
    );
    let f = show(&env, "fine");
    assert!(
        f["provider_scopes"].is_null() && f["expires_at"].is_null(),
        "a fine-grained token's answers carry no scopes: {f}"
    );
    let req = forge
        .log()
        .into_iter()
        .find(|r| r["path"] == "/api/v3/user" && r["headers"]["authorization"] == format!("Bearer {GHP}"));
    let req = req.expect("GET /user with the token as a bearer");
    assert_eq!(req["headers"]["x-github-api-version"], "2022-11-28");
    env.succeeds(&["revoke", "gh", "--yes"], b"");
    let req = forge.log().into_iter().find(|r| r["path"] == "/api/v3/credentials/revoke").unwrap();
    let body: Value = serde_json::from_str(req["body"].as_str().unwrap()).unwrap();
    assert_eq!(body, json!({"credentials": [GHP]}));
    assert!(!forge.is_valid(GHP));
    secrets_only_in_headers(&forge, &[GHP, fine]);
    // A dead one: 401 Bad credentials.
    forge.fault(json!({"path": "/api/v3/user", "status": 401, "body": {"message": "Bad credentials"}}));
    let out = env.fails(&["inspect", "fine", "--json"], b"", 4);
    let j: Value = serde_json::from_str(&out.stdout).unwrap();
    assert_eq!(j[0]["valid"], false);
}

/// A hook script in the test's dir: it writes what it got (stdin, argv, environment) beside
/// itself, then runs `tail` (shell) to answer.
fn hook(env: &Env, name: &str, tail: &str) -> String {
    let path = env.root.join(name);
    let dump = env.root.join(format!("{name}.got"));
    std::fs::write(
        &path,
        format!(
            "#!/bin/sh\nIFS= read -r secret\n{{ printf 'stdin=%s\\n' \"$secret\"; printf 'argv=%s\\n' \"$*\"; env; \
             printf 'tty=%s\\n' \"$(tty 2>&1)\"; }} > '{}'\n{tail}\n",
            dump.display()
        ),
    )
    .unwrap();
    set_mode(&path, 0o755);
    path.display().to_string()
}

fn got(env: &Env, name: &str) -> String {
    std::fs::read_to_string(env.root.join(format!("{name}.got"))).unwrap_or_default()
}

#[test]
fn command_hooks_get_the_secret_on_stdin_only_and_their_answers_are_checked() {
    let env = own_env();
    let old = "expo-robot-secret-0000000000001";
    let new = "expo-robot-secret-0000000000002";
    env.remember(new);
    let rotate = hook(&env, "rotate", &format!("printf 'noise\\nsecret={new}\\nexpires=2027-06-01\\n'"));
    let inspect = hook(&env, "inspect", "echo valid=true; echo scopes=a,b; echo last_used=2026-12-01T08:00:00Z");
    env.import(
        "expo",
        old,
        &[
            "--provider",
            "command",
            "--on-rotate",
            &format!("{rotate} --flag 'two words'"),
            "--on-inspect",
            &inspect,
            "--scope",
            "ci",
        ],
    );
    let shown = show(&env, "expo");
    assert_eq!(shown["on_rotate"], format!("{rotate} --flag 'two words'"));
    env.succeeds(&["inspect", "expo"], b"");
    let seen = got(&env, "inspect");
    assert!(seen.contains(&format!("stdin={old}\n")), "{seen}");
    assert_eq!(seen.matches(old).count(), 1, "the secret only on stdin, never in argv or the environment: {seen}");
    for want in ["TOKCTL_TOKEN_NAME=expo", "TOKCTL_TOKEN_ENV=EXPO_TOKEN", "TOKCTL_TOKEN_SCOPES=ci"] {
        assert!(seen.contains(want), "{want}: {seen}");
    }
    assert!(!seen.contains("TOKCTL_VAULT_KEY") && !seen.contains("tokctl-key-v1"), "no vault key: {seen}");
    assert!(seen.contains("tty=not a tty"), "no terminal: {seen}");
    let r = show(&env, "expo");
    assert_eq!(
        (r["provider_scopes"].clone(), r["provider_last_used_at"].clone()),
        (json!(["a", "b"]), json!("2026-12-01T08:00:00Z"))
    );
    // Rotate: argv as a shell would split it, the answer sealed.
    let out = env.succeeds(&["regenerate", "expo"], b"");
    assert_eq!(out.stdout, format!("{new}\n"));
    let seen = got(&env, "rotate");
    assert!(seen.contains("argv=--flag two words\n") && seen.contains(&format!("stdin={old}\n")), "{seen}");
    assert_eq!(env.get("expo"), new);
    assert_eq!(show(&env, "expo")["expires_at"], "2027-06-01T00:00:00Z");
}

#[test]
fn a_failing_slow_or_mute_hook_changes_nothing() {
    let mut env = own_env();
    env.set("TOKCTL_PROVIDER_TIMEOUT", "2");
    let secret = "bws-machine-token-000000000001";
    let failing = hook(&env, "failing", "echo \"bws: access token invalid: $secret\" >&2; exit 3");
    env.import(
        "bws",
        secret,
        &["--provider", "command", "--on-rotate", &failing, "--on-revoke", &failing, "--on-inspect", &failing],
    );
    let before = show(&env, "bws");
    let out = env.fails(&["regenerate", "bws"], b"", 1);
    assert!(out.stderr.contains("exited with status 3") && out.stderr.contains("bws: access token invalid"), "{out}");
    let out = env.fails(&["inspect", "bws"], b"", 1);
    assert!(out.stderr.contains("status 3"), "{out}");
    let mute = hook(&env, "mute", "echo expires=2027-01-01");
    env.ok(&["update", "bws", "--on-rotate", &mute], b"");
    let out = env.fails(&["regenerate", "bws"], b"", 1);
    assert!(out.stderr.contains("no secret= line"), "{out}");
    let slow = hook(&env, "slow", "sleep 30; echo secret=too-late-000000000000");
    env.ok(&["update", "bws", "--on-rotate", &slow, "--on-inspect", &mute], b"");
    let out = env.fails(&["regenerate", "bws"], b"", 1);
    assert!(out.stderr.contains("TOKCTL_PROVIDER_TIMEOUT"), "{out}");
    let out = env.fails(&["inspect", "bws"], b"", 1);
    assert!(out.stderr.contains("valid=true or valid=false"), "{out}");
    let after = show(&env, "bws");
    for k in ["fingerprint", "status", "expires_at", "inspected_at", "rotation_pending_since"] {
        assert_eq!(after[k], before[k], "{k}");
    }
    assert_eq!(env.get("bws"), secret);
    // A failing revoke hook: revoked here all the same, exit 1.
    let out = env.fails(&["revoke", "bws", "--yes"], b"", 1);
    assert!(out.stderr.contains("NOT at command"), "{out}");
    assert_eq!(show(&env, "bws")["status"], "revoked");
}

#[test]
fn hooks_and_provider_addresses_stay_in_the_users_own_vault() {
    let env = own_env();
    let forge = Forge::start();
    let h = hook(&env, "h", "echo valid=true");
    env.import("cmd", "command-provider-secret-0001", &["--provider", "command", "--on-inspect", &h]);
    gitlab_token(&env, &forge, "gl", GLPAT, json!({}));
    let out_file = env.root.join("ci.vault");
    let key = env.ok(&["bundle", "-t", "cmd", "-t", "gl", "--out", out_file.to_str().unwrap()], b"");
    let mut ci = Env::bare();
    ci.set("TOKCTL_VAULT_KEY", key.trim());
    ci.set("TOKCTL_VAULT", out_file.to_str().unwrap());
    let shown: Value = serde_json::from_str(&ci.ok(&["show", "gl", "--json"], b"")).unwrap();
    assert_eq!((shown["provider"].as_str(), shown["provider_url"].as_str()), (Some("gitlab"), None), "{shown}");
    let shown: Value = serde_json::from_str(&ci.ok(&["show", "cmd", "--json"], b"")).unwrap();
    assert!(shown["on_inspect"].is_null(), "{shown}");
    let out = ci.fails(&["inspect", "cmd"], b"", 2);
    assert!(out.stderr.contains("not in your own vault"), "{out}");
    assert_eq!(got(&env, "h"), "", "the hook never ran from the bundle");
}

#[test]
fn a_rollback_to_before_a_rotation_marks_the_old_secret_never_to_rotate_again() {
    let env = own_env();
    let forge = Forge::start();
    gitlab_token(&env, &forge, "gl", GLPAT, json!({}));
    let vault = env.vault.clone();
    let old = std::fs::read(&vault).unwrap();
    let new = env.one_secret(env.ok(&["regenerate", "gl"], b""));
    std::fs::write(&vault, &old).unwrap();
    let out = env.succeeds(&["accept-rollback"], b"");
    assert!(out.stderr.contains("never sent to rotate again"), "{out}");
    // The copy holds GLPAT, which GitLab has revoked: never sent to rotate again.
    env.fails(&["regenerate", "gl"], b"", 4);
    assert_eq!(forge.count("POST", "/api/v4/personal_access_tokens/self/rotate"), 1);
    env.import("gl", &new, &["--replace"]);
    assert_eq!(env.get("gl"), new);
}

#[test]
fn a_command_provider_without_a_hook_acts_here_as_a_token_without_a_provider() {
    let env = own_env();
    let h = hook(&env, "inspect", "echo valid=true");
    env.import("bws", "bws-machine-token-000000000002", &["--provider", "command", "--on-inspect", &h]);
    // No --on-rotate: the new secret from stdin, as for any imported token.
    let new = "bws-machine-token-000000000003";
    env.remember(new);
    env.ok(&["regenerate", "bws"], new.as_bytes());
    assert_eq!(env.get("bws"), new);
    // No --on-revoke: here only, saying so.
    let out = env.succeeds(&["revoke", "bws", "--yes"], b"");
    assert!(out.stderr.contains("revoke it at its provider too"), "{out}");
    // No --on-inspect: `--all` skips it, naming it is exit 2.
    env.import("choreo", "choreo-token-00000000000000001", &["--provider", "command"]);
    env.succeeds(&["inspect", "--all"], b"");
    let out = env.fails(&["inspect", "choreo"], b"", 2);
    assert!(out.stderr.contains("--on-inspect"), "{out}");
}

/// The README's Choreo recipe, run as written: a provider with no API gets hooks that only say
/// what to do by hand; `regenerate` changes nothing, `revoke` revokes here, both exit 1.
#[test]
fn the_readme_choreo_recipe_runs_as_written() {
    use crate::ci_recipe::{bin_dir, blocks, readme};
    let text = readme();
    let block = blocks(&text, "### Recipes per provider", "sh")
        .into_iter()
        .find(|b| b.contains("tokctl import choreo"))
        .expect("the Choreo block");
    let env = own_env();
    let secret = "choreo-personal-access-token-0001";
    env.remember(secret);
    let path = format!("{}:{}", bin_dir().display(), std::env::var("PATH").unwrap_or_default());
    let mut c = env.std_cmd_of("sh", &["-ec", &block]);
    c.env("PATH", &path);
    let out = env.run_cmd(c, secret.as_bytes());
    assert_eq!(out.code, 0, "README block failed: {block}\n{out}");
    let out = env.fails(&["regenerate", "choreo"], b"", 1);
    assert!(out.stderr.contains("Choreo has no token API"), "{out}");
    assert_eq!(env.get("choreo"), secret);
    let out = env.fails(&["revoke", "choreo", "--yes"], b"", 1);
    assert!(out.stderr.contains("Revoke it in the Choreo Console"), "{out}");
    assert_eq!(show(&env, "choreo")["status"], "revoked");
}

#[test]
fn a_secret_stored_while_the_provider_rotates_is_never_overwritten() {
    let env = own_env();
    let forge = Forge::start();
    gitlab_token(&env, &forge, "gl", GLPAT, json!({}));
    let run = rotation_under_way(&env, &forge);
    // Meanwhile the user re-issues the token by hand and stores it.
    let mine = "glpat-ReissuedByHandSecret01";
    env.import("gl", mine, &["--replace"]);
    forge.release();
    let out = run.finish(Duration::from_secs(30));
    assert_eq!(out.code, 1, "{out}");
    let issued = forge.rotated_to(GLPAT).unwrap();
    env.remember(&issued);
    assert_eq!(out.stdout, format!("{issued}\n"), "GitLab's answer printed once, not stored");
    assert!(out.stderr.contains("changed while the provider was rotating it"), "{out}");
    assert_eq!(env.get("gl"), mine, "what the user stored stays");
}

#[test]
fn a_hooks_new_secret_is_never_lost() {
    let mut env = own_env();
    env.set("TOKCTL_PROVIDER_TIMEOUT", "5");
    let old = "hook-provider-secret-00000001";
    let new = "hook-provider-secret-00000002";
    env.remember(new);
    // A bad expires= does not throw the new secret away.
    let sloppy = hook(&env, "sloppy", &format!("echo secret={new}; echo 'expires=2027-06-01 12:00:00 UTC'"));
    env.import("h", old, &["--provider", "command", "--on-rotate", &sloppy]);
    let out = env.succeeds(&["regenerate", "h"], b"");
    assert_eq!(out.stdout, format!("{new}\n"));
    assert!(out.stderr.contains("not an RFC 3339 date"), "{out}");
    assert_eq!(env.get("h"), new);
    // A hook that answers a secret and then fails: printed once, not stored, the mark stays.
    let newer = "hook-provider-secret-00000003";
    env.remember(newer);
    let half = hook(&env, "half", &format!("echo secret={newer}; echo 'cannot revoke the old one' >&2; exit 3"));
    env.ok(&["update", "h", "--on-rotate", &half], b"");
    let out = env.fails(&["regenerate", "h"], b"", 1);
    assert_eq!(out.stdout, format!("{newer}\n"));
    assert!(out.stderr.contains("printed above, once") && out.stderr.contains("cannot revoke the old one"), "{out}");
    assert_eq!(show(&env, "h")["status"], "rotation pending");
    env.fails(&["regenerate", "h"], b"", 4);
    assert!(got(&env, "half").contains(&format!("stdin={new}")), "the hook ran once");
    // What a failing hook says is shown, never logged (it may hold a new secret).
    let log = env.ok(&["log", "h", "--json"], b"");
    assert!(log.contains("rotation-failed") && !log.contains("cannot revoke"), "{log}");
}

#[test]
fn a_hook_is_bounded_by_its_deadline_and_a_missing_one_is_exit_1() {
    let mut env = own_env();
    env.set("TOKCTL_PROVIDER_TIMEOUT", "2");
    // A process the hook leaves in a session of its own holds its output open: tokctl goes on
    // at the deadline (before, it waited for it).
    let flag = env.root.join("lingering.started");
    let lingering = hook(
        &env,
        "lingering",
        &format!(
            "setsid sh -c 'echo > {0}; exec sleep 613' & while [ ! -s {0} ]; do :; done; echo valid=true",
            flag.display()
        ),
    );
    env.import("c", "command-provider-secret-0009", &["--provider", "command", "--on-inspect", &lingering]);
    let out = env.fails(&["inspect", "c"], b"", 1);
    assert!(out.stderr.contains("did not finish within 2 s"), "{out}");
    let _ = std::process::Command::new("pkill").args(["-f", "sleep 613"]).status();
    let missing = env.root.join("no-such-hook").display().to_string();
    env.ok(&["update", "c", "--on-inspect", &missing], b"");
    let out = env.fails(&["inspect", "c"], b"", 1);
    assert!(out.stderr.contains("cannot run") && out.stderr.contains("absolute path"), "{out}");
}

#[test]
fn a_vault_opened_with_a_key_from_the_environment_elsewhere_runs_no_hooks() {
    // Whoever holds a shared key (a CI bundle's) can write a "personal" vault with hooks.
    let env = Env::env_key();
    let h = hook(&env, "planted", "echo valid=true");
    env.import("t", "planted-hook-secret-000000001", &["--provider", "command", "--on-inspect", &h]);
    let out = env.fails(&["inspect", "t"], b"", 2);
    assert!(out.stderr.contains("not in your own vault"), "{out}");
    env.succeeds(&["inspect", "--all"], b"");
    env.succeeds(&["revoke", "t", "--yes"], b"");
    assert_eq!(got(&env, "planted"), "", "the planted hook never ran");
}

#[test]
fn a_vault_the_os_keyring_unlocks_is_the_users_own_wherever_it_lives() {
    let env = Env::keyring();
    let h = hook(&env, "own", "echo valid=true");
    let secret = "keyring-vault-secret-000000001";
    env.import("k", secret, &["--provider", "command", "--on-inspect", &h]);
    env.succeeds(&["inspect", "k"], b"");
    assert!(got(&env, "own").contains(&format!("stdin={secret}\n")), "the hook ran");
}
