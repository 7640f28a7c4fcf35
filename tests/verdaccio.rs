//! The npm registry the npm provider is tested against: Verdaccio (tests/support/verdaccio.rs),
//! checked here with plain HTTP and with npm's own CLI, so that what the provider's tests rely on
//! (accounts, the token API, revocation, the request log) is the real server's behaviour.

use crate::support::verdaccio::Verdaccio;
use crate::support::*;

const PASSWORD: &str = "correct horse battery";

/// The npm CLI's output, after it ran to the end.
fn npm(v: &Verdaccio, token: Option<&str>, args: &[&str], stdin: &[u8]) -> Option<Out> {
    Some(run_std(v.npm(token, args)?, stdin))
}

#[test]
fn token_api_creates_lists_and_revokes_and_the_log_counts_requests() {
    let Some(v) = Verdaccio::start() else { return };
    let session = v.add_user("alice", PASSWORD);
    assert_eq!(v.whoami(&session), (200, serde_json::json!({ "username": "alice" })));

    let token = v.create_token(&session, PASSWORD);
    assert_ne!(token, session);
    assert_eq!(v.whoami(&token).1["username"], "alice");
    assert_eq!(v.count("POST /-/npm/v1/tokens"), 1, "{:?}", v.requests());

    // The list holds the new token, masked (first and last five characters), and its key.
    let list = v.tokens(&token);
    let objects = list["objects"].as_array().unwrap();
    assert_eq!(objects.len(), 1, "{list}");
    assert_eq!(objects[0]["token"], format!("{}...{}", &token[..5], &token[token.len() - 5..]).as_str());
    assert_eq!(objects[0]["readonly"], false);
    assert_eq!(list["urls"]["next"], "");
    let key = objects[0]["key"].as_str().unwrap().to_string();
    assert!(key.len() == 32 && key.bytes().all(|b| b.is_ascii_hexdigit()), "key {key}");

    // A wrong password creates nothing: 401, and not the OTP challenge npmjs.org can send.
    let (status, answer) = v.create_token_answer(&token, "wrong password");
    assert_eq!(status, 401, "{answer}");
    assert_eq!(v.token_keys(&session), std::slice::from_ref(&key));

    // A token creates another (npm's create-then-revoke), which revokes the first.
    let second = v.create_token(&token, PASSWORD);
    assert_eq!(v.revoke(&second, &key), (200, serde_json::json!({})));
    assert_eq!(v.whoami(&token), (403, serde_json::json!({ "error": "unauthorized access" })));
    assert_eq!(v.whoami(&second).1["username"], "alice");
    assert_eq!(v.token_keys(&second).len(), 1);

    // A key nobody has: 200 all the same.
    assert_eq!(v.revoke(&second, &"0".repeat(32)).0, 200);

    assert_eq!(v.count("POST /-/npm/v1/tokens"), 3, "{:?}", v.requests());
    assert_eq!(v.count(&format!("DELETE /-/npm/v1/tokens/token/{key}")), 1, "{:?}", v.requests());
}

#[test]
fn whoami_names_nobody_for_a_bad_or_missing_token() {
    let Some(v) = Verdaccio::start() else { return };
    v.add_user("alice", PASSWORD);
    // Verdaccio answers an unknown token as anonymous: 200 without a username.
    assert_eq!(v.whoami("not-a-token"), (200, serde_json::json!({})));
    assert_eq!(v.request("GET", "/-/whoami", None, None), (200, serde_json::json!({})));
    // The token list is for signed-in users only.
    assert_eq!(v.request("GET", "/-/npm/v1/tokens", None, None).0, 401);
}

#[test]
fn npm_cli_whoami_reads_the_token_from_its_npmrc() {
    let Some(v) = Verdaccio::start() else { return };
    let session = v.add_user("alice", PASSWORD);
    let token = v.create_token(&session, PASSWORD);
    let Some(out) = npm(&v, Some(&token), &["whoami"], b"") else { return };
    assert_eq!((out.code, out.stdout.trim()), (0, "alice"), "{out}");
    assert!(!out.stderr.contains(&token), "{out}");

    let out = npm(&v, None, &["whoami"], b"").unwrap();
    assert_ne!(out.code, 0, "{out}");
    assert!(!out.stdout.contains("alice"), "{out}");
}

#[test]
fn npm_cli_creates_lists_and_revokes_tokens() {
    let Some(v) = Verdaccio::start() else { return };
    let session = v.add_user("alice", PASSWORD);
    let first = v.create_token(&session, PASSWORD);

    // `npm token create` reads the password from stdin (no terminal here, so its prompt goes to
    // stdout too) and prints the token.
    let Some(out) = npm(&v, Some(&first), &["token", "create", "--json"], format!("{PASSWORD}\n").as_bytes()) else {
        return;
    };
    assert_eq!(out.code, 0, "{out}");
    let created: serde_json::Value = out
        .stdout
        .strip_prefix("npm password: ")
        .and_then(|j| serde_json::from_str(j).ok())
        .unwrap_or_else(|| panic!("{out}"));
    let second = created["token"].as_str().unwrap().to_string();
    assert_eq!(v.whoami(&second).1["username"], "alice");

    // `npm token list --json`: the registry's objects (npm 11 adds its short id to each).
    let out = npm(&v, Some(&second), &["token", "list", "--json"], b"").unwrap();
    assert_eq!(out.code, 0, "{out}");
    let listed: serde_json::Value = serde_json::from_str(&out.stdout).unwrap_or_else(|e| panic!("{e}\n{out}"));
    let mut listed: Vec<&str> = listed.as_array().unwrap().iter().map(|t| t["key"].as_str().unwrap()).collect();
    let mut keys = v.token_keys(&session);
    listed.sort_unstable();
    keys.sort_unstable();
    assert_eq!(listed, keys);
    assert_eq!(keys.len(), 2);
    let first_key = v.key_of(&session, &first);
    // The id a user types: a prefix of the key, as `npm token list` shows it.
    let first_id = &first_key[..8];

    // `npm token revoke ID` with the second token: the first one is dead, the second lives.
    let out = npm(&v, Some(&second), &["token", "revoke", first_id], b"").unwrap();
    assert_eq!((out.code, out.stdout.trim()), (0, "Removed 1 token"), "{out}");
    assert_eq!(v.whoami(&first).0, 403);
    let out = npm(&v, Some(&first), &["whoami"], b"").unwrap();
    assert_ne!(out.code, 0, "{out}");
    assert!(!out.stdout.contains("alice"), "{out}");
    assert_eq!(npm(&v, Some(&second), &["whoami"], b"").unwrap().stdout.trim(), "alice");
    assert_eq!(v.count(&format!("DELETE /-/npm/v1/tokens/token/{first_key}")), 1, "{:?}", v.requests());
}
