//! The npm provider against a real registry (Verdaccio, tests/support/verdaccio.rs): `inspect`
//! by whoami and the token list, `regenerate` as create-then-revoke with the account password
//! from a no-echo prompt, `revoke` by the key found in the token list.

use std::time::Duration;

use serde_json::Value;

use crate::providers::own_env;
use crate::support::verdaccio::Verdaccio;
use crate::support::*;

const PASSWORD: &str = "correct horse battery";
const WITHIN: Duration = Duration::from_secs(30);

fn show(env: &Env, name: &str) -> Value {
    serde_json::from_str(&env.ok(&["show", name, "--json"], b"")).unwrap()
}

/// A registry with the account `alice` and one of her tokens, imported as `np`.
fn setup(env: &Env) -> Option<(Verdaccio, String, String)> {
    let v = Verdaccio::start()?;
    let session = v.add_user("alice", PASSWORD);
    let token = v.create_token(&session, PASSWORD);
    env.import("np", &token, &["--provider", "npm", "--provider-url", &v.url]);
    Some((v, session, token))
}

#[test]
fn inspect_asks_the_registry_whose_token_it_is_and_what_it_may_do() {
    let env = own_env();
    let Some((v, session, token)) = setup(&env) else { return };
    let out = env.succeeds(&["inspect", "np"], b"");
    assert!(
        out.stdout.contains("np: valid (npm at http://127.0.0.1:") && out.stdout.contains("account alice"),
        "{out}"
    );
    assert_eq!(show(&env, "np")["provider_scopes"], serde_json::json!(["read-write"]));
    // Revoked at the registry by someone else: Verdaccio then refuses the question (403), which
    // a token limited to other networks gets too, so it is exit 5 and the token is not marked.
    let key = v.key_of(&session, &token);
    assert_eq!(v.revoke(&session, &key).0, 200);
    let out = env.fails(&["inspect", "np"], b"", 5);
    assert!(out.stderr.contains("HTTP 403") && out.stderr.contains("revoked"), "{out}");
    assert_eq!(show(&env, "np")["status"], "active");
    for line in v.requests() {
        assert!(!line.contains(&token), "the token in a request line: {line}");
    }
}

#[test]
fn regenerate_creates_a_new_token_with_the_password_then_revokes_the_old_one() {
    let env = own_env();
    let Some((v, _session, old)) = setup(&env) else { return };
    let mut pty = env.on_pty(&["regenerate", "np"]);
    pty.expect("npm password", WITHIN);
    pty.wait_echo_off(WITHIN);
    pty.send(&format!("{PASSWORD}\n"));
    let out = pty.finish(WITHIN);
    assert_eq!(out.code, 0, "{out}");
    assert!(!out.stdout.contains(PASSWORD), "the password was not echoed: {out}");
    let new = env.get("np");
    assert_ne!(new, old);
    assert!(out.stdout.contains(&new), "the new secret is printed once: {out}");
    assert_eq!(v.whoami(&new).1["username"], "alice");
    assert_ne!(v.whoami(&old).0, 200, "the old token was revoked at the registry");
    assert_eq!(v.count("POST /-/npm/v1/tokens"), 2, "the setup's and the rotation's: {:?}", v.requests());
    assert!(env.ok(&["log", "np"], b"").contains("regenerated"));
}

#[test]
fn regenerate_without_a_terminal_or_with_a_wrong_password_changes_nothing() {
    let env = own_env();
    let Some((v, _session, old)) = setup(&env) else { return };
    let before = std::fs::read(&env.vault).unwrap();
    let out = env.fails(&["regenerate", "np"], PASSWORD.as_bytes(), 2);
    assert!(out.stderr.contains("password") && out.stderr.contains("terminal"), "{out}");
    assert_eq!(std::fs::read(&env.vault).unwrap(), before, "refused before anything was sealed");
    assert_eq!(v.count("POST /-/npm/v1/tokens"), 1, "only the setup's");
    let mut pty = env.on_pty(&["regenerate", "np"]);
    pty.expect("npm password", WITHIN);
    pty.send("not the password\n");
    let out = pty.finish(WITHIN);
    assert_eq!(out.code, 5, "{out}");
    assert_eq!(env.get("np"), old, "no pending mark: the token is usable");
    assert_eq!(v.whoami(&old).1["username"], "alice");
}

#[test]
fn revoke_finds_the_token_in_the_registrys_list_and_revokes_it_there() {
    let env = own_env();
    let Some((v, session, token)) = setup(&env) else { return };
    let keys_before = v.token_keys(&session);
    let out = env.succeeds(&["revoke", "np", "--yes"], b"");
    assert!(out.stderr.contains("at npm"), "{out}");
    assert_ne!(v.whoami(&token).0, 200);
    assert_eq!(v.token_keys(&session).len(), keys_before.len() - 1);
    assert_eq!(show(&env, "np")["status"], "revoked");
    assert!(v.requests().iter().any(|l| l.starts_with("DELETE /-/npm/v1/tokens/token/")));
    for line in v.requests() {
        assert!(!line.contains(&token), "the token in a request line: {line}");
    }
}

/// registry.npmjs.org's side, which Verdaccio does not have: two-factor auth (a one-time
/// password asked on the terminal when the registry challenges the create), and keys that are
/// the token's SHA-512. Played by tests/support/forge.py, as npm's CLI and npm-profile expect.
#[test]
fn regenerate_asks_for_a_one_time_password_when_the_registry_wants_one() {
    use crate::support::forge::Forge;
    let env = own_env();
    let forge = Forge::start();
    let old = "npm_0123456789abcdefghijklmnopqrstuvwxyz";
    forge.npm_account("alice", PASSWORD, Some("123456"), old);
    env.import("np", old, &["--provider-url", &format!("{}/npm", forge.url())]);
    assert_eq!(show(&env, "np")["provider"], "npm", "found from the npm_ prefix");
    env.succeeds(&["inspect", "np"], b"");
    let mut pty = env.on_pty(&["regenerate", "np"]);
    pty.expect("npm password", WITHIN);
    pty.wait_echo_off(WITHIN);
    pty.send(&format!("{PASSWORD}\n"));
    pty.expect("One-time password", WITHIN);
    pty.wait_echo_off(WITHIN);
    pty.send("123456\n");
    let out = pty.finish(WITHIN);
    assert_eq!(out.code, 0, "{out}");
    let new = env.get("np");
    let tokens = forge.npm_tokens();
    assert!(tokens.contains_key(&new) && !tokens.contains_key(old), "new one made, old one revoked: {tokens:?}");
    let posts: Vec<Value> = forge.log().into_iter().filter(|r| r["method"] == "POST").collect();
    assert_eq!(posts.len(), 2, "challenged once, then sent with the one-time password");
    assert!(posts[0]["headers"]["npm-otp"].is_null() && posts[1]["headers"]["npm-otp"] == "123456");
    let delete = forge.log().into_iter().find(|r| r["method"] == "DELETE").expect("the old one revoked");
    assert!(delete["path"].as_str().unwrap().ends_with(&sha512_hex(old)), "by its key, the SHA-512: {delete}");
    for r in forge.log() {
        let line = format!("{} {}", r["path"], r["query"]);
        assert!(!line.contains(old) && !line.contains(&new) && !line.contains(PASSWORD), "{line}");
    }
}

/// A registry that will not make a token this way (registry.npmjs.org has made no classic
/// tokens since December 2025): exit 5, nothing changed, and the manual path named.
#[test]
fn a_registry_that_refuses_to_create_a_token_gets_the_manual_path() {
    use crate::support::forge::Forge;
    let env = own_env();
    let forge = Forge::start();
    let old = "npm_abcdefghijklmnopqrstuvwxyz0123456789";
    forge.npm_account("bob", PASSWORD, None, old);
    env.import("np", old, &["--provider-url", &format!("{}/npm", forge.url())]);
    for status in [400, 403, 422] {
        forge.fault(serde_json::json!({"path": "/npm/-/npm/v1/tokens", "method": "POST", "status": status,
            "body": {"error": "classic tokens are no longer created"}}));
        let mut pty = env.on_pty(&["regenerate", "np"]);
        pty.expect("npm password", WITHIN);
        pty.send(&format!("{PASSWORD}\n"));
        let out = pty.finish(WITHIN);
        assert_eq!(out.code, 5, "HTTP {status}: {out}");
        assert!(out.stdout.contains("npm token create") && out.stdout.contains("import np --replace"), "{out}");
        assert_eq!(env.get("np"), old, "nothing changed, no pending mark");
    }
}

/// SHA-512 of `s` in hex, by coreutils' `sha512sum`.
fn sha512_hex(s: &str) -> String {
    let out = run_std(std::process::Command::new("sha512sum"), s.as_bytes());
    out.stdout.split_whitespace().next().expect("sha512sum prints the digest").to_string()
}
