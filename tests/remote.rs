//! Remote stores: tokctl against a real OpenBao dev server (`support::bao`), and what the
//! server's own client, `bao kv`, sees after each command.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use crate::support::bao::Bao;
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
    let key = env.ok(&["bundle", "-t", "deploy", "--out", out.to_str().unwrap()], b"").trim().to_string();
    env.remember(&key);
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
