//! Remote stores: tokctl against a real OpenBao dev server (`support::bao`), and what the
//! server's own client, `bao kv`, sees after each command.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::bao::{Bao, Gate, Hostile};
use crate::support::*;

/// A running server, or return (a message said why; in CI a missing `bao` already failed).
macro_rules! server {
    () => {
        match Bao::start() {
            Some(b) => b,
            None => return,
        }
    };
}

fn data(bao: &Bao, path: &str) -> serde_json::Value {
    bao.kv_json(path).unwrap_or_else(|| panic!("bao kv get {path} failed"))["data"]["data"].clone()
}

#[test]
fn every_command_works_on_a_remote_store_and_bao_kv_reads_what_it_wrote() {
    let bao = server!();
    let env = bao.env("team");

    // init: nothing to make, but it checks the store answers.
    let out = env.succeeds(&["init"], b"");
    assert!(out.stderr.contains("answers"), "{out}");

    // create: the secret and the record in one secret's data; the mirror in custom_metadata.
    let secret = env.create("deploy", &["--scope", "repo:write", "--env", "DEPLOY_TOKEN", "--note", "for CI"]);
    assert_eq!(bao.ok(&["kv", "get", "-field=token", "secret/team/deploy"]).trim(), secret);
    let d = data(&bao, "secret/team/deploy");
    assert_eq!(d["env"], "DEPLOY_TOKEN");
    assert_eq!(d["scopes"], serde_json::json!(["repo:write"]));
    assert_eq!(d["kind"], "minted");
    assert_eq!(d["status"], "active");
    assert_eq!(d["note"], "for CI");
    let meta = bao.metadata("secret/team/deploy");
    assert_eq!(meta["data"]["custom_metadata"]["tokctl-env"], "DEPLOY_TOKEN");
    assert_eq!(meta["data"]["custom_metadata"]["tokctl-status"], "active");
    assert_eq!(meta["data"]["custom_metadata"]["tokctl-scopes"], "repo:write");

    // get, list, show: the same as on a file; no secret in list or show.
    assert_eq!(env.get("deploy"), secret);
    let list = env.ok(&["list"], b"");
    assert!(list.contains("deploy") && list.contains("DEPLOY_TOKEN") && !list.contains(&secret), "{list}");
    let show = env.json(&["show", "deploy", "--json"]);
    assert_eq!(show["env"], "DEPLOY_TOKEN");
    assert!(!show.to_string().contains(&secret));

    // import, then update: rename moves the secret to the new path.
    env.import("npm", "npm_abcdefghijklmnopqrstuvwxyz0123456789", &[]);
    assert_eq!(
        bao.ok(&["kv", "get", "-field=token", "secret/team/npm"]).trim(),
        "npm_abcdefghijklmnopqrstuvwxyz0123456789"
    );
    env.ok(&["update", "npm", "--rename", "npm-ci", "--add-scope", "publish"], b"");
    assert!(bao.kv_json("secret/team/npm").is_none(), "the old path is gone after a rename");
    assert_eq!(data(&bao, "secret/team/npm-ci")["scopes"], serde_json::json!(["publish"]));
    assert_eq!(env.names(), vec!["deploy", "npm-ci"]);

    // exec and env inject from the server.
    let out = env.ok(&["exec", "-t", "deploy", "--", "sh", "-c", "printf %s \"$DEPLOY_TOKEN\""], b"");
    assert_eq!(out, secret);
    let sh = env.ok(&["env", "-t", "npm-ci", "--format", "sh"], b"");
    assert!(sh.contains("NPM_TOKEN='npm_abcdefghijklmnopqrstuvwxyz0123456789'"), "{sh}");
    assert_eq!(env.ok(&["verify"], secret.as_bytes()).trim(), "deploy");

    // regenerate: a new secret, and no version of the secret keeps the old one.
    let fresh = env.one_secret(env.ok(&["regenerate", "deploy"], b""));
    assert_ne!(fresh, secret);
    assert_eq!(bao.ok(&["kv", "get", "-field=token", "secret/team/deploy"]).trim(), fresh);
    let old = bao.run(&["kv", "get", "-version=1", "-field=token", "secret/team/deploy"], b"");
    assert!(!old.stdout.contains(&secret), "version 1 still holds the old secret\n{old}");

    // log: the record's versions from the metadata.
    let log = env.ok(&["log", "deploy"], b"");
    assert!(log.contains("version 1") && log.contains("version 2"), "{log}");

    // bundle from the server: a local file that opens with the printed key, offline.
    let out = env.path("ci.vault");
    let made = env.succeeds(&["bundle", "-t", "deploy", "--out", out.to_str().unwrap()], b"");
    let key = made.stdout.trim().to_string();
    env.remember(&key);
    // A server keeps no registry of bundles: said at once, and refresh has nothing to work on.
    assert!(made.stderr.contains("made from a remote store is not remembered"), "{made}");
    env.fails(&["bundle", "--refresh"], b"", 2);
    let got = env.run_cmd(
        {
            let mut c = env.std_cmd(&["get", "deploy"]);
            c.env("TOKCTL_VAULT", &out).env("TOKCTL_VAULT_KEY", &key);
            c
        },
        b"",
    );
    assert_eq!((got.code, got.stdout.trim()), (0, fresh.as_str()), "{got}");

    // revoke keeps the record without a token; delete removes it all.
    env.ok(&["revoke", "deploy", "--yes"], b"");
    let d = data(&bao, "secret/team/deploy");
    assert!(d.get("token").is_none(), "a revoked record has no token: {d}");
    assert_eq!(d["status"], "revoked");
    env.fails(&["get", "deploy"], b"", 4);
    env.ok(&["delete", "npm-ci", "--yes"], b"");
    assert!(
        bao.run(&["kv", "metadata", "get", "secret/team/npm-ci"], b"").code != 0,
        "delete removes the metadata too"
    );
    assert_eq!(env.names(), vec!["deploy"], "the revoked record stays; the deleted one is gone");
    env.fails(&["get", "npm-ci"], b"", 3);

    // import --dotenv: many records in one command, read back in parallel by list and exec.
    let dotenv: String = (0..12).map(|i| format!("BULK_{i}_TOKEN=bulk-secret-{i:02}-abcdefgh\n")).collect();
    env.ok(&["import", "--dotenv", "-", "--scope", "bulk"], dotenv.as_bytes());
    (0..12).for_each(|i| env.remember(&format!("bulk-secret-{i:02}-abcdefgh")));
    assert_eq!(env.names().len(), 13, "{:?}", env.names());
    let out = env.ok(&["exec", "--scope", "bulk", "--", "sh", "-c", "printf %s \"$BULK_7_TOKEN\""], b"");
    assert_eq!(out, "bulk-secret-07-abcdefgh");
    assert_eq!(bao.ok(&["kv", "get", "-field=token", "secret/team/bulk-11-token"]).trim(), "bulk-secret-11-abcdefgh");

    // create on an existing name is a conflict, as on a file.
    env.create("again", &[]);
    env.fails(&["create", "again", "--force"], b"", 7);

    // key and accept-rollback do not apply: exit 2 saying why.
    let out = env.fails(&["key", "export"], b"", 2);
    assert!(out.stderr.contains("remote store"), "{out}");
    env.fails(&["accept-rollback"], b"", 2);
    // Nor does the unlock cache: a remote store has no vault key to keep.
    for args in [&["unlock"][..], &["lock"]] {
        let out = env.fails(args, b"", 2);
        assert!(out.stderr.contains("does not apply to a remote store"), "{out}");
    }

    // doctor: reachable, who, the mount, the capabilities.
    let doc = env.ok(&["doctor"], b"");
    for want in ["reachable", "policies root", "KV version 2", "secret/data/team/*"] {
        assert!(doc.contains(want), "doctor says {want:?}\n{doc}");
    }
}

#[test]
fn a_secret_another_client_wrote_with_only_a_token_is_a_valid_token() {
    let bao = server!();
    let env = bao.env("shared");
    bao.ok(&["kv", "put", "secret/shared/gh", "token=ghp_0123456789abcdefghijklmnopqrstuvwxyzAB"]);
    env.remember("ghp_0123456789abcdefghijklmnopqrstuvwxyzAB");
    assert_eq!(env.get("gh"), "ghp_0123456789abcdefghijklmnopqrstuvwxyzAB");
    let show = env.json(&["show", "gh", "--json"]);
    assert_eq!(show["env"], "GH_TOKEN");
    assert_eq!(show["kind"], "imported");
    // A later write by the other client is what tokctl reads next.
    bao.ok(&["kv", "put", "secret/shared/gh", "token=ghp_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210ab", "env=GITHUB_TOKEN"]);
    env.remember("ghp_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210ab");
    let out = env.ok(&["exec", "-t", "gh", "--", "sh", "-c", "printf %s \"$GITHUB_TOKEN\""], b"");
    assert_eq!(out, "ghp_ZYXWVUTSRQPONMLKJIHGFEDCBA9876543210ab");
    // A tokctl update keeps the other client's extra fields.
    bao.ok(&["kv", "patch", "secret/shared/gh", "owner=platform-team"]);
    env.ok(&["update", "gh", "--add-scope", "repo"], b"");
    let d = data(&bao, "secret/shared/gh");
    assert_eq!((d["owner"].as_str(), d["scopes"][0].as_str()), (Some("platform-team"), Some("repo")));
    // A field tokctl cannot read is "damaged", naming the secret and the field; others still work.
    bao.ok(&["kv", "put", "secret/shared/bad", "token=some-secret-value-123", "expires=next tuesday"]);
    env.remember("some-secret-value-123");
    let out = env.fails(&["get", "bad"], b"", 6);
    assert!(out.stderr.contains("secret/shared/bad") && out.stderr.contains("'expires'"), "{out}");
    let list = env.run(&["list", "--json"], b"");
    assert!(!list.stdout.contains("some-secret-value-123") && !list.stdout.contains("ghp_"), "{list}");
}

#[test]
fn a_read_only_token_reads_and_its_writes_exit_5_naming_the_path() {
    let bao = server!();
    let env = bao.env("ro");
    let secret = env.create("svc", &[]);
    let ro = bao.token_with(
        "ro",
        r#"path "secret/data/ro/*" { capabilities = ["read"] }
           path "secret/metadata/ro/*" { capabilities = ["read", "list"] }
           path "secret/metadata/ro" { capabilities = ["list"] }"#,
    );
    let mut env = env;
    env.set("BAO_TOKEN", &ro);
    env.remember(&ro);
    assert_eq!(env.get("svc"), secret);
    env.ok(&["list"], b"");
    // doctor: a read-only token is fine for reading, and says what it may not do.
    let doc = env.ok(&["doctor"], b"");
    assert!(doc.contains("policies default, ro") && doc.contains("read-only for tokctl"), "{doc}");
    let out = env.fails(&["update", "svc", "--note", "x"], b"", 5);
    assert!(out.stderr.contains("secret/data/ro/svc") && out.stderr.contains("create/update"), "{out}");
    let out = env.fails(&["create", "other", "--force"], b"", 5);
    assert!(out.stderr.contains("secret/data/ro/other"), "{out}");
    // A wrong token is exit 5 too, saying it is the token.
    env.set("BAO_TOKEN", "not-a-token-at-all");
    let out = env.fails(&["get", "svc"], b"", 5);
    assert!(out.stderr.contains("refused"), "{out}");
}

#[test]
fn approle_from_the_environment_is_a_ci_machine_account() {
    let bao = server!();
    let env = bao.env("ci");
    let secret = env.create("deploy", &["--env", "DEPLOY_TOKEN"]);
    bao.ok(&["auth", "enable", "approle"]);
    let policy = r#"path "secret/data/ci/*" { capabilities = ["read"] }
                    path "secret/metadata/ci" { capabilities = ["list"] }"#;
    let out = run_std(bao.cmd_as(&bao.root_token, &["policy", "write", "ci-read", "-"]), policy.as_bytes());
    assert_eq!(out.code, 0, "{out}");
    bao.ok(&["write", "auth/approle/role/ci", "token_policies=ci-read", "token_ttl=10m"]);
    let role = bao.ok(&["read", "-field=role_id", "auth/approle/role/ci/role-id"]).trim().to_string();
    let sid = bao.ok(&["write", "-f", "-field=secret_id", "auth/approle/role/ci/secret-id"]).trim().to_string();
    let mut env = env;
    env.unset("BAO_TOKEN");
    env.set("BAO_ROLE_ID", &role);
    env.set("BAO_SECRET_ID", &sid);
    env.remember(&sid);
    // The child sees the token, and neither the role id nor the secret id.
    let out = env.ok(
        &[
            "exec",
            "-t",
            "deploy",
            "--",
            "sh",
            "-c",
            "printf '%s|%s|%s' \"$DEPLOY_TOKEN\" \"${BAO_ROLE_ID-}\" \"${BAO_SECRET_ID-}\"",
        ],
        b"",
    );
    assert_eq!(out, format!("{secret}||"));
    env.fails(&["revoke", "deploy", "--yes"], b"", 5);
    env.set("BAO_SECRET_ID", "wrong-secret-id");
    env.fails(&["get", "deploy"], b"", 5);
}

#[test]
fn exec_keeps_the_server_token_from_the_child_unless_a_token_is_injected_under_its_name() {
    let bao = server!();
    let env = bao.env("x");
    let secret = env.create("svc", &["--env", "SVC_TOKEN"]);
    let out =
        env.ok(&["exec", "-t", "svc", "--", "sh", "-c", "printf '%s|%s' \"$SVC_TOKEN\" \"${BAO_TOKEN-unset}\""], b"");
    assert_eq!(out, format!("{secret}|unset"));
    let out = env.ok(&["exec", "--mask", "-t", "svc", "--", "sh", "-c", "printf '%s' \"${BAO_TOKEN-unset}\""], b"");
    assert_eq!(out, "unset");
    let out = env.ok(&["exec", "-t", "svc=BAO_TOKEN", "--", "sh", "-c", "printf '%s' \"$BAO_TOKEN\""], b"");
    assert_eq!(out, secret);
}

#[test]
fn revoke_destroys_every_version_of_the_secret() {
    let bao = server!();
    let env = bao.env("rv");
    env.import("svc", "first-secret-0123456789", &[]);
    env.ok(&["update", "svc", "--note", "one"], b"");
    env.ok(&["import", "svc", "--replace"], b"second-secret-0123456789");
    env.remember("second-secret-0123456789");
    env.ok(&["update", "svc", "--note", "two"], b"");
    env.ok(&["revoke", "svc", "--yes"], b"");
    let meta = bao.metadata("secret/rv/svc");
    let versions = meta["data"]["versions"].as_object().unwrap();
    let newest: u64 = versions.keys().map(|k| k.parse().unwrap()).max().unwrap();
    assert!(newest >= 5, "{meta}");
    for (n, v) in versions {
        let got = bao.run(&["kv", "get", &format!("-version={n}"), "-format=json", "secret/rv/svc"], b"");
        assert!(!got.stdout.contains("secret-0123456789"), "version {n} still holds a secret\n{got}");
        if n.parse::<u64>().unwrap() < newest {
            assert_eq!(v["destroyed"], true, "version {n}: {v}");
        }
    }
    assert_eq!(data(&bao, "secret/rv/svc")["status"], "revoked");
    assert_eq!(env.json(&["show", "svc", "--json"])["status"], "revoked");
}

#[test]
fn concurrent_updates_from_two_processes_never_corrupt_a_record() {
    let bao = server!();
    let env = bao.env("race");
    env.create("svc", &[]);
    let mut running = Vec::new();
    for i in 0..8 {
        let scope = format!("s{i}");
        running.push((scope.clone(), env.spawn(env.std_cmd(&["update", "svc", "--add-scope", &scope]))));
    }
    let mut won = Vec::new();
    for (scope, r) in running {
        let out = r.finish(RUN_TIMEOUT);
        env.assert_no_secret_in(&out.stderr, &out);
        match out.code {
            0 => won.push(scope),
            7 => assert!(out.stderr.contains("changed on the server"), "{out}"),
            _ => panic!("an update neither succeeded nor lost its race cleanly\n{out}"),
        }
    }
    // Every update that said it succeeded is in the record: none was silently overwritten.
    let d = data(&bao, "secret/race/svc");
    let scopes: Vec<&str> = d["scopes"].as_array().unwrap().iter().map(|s| s.as_str().unwrap()).collect();
    for s in &won {
        assert!(scopes.contains(&s.as_str()), "{s} was lost: {scopes:?}");
    }
    assert!(!won.is_empty());
    env.get("svc");
}

#[test]
fn copy_moves_tokens_between_a_file_vault_and_a_server_both_ways() {
    let bao = server!();
    let file = Env::env_key();
    let secret = file.create("deploy", &["--scope", "ci"]);
    let url = bao.url("copied");
    let mut c = file.std_cmd(&["copy", "-t", "deploy", "--to", &url]);
    c.env("BAO_TOKEN", &bao.root_token);
    let out = file.run_cmd(c, b"");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(bao.ok(&["kv", "get", "-field=token", "secret/copied/deploy"]).trim(), secret);
    // Again: the name exists there now, exit 7.
    let mut c = file.std_cmd(&["copy", "-t", "deploy", "--to", &url]);
    c.env("BAO_TOKEN", &bao.root_token);
    assert_eq!(file.run_cmd(c, b"").code, 7);
    // And back, into a new file vault.
    let remote = bao.env("copied");
    let back = remote.path("back/vault.toml");
    remote.ok(&["copy", "-t", "deploy", "--to", back.to_str().unwrap()], b"");
    let mut c = remote.std_cmd(&["get", "deploy"]);
    c.env("TOKCTL_VAULT", &back);
    let out = remote.run_cmd(c, b"");
    assert_eq!(out.stdout.trim(), secret, "{out}");
}

#[test]
fn a_project_file_that_names_a_server_needs_trust() {
    let bao = server!();
    let env = bao.env("proj");
    let secret = env.create("svc", &["--env", "SVC_TOKEN"]);
    let mut env = env;
    env.unset("TOKCTL_VAULT");
    env.vault = PathBuf::new();
    let file = env.write_file(
        ".tokctl.toml",
        format!("vault = \"{}\"\n[env]\nSVC_TOKEN = \"svc\"\n", bao.url("proj")).as_bytes(),
    );
    let mut c = env.std_cmd(&["get", "svc"]);
    c.env_remove("TOKCTL_VAULT");
    let out = env.run_cmd(c, b"");
    assert_eq!(out.code, 8, "an untrusted project file must not reach the server\n{out}");
    assert!(out.stderr.contains(&bao.url("proj")), "it shows the server it asks for\n{out}");
    let mut c = env.std_cmd(&["trust", file.to_str().unwrap()]);
    c.env_remove("TOKCTL_VAULT");
    assert_eq!(env.run_cmd(c, b"").code, 0);
    let mut c = env.std_cmd(&["exec", "--", "sh", "-c", "printf %s \"$SVC_TOKEN\""]);
    c.env_remove("TOKCTL_VAULT");
    let out = env.run_cmd(c, b"");
    assert_eq!((out.code, out.stdout.as_str()), (0, secret.as_str()), "{out}");
}

#[test]
fn plain_http_to_another_host_is_refused_before_any_connection() {
    let env = Env::env_key();
    let started = Instant::now();
    for url in
        ["openbao+http://192.0.2.1:8200/secret/x", "vault+http://example.com/secret", "openbao+http://10.0.0.1/kv/a/b"]
    {
        let mut c = env.std_cmd(&["get", "svc"]);
        c.env("TOKCTL_VAULT", url).env("BAO_TOKEN", "t");
        let out = env.run_cmd(c, b"");
        assert_eq!(out.code, 2, "{out}");
        assert!(out.stderr.contains("refusing plain http"), "{out}");
    }
    // 192.0.2.1 (TEST-NET) never answers: a connection attempt would have waited.
    assert!(started.elapsed() < Duration::from_secs(5));
    for bad in
        ["openbao+https://h:0/secret", "openbao+https://user:pw@h/secret", "openbao+https://h", "openbao+ftp://h/x"]
    {
        let mut c = env.std_cmd(&["list"]);
        c.env("TOKCTL_VAULT", bad);
        assert_eq!(env.run_cmd(c, b"").code, 2, "{bad}");
    }
}

#[test]
fn an_unreachable_server_is_exit_1_within_the_timeout_naming_bundle() {
    let env = Env::env_key();
    // A listener that accepts connections and never answers.
    let silent = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("openbao+http://{}/secret/x", silent.local_addr().unwrap());
    let mut c = env.std_cmd(&["get", "svc"]);
    c.env("TOKCTL_VAULT", &url).env("BAO_TOKEN", "t").env("TOKCTL_REMOTE_TIMEOUT", "2");
    let out = env.run_cmd(c, b"");
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("bundle") && out.stderr.contains("2 s"), "{out}");
    assert!(out.elapsed < Duration::from_secs(6), "{out}");
    drop(silent);
    // Nothing listening at all: at once.
    let port = crate::support::bao::free_port();
    let mut c = env.std_cmd(&["list"]);
    c.env("TOKCTL_VAULT", format!("openbao+http://127.0.0.1:{port}/secret/x")).env("BAO_TOKEN", "t");
    let out = env.run_cmd(c, b"");
    assert_eq!(out.code, 1, "{out}");
    assert!(out.stderr.contains("cannot reach"), "{out}");
}

#[test]
fn login_keeps_the_server_token_in_the_os_keyring_and_logout_forgets_it() {
    let bao = server!();
    let mut env = Env::keyring();
    env.set("TOKCTL_VAULT", &bao.url("kr"));
    env.vault = PathBuf::from(bao.url("kr"));
    env.remember(&bao.root_token);
    env.fails(&["list"], b"", 5);
    env.fails(&["login", &bao.url("kr")], b"wrong-token-value", 5);
    env.ok(&["login", &bao.url("kr")], bao.root_token.as_bytes());
    let secret = env.create("svc", &[]);
    assert_eq!(env.get("svc"), secret);
    env.ok(&["logout", &bao.url("kr")], b"");
    env.fails(&["get", "svc"], b"", 5);
    // Without a usable keyring, login says to use the environment.
    let mut bare = Env::bare();
    bare.set("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent");
    let out = bare.fails(&["login", &bao.url("kr")], bao.root_token.as_bytes(), 5);
    assert!(out.stderr.contains("BAO_TOKEN"), "{out}");
}

#[test]
fn tls_is_verified_and_bao_cacert_names_a_private_ca() {
    let Some(bao) = Bao::start_tls() else { return };
    let url = format!("openbao+{}/secret/tls", bao.addr);
    assert!(url.starts_with("openbao+https://127.0.0.1:"), "{url}");
    let mut env = bao.env("tls");
    env.set("TOKCTL_VAULT", &url);
    env.vault = PathBuf::from(&url);
    // The dev server's CA is no public one: refused, and the message says what to set.
    let out = env.fails(&["list"], b"", 1);
    assert!(out.stderr.contains("BAO_CACERT"), "{out}");
    env.set("BAO_CACERT", bao.ca().to_str().unwrap());
    let secret = env.create("svc", &[]);
    assert_eq!(bao.ok(&["kv", "get", "-field=token", "secret/tls/svc"]).trim(), secret);
    env.set("BAO_CACERT", env.path("missing.pem").to_str().unwrap());
    env.fails(&["get", "svc"], b"", 2);
}

/// `tokctl update` with its first write (and its retry's) held back by strace, after it has read the
/// record, while `bao kv patch` writes a new version: the check-and-set loses, the update runs
/// again on the fresh data and keeps both changes; losing twice is exit 7 with nothing lost.
#[test]
fn a_write_that_loses_its_check_and_set_runs_again_once_then_is_exit_7() {
    let bao = server!();
    let env = bao.env("cas");
    env.create("svc", &[]);
    let update = |delays: &str, scope: &str, patches: &[&str]| -> Out {
        let log = env.path(&format!("strace-{scope}.log"));
        let mut c = env.std_cmd_of(
            "strace",
            &[
                "-f",
                "-o",
                log.to_str().unwrap(),
                "-e",
                "trace=sendto",
                "-e",
                &format!("inject=sendto:delay_enter=3000000:when={delays}"),
                crate::support::BIN,
                "update",
                "svc",
                "--add-scope",
                scope,
            ],
        );
        c.env("TOKCTL_VAULT", bao.url("cas"));
        let running = env.spawn(c);
        // Each patch lands once tokctl has read the record (its GET of the data is logged).
        for (i, note) in patches.iter().enumerate() {
            let deadline = Instant::now() + Duration::from_secs(20);
            while std::fs::read_to_string(&log).unwrap_or_default().matches("GET /v1/secret/data/cas/svc").count() <= i
            {
                assert!(Instant::now() < deadline, "tokctl never read the record");
                std::thread::sleep(Duration::from_millis(20));
            }
            bao.ok(&["kv", "patch", "secret/cas/svc", &format!("note={note}")]);
        }
        running.finish(RUN_TIMEOUT)
    };
    // The requests are sent as LIST, GET, POST head, POST body: the 3rd send is the first write,
    // the 7th the write of the run on fresh data.
    let out = update("3", "first", &["from-bao"]);
    assert_eq!(out.code, 0, "{out}");
    let d = data(&bao, "secret/cas/svc");
    assert_eq!((d["note"].as_str(), d["scopes"][0].as_str()), (Some("from-bao"), Some("first")), "{d}");
    let out = update("3..7+4", "second", &["one", "two"]);
    assert_eq!(out.code, 7, "{out}");
    assert!(out.stderr.contains("changed on the server"), "{out}");
    let d = data(&bao, "secret/cas/svc");
    assert_eq!((d["note"].as_str(), d["scopes"].as_array().map(Vec::len)), (Some("two"), Some(1)), "{d}");
}

#[test]
fn a_proxy_in_the_environment_never_carries_the_token_of_a_loopback_server() {
    // A proxy that would see the request in clear text: a port that accepts and records.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let proxy = format!("http://{}", listener.local_addr().unwrap());
    listener.set_nonblocking(true).unwrap();
    let bao = server!();
    let mut env = bao.env("x");
    let secret = env.create("svc", &[]);
    for var in ["HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"] {
        env.set(var, &proxy);
    }
    env.set("TOKCTL_REMOTE_TIMEOUT", "3");
    assert_eq!(env.get("svc"), secret);
    assert!(listener.accept().is_err(), "the request went through the proxy");
}

/// Every version of every path under `prefix` that still holds `secret` (`path@version`).
fn holders(bao: &Bao, prefix: &str, secret: &str) -> Vec<String> {
    let list = bao.run(&["kv", "list", "-format=json", &format!("secret/{prefix}")], b"");
    let keys: Vec<String> = serde_json::from_str(&list.stdout).unwrap_or_default();
    let mut out = Vec::new();
    for k in keys {
        let path = format!("secret/{prefix}/{k}");
        let meta = bao.metadata(&path);
        for n in meta["data"]["versions"].as_object().into_iter().flatten().map(|(n, _)| n) {
            let got = bao.run(&["kv", "get", &format!("-version={n}"), "-field=token", &path], b"");
            if got.code == 0 && got.stdout.contains(secret) {
                out.push(format!("{path}@{n}"));
            }
        }
    }
    out
}

/// Machine A renames a token through a gate that stops its first write after it read the
/// token; machine B revokes the token meanwhile. A must not bring the revoked secret back
/// under the new name (nor keep it anywhere): every remote write and delete is conditional on
/// the version read.
#[test]
fn a_rename_racing_a_revoke_never_brings_the_revoked_secret_back() {
    let bao = server!();
    let gate = Gate::start(&bao.addr);
    let env = bao.env("mv");
    let secret = env.create("svc", &[]);
    gate.hold_first_write();
    let mut a = env.std_cmd(&["update", "svc", "--rename", "svc-new"]);
    a.env("TOKCTL_VAULT", gate.url("mv"));
    let a = env.spawn(a);
    gate.wait_held();
    env.ok(&["revoke", "svc", "--yes"], b"");
    gate.release();
    let out = a.finish(RUN_TIMEOUT);
    env.assert_no_secret_in(&out.stderr, &out);
    assert!(
        holders(&bao, "mv", &secret).is_empty(),
        "the revoked secret is back: {:?}\n{out}",
        holders(&bao, "mv", &secret)
    );
    for (name, r) in env.records() {
        assert_eq!(r["status"], "revoked", "{name} is not revoked: {r}\n{out}");
    }
    // The rename ran again on the fresh data: the revoked record under the new name, the old path gone.
    assert_eq!((out.code, env.names()), (0, vec!["svc-new".to_string()]), "{out}");
    assert!(bao.kv_json("secret/mv/svc").is_none());
}

/// The same race, this time B deletes while A's update is held before its write: A's write is
/// conditional, so the deleted token does not come back either.
#[test]
fn an_update_racing_a_delete_never_brings_the_deleted_token_back() {
    let bao = server!();
    let gate = Gate::start(&bao.addr);
    let env = bao.env("del");
    let secret = env.create("svc", &[]);
    gate.hold_first_write();
    let mut a = env.std_cmd(&["update", "svc", "--note", "from A"]);
    a.env("TOKCTL_VAULT", gate.url("del"));
    let a = env.spawn(a);
    gate.wait_held();
    env.ok(&["delete", "svc", "--yes"], b"");
    gate.release();
    let out = a.finish(RUN_TIMEOUT);
    assert_eq!(out.code, 3, "the token was deleted meanwhile: not found on the fresh data\n{out}");
    assert!(holders(&bao, "del", &secret).is_empty(), "{:?}", holders(&bao, "del", &secret));
    assert!(env.names().is_empty());
}

/// A deletes a token through the gate, stopped before its first write; B regenerates it. A's
/// delete was of the version it read: it runs again on B's version (deleting what the user
/// named), and no version keeps either secret.
#[test]
fn a_delete_racing_a_regenerate_is_conditional_too_and_leaves_no_secret() {
    let bao = server!();
    let gate = Gate::start(&bao.addr);
    let env = bao.env("dr");
    let first = env.create("svc", &[]);
    gate.hold_first_write();
    let mut a = env.std_cmd(&["delete", "svc", "--yes"]);
    a.env("TOKCTL_VAULT", gate.url("dr"));
    let a = env.spawn(a);
    gate.wait_held();
    let second = env.one_secret(env.ok(&["regenerate", "svc"], b""));
    gate.release();
    let out = a.finish(RUN_TIMEOUT);
    assert_eq!(out.code, 0, "{out}");
    let lines = gate.lines();
    let held = lines.iter().position(|l| !l.starts_with("GET ")).unwrap();
    assert!(
        lines[held..].iter().any(|l| l.starts_with("GET /v1/secret/data/dr/svc")),
        "the delete lost its check-and-set and read again: {lines:?}"
    );
    for s in [&first, &second] {
        assert!(holders(&bao, "dr", s).is_empty(), "{:?}", holders(&bao, "dr", s));
    }
    assert!(env.names().is_empty());
}

/// Bounded stress: renames and revokes of the same token at once, many times. Whatever the
/// interleaving, a token B revoked is held by no path, and a secret is never live at two paths.
#[test]
fn renames_and_revokes_at_once_never_resurrect_a_secret_stress() {
    let bao = server!();
    let env = bao.env("st");
    for i in 0..8 {
        let (old, new) = (format!("t{i}"), format!("t{i}-new"));
        let secret = env.create(&old, &[]);
        let a = env.spawn(env.std_cmd(&["update", &old, "--rename", &new]));
        let b = env.spawn(env.std_cmd(&["revoke", &old, "--yes"]));
        let (a, b) = (a.finish(RUN_TIMEOUT), b.finish(RUN_TIMEOUT));
        for out in [&a, &b] {
            assert!([0, 3, 7].contains(&out.code), "{out}");
        }
        let held = holders(&bao, "st", &secret);
        if b.code == 0 {
            assert!(held.is_empty(), "round {i}: revoked, yet {held:?} hold the secret\n{a}\n{b}");
        } else {
            assert!(held.len() <= 1, "round {i}: {held:?}\n{a}\n{b}");
        }
        let live: Vec<_> = env
            .records()
            .into_iter()
            .filter(|(n, r)| r["status"] == "active" && (*n == old || *n == new))
            .map(|(n, _)| n)
            .collect();
        assert!(live.len() <= 1, "round {i}: {live:?}");
    }
}

/// Another client copied a secret's JSON to a second path: both hold the same id. Each is
/// addressed by its path: revoke and delete act on the one named, and say so truly.
#[test]
fn two_secrets_with_the_same_id_are_each_revoked_and_deleted_by_path() {
    let bao = server!();
    let env = bao.env("dup");
    let secret = env.create("a", &[]);
    let copy = data(&bao, "secret/dup/a").to_string();
    let out = bao.run(&["kv", "put", "secret/dup/b", "-"], copy.as_bytes());
    assert_eq!(out.code, 0, "{out}");
    env.ok(&["revoke", "b", "--yes"], b"");
    assert_eq!(data(&bao, "secret/dup/b")["status"], "revoked");
    assert_eq!(data(&bao, "secret/dup/a")["token"], secret.as_str(), "the other copy is untouched");
    env.ok(&["delete", "a", "--yes"], b"");
    assert!(bao.kv_json("secret/dup/a").is_none(), "delete said deleted: the path is gone");
    assert_eq!(env.names(), vec!["b"]);
    assert!(holders(&bao, "dup", &secret).is_empty(), "{:?}", holders(&bao, "dup", &secret));
}

/// A rename by a token that may write but not delete: cut short after the new path is
/// written. The old path keeps no live copy (so the token can still be revoked), and the
/// message says what is left and how to finish.
#[test]
fn a_rename_cut_short_by_a_missing_delete_capability_is_recoverable() {
    let bao = server!();
    let env = bao.env("cut");
    let secret = env.create("a", &[]);
    let writer = bao.token_with(
        "writer",
        r#"path "secret/data/cut/*" { capabilities = ["create", "read", "update"] }
           path "secret/metadata/cut/*" { capabilities = ["create", "read", "update", "list"] }
           path "secret/metadata/cut" { capabilities = ["list"] }
           path "secret/destroy/cut/*" { capabilities = ["update"] }"#,
    );
    let mut w = bao.env("cut");
    w.set("BAO_TOKEN", &writer);
    w.remember(&writer);
    let out = w.fails(&["update", "a", "--rename", "c"], b"", 5);
    assert!(
        out.stderr.contains("renamed 'a' to 'c'") && out.stderr.contains("bao kv metadata delete secret/cut/a"),
        "{out}"
    );
    assert!(!out.stderr.contains("   to remove"), "the hint's second line starts a line of its own\n{out}");
    assert_eq!(env.names(), vec!["c"], "the old name holds no record any more");
    assert_eq!(env.get("c"), secret);
    assert_eq!(holders(&bao, "cut", &secret), vec!["secret/cut/c@1"]);
    env.ok(&["revoke", "c", "--yes"], b"");
    assert!(holders(&bao, "cut", &secret).is_empty());
    // The leftover is no obstacle: the old name can be made again (over it, check-and-set).
    env.create("a", &[]);
    assert_eq!(env.names(), vec!["a", "c"]);
}

/// A KV v2 server for one token `svc` under `secret/h`, answering with `read_version` to reads,
/// `write_version` to writes, `token` as its secret, and `extra` for anything else asked.
fn hostile(read_version: &str, write_version: &str, token: String, ttl: &str) -> Hostile {
    let (rv, wv, ttl) = (read_version.to_string(), write_version.to_string(), ttl.to_string());
    Hostile::start(move |method, path, _| {
        let body = match (method, path) {
            ("GET", "/v1/secret/metadata/h?list=true") => r#"{"data":{"keys":["svc"]}}"#.to_string(),
            ("GET", "/v1/secret/data/h/svc") => format!(
                r#"{{"data":{{"data":{{"token":"{token}","id":"t_1","env":"SVC_TOKEN","kind":"minted"}},"metadata":{{"version":{rv},"created_time":"2024-01-01T00:00:00Z"}}}}}}"#
            ),
            ("POST", "/v1/secret/data/h/svc") => format!(r#"{{"data":{{"version":{wv}}}}}"#),
            ("GET", "/v1/secret/metadata/h/svc") => format!(
                r#"{{"data":{{"current_version":{wv},"versions":{{"1":{{"created_time":"2024-01-01T00:00:00Z","deletion_time":"","destroyed":false}}}}}}}}"#
            ),
            ("GET", "/v1/auth/token/lookup-self") => {
                format!(r#"{{"data":{{"display_name":"x","policies":["root"],"ttl":{ttl}}}}}"#)
            }
            ("GET", "/v1/sys/health") => r#"{"sealed":false,"version":"9"}"#.to_string(),
            _ => return (204, Vec::new()),
        };
        (200, body.into_bytes())
    })
}

fn against(h: &Hostile, args: &[&str]) -> Out {
    let env = Env::env_key();
    let mut c = env.std_cmd(args);
    c.env("TOKCTL_VAULT", h.url("h")).env("BAO_TOKEN", "t");
    run_std(c, b"")
}

/// Numbers and sizes from a server are checked: a write answered with version 0 or a huge
/// version, a read at version 0, a secret over 64 KiB, an answer too large, a negative TTL;
/// each is exit 6 saying what the server answered, never a panic (101) or an abort (134).
#[test]
fn bad_numbers_and_sizes_from_a_server_are_exit_6_naming_the_answer() {
    let ok = "tok_0123456789abcdefghijklmnopqrstuvwxyz".to_string();
    for (rv, wv, what) in [("1", "0", "version 0"), ("1", "18446744073709551615", "version 18446744073709551615")] {
        let h = hostile(rv, wv, ok.clone(), "0");
        let out = against(&h, &["regenerate", "svc"]);
        assert_eq!(out.code, 6, "{what}\n{out}");
        assert!(out.stderr.contains("the server answered") && out.stderr.contains(what), "{out}");
    }
    let h = hostile("0", "2", ok.clone(), "0");
    let out = against(&h, &["get", "svc"]);
    assert_eq!(out.code, 6, "{out}");
    assert!(out.stderr.contains("the server answered version 0"), "{out}");
    // A 100 KiB secret never reaches a child or stdout.
    let h = hostile("1", "2", "x".repeat(100 * 1024), "0");
    for args in [&["get", "svc"][..], &["exec", "-t", "svc", "--", "true"]] {
        let out = against(&h, args);
        assert_eq!(out.code, 6, "{out}");
        assert!(out.stderr.contains("over 64 KiB") && out.stdout.is_empty(), "{}", out.stderr);
    }
    // An answer of 17 MiB is not read whole: exit 6, not "cannot reach".
    let h = Hostile::start(|_, _, _| (200, vec![b' '; 17 << 20]));
    let out = against(&h, &["list"]);
    assert_eq!(out.code, 6, "{out}");
    assert!(out.stderr.contains("the server answered more than"), "{out}");
    // A TTL below zero or beyond reason is the server's answer, not a time to print.
    for ttl in ["-5", "99999999999999"] {
        let h = hostile("1", "2", ok.clone(), ttl);
        let out = against(&h, &["doctor"]);
        assert!(out.stdout.contains(&format!("the server answered a TTL of {ttl}")), "{out}");
        assert_ne!(out.code, 0, "{out}");
    }
}

/// The write of a changed secret is followed by a destroy of exactly the versions before it:
/// with a huge version number, no list of every number up to it is built (the abort, 134).
#[test]
fn a_destroy_names_only_versions_the_server_listed() {
    let h = hostile("5", "6", "tok_0123456789abcdefghijklmnopqrstuvwxyz".into(), "0");
    let out = against(&h, &["regenerate", "svc"]);
    assert_eq!(out.code, 0, "{out}");
    let seen = h.seen();
    let destroys: Vec<_> = seen.iter().filter(|l| l.starts_with("POST /v1/secret/destroy/h/svc")).collect();
    assert_eq!(destroys, [r#"POST /v1/secret/destroy/h/svc HTTP/1.1 {"versions":[1]}"#], "{seen:?}");
}

/// When a server token from the environment was used, no credential variable tokctl reads for
/// a server reaches the child of exec (BAO_TOKEN, VAULT_TOKEN, BAO_ROLE_ID, BAO_SECRET_ID),
/// unless a token is injected under that name; a file vault leaves them alone.
#[test]
fn exec_keeps_every_server_credential_from_the_child() {
    let bao = server!();
    let mut env = bao.env("cred");
    let secret = env.create("svc", &["--env", "SVC_TOKEN"]);
    env.set("VAULT_TOKEN", "vault-token-also-set-123");
    env.set("BAO_ROLE_ID", "role-id-also-set-123");
    env.set("BAO_SECRET_ID", "secret-id-also-set-123");
    env.remember("vault-token-also-set-123");
    env.remember("secret-id-also-set-123");
    let show = "printf '%s|%s|%s|%s|%s' \"$SVC_TOKEN\" \"${BAO_TOKEN-u}\" \"${VAULT_TOKEN-u}\" \"${BAO_ROLE_ID-u}\" \"${BAO_SECRET_ID-u}\"";
    for mask in [&[][..], &["--mask"]] {
        let args: Vec<&str> =
            ["exec"].iter().chain(mask).chain(&["-t", "svc", "--", "sh", "-c", show]).copied().collect();
        let want = if mask.is_empty() { format!("{secret}|u|u|u|u") } else { "***|u|u|u|u".to_string() };
        assert_eq!(env.ok(&args, b""), want);
    }
    // Used from VAULT_TOKEN alone: BAO_TOKEN (unset) and the rest stay away too.
    env.unset("BAO_TOKEN");
    env.set("VAULT_TOKEN", &bao.root_token);
    assert_eq!(env.ok(&["exec", "-t", "svc", "--", "sh", "-c", show], b""), format!("{secret}|u|u|u|u"));
    // Injected under that name: the child gets the injected token.
    let out = env.ok(&["exec", "-t", "svc=VAULT_TOKEN", "--", "sh", "-c", "printf %s \"$VAULT_TOKEN\""], b"");
    assert_eq!(out, secret);
    // A file vault never contacted a server: a BAO_TOKEN meant for the child reaches it.
    let file = Env::env_key();
    file.create("f", &["--env", "F_TOKEN"]);
    let mut c = file.std_cmd(&["exec", "-t", "f", "--", "sh", "-c", "printf %s \"${BAO_TOKEN-u}\""]);
    c.env("BAO_TOKEN", "for-the-child");
    let out = file.run_cmd(c, b"");
    assert_eq!((out.code, out.stdout.as_str()), (0, "for-the-child"), "{out}");
}
