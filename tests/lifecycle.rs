//! A token's life as a user lives it, against the real OS keyring: create or import, list and
//! show, get, update, regenerate, revoke, delete, verify, log, doctor, init.

use serde_json::Value;

use crate::support::*;

#[test]
fn a_developer_mints_a_token_and_reads_it_back() {
    let env = Env::keyring();
    let out = env.run(&["create", "deploy", "--scope", "repo:write", "--note", "for the deploy job"], b"");
    assert_eq!(out.code, 0, "{out}");
    let secret = out.stdout.trim_end_matches('\n');
    assert!(predicate::str::is_match(MINTED).unwrap().eval(secret), "a minted secret looks like GitHub's: {out}");
    assert_eq!(out.stdout, format!("{secret}\n"), "the secret and nothing else on stdout");
    // The reminder on stderr says where it is stored and when it expires; never the secret.
    assert!(out.stderr.contains(&env.vault.display().to_string()), "stderr names the vault: {out}");
    assert!(out.stderr.contains("DEPLOY_TOKEN"), "stderr names the env var: {out}");
    assert!(out.stderr.contains("expires"), "stderr says when it expires: {out}");
    assert!(!out.stderr.contains(secret), "the secret is not on stderr: {out}");

    // The key went into the OS keyring, under the vault's id.
    assert_eq!(keyring_key(&env.vault_id()).as_deref(), Some(env.export_key().as_str()));

    env.cmd(&["get", "deploy"]).assert().success().stdout(format!("{secret}\n"));
    env.cmd(&["get", "-n", "deploy"]).assert().success().stdout(secret.to_string());

    let shown = env.json(&["show", "deploy", "--json"]);
    assert_eq!(shown["name"], "deploy");
    assert_eq!(shown["kind"], "minted");
    assert_eq!(shown["env"], "DEPLOY_TOKEN");
    assert_eq!(shown["scopes"], serde_json::json!(["repo:write"]));
    assert_eq!(shown["status"], "active");
    assert_eq!(shown["note"], "for the deploy job");
    assert_eq!(shown["revoked_at"], Value::Null);
    // `create` defaults to 90 days.
    assert_near(epoch(&shown["expires_at"]), epoch(&shown["created_at"]) + 90 * 86_400, 5, "default expiry");
    assert_near(epoch(&shown["created_at"]), now(), 60, "created_at");
    let fp = shown["fingerprint"].as_str().unwrap();
    assert!(!fp.is_empty() && fp.len() < secret.len(), "a short fingerprint: {fp}");

    let text = env.ok(&["show", "deploy"], b"");
    for want in ["deploy", "DEPLOY_TOKEN", "repo:write", "active", "for the deploy job"] {
        assert!(text.contains(want), "show mentions {want}:\n{text}");
    }
    assert!(!text.contains(secret), "show never prints the secret:\n{text}");
}

#[test]
fn list_json_has_the_stable_fields_and_no_secret() {
    let env = Env::keyring();
    let secret = env.create("ci", &["--scope", "deploy"]);
    env.import("expo", "expo-imported-secret-123", &[]);
    let v = env.json(&["list", "--json"]);
    let rows = v.as_array().expect("an array");
    assert_eq!(rows.len(), 2);
    let want: std::collections::BTreeSet<&str> = [
        "name",
        "id",
        "kind",
        "env",
        "scopes",
        "status",
        "created_at",
        "updated_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "note",
        "fingerprint",
        "rotate_every",
        "rotation_due_at",
        "username",
        "hosts",
        "provider",
        "provider_url",
        "on_rotate",
        "on_revoke",
        "on_inspect",
        "inspected_at",
        "provider_scopes",
        "provider_last_used_at",
        "dead_at_provider",
        "rotation_pending_since",
    ]
    .into();
    for r in rows {
        let got: std::collections::BTreeSet<&str> = r.as_object().unwrap().keys().map(String::as_str).collect();
        assert_eq!(got, want, "the documented fields, no more (no secret): {r}");
    }
    assert_eq!(rows[0]["name"], "ci", "sorted by name");
    assert_eq!(rows[1]["name"], "expo");
    assert_eq!(rows[1]["kind"], "imported");
    assert_eq!(rows[1]["env"], "EXPO_TOKEN");
    assert_eq!(rows[1]["expires_at"], Value::Null, "import defaults to no expiry");
    assert_eq!(rows[1]["scopes"], serde_json::json!([]), "no scopes by default");
    assert!(!v.to_string().contains(&secret) && !v.to_string().contains("expo-imported-secret-123"));

    let table = env.ok(&["list"], b"");
    let header = table.lines().next().unwrap_or_default();
    for col in ["NAME", "ENV", "SCOPES", "EXPIRES", "LAST USED", "STATUS"] {
        assert!(header.contains(col), "the table has a {col} column:\n{table}");
    }
    assert!(table.contains("EXPO_TOKEN") && table.contains("never"), "{table}");
    assert!(!table.contains(&secret), "{table}");
    // `ls` is the same as `list`.
    env.cmd(&["ls"]).assert().success().stdout(table);
}

#[test]
fn imported_secrets_lose_exactly_one_trailing_newline() {
    let env = Env::keyring();
    env.import("plain", "no-newline", &[]);
    env.import("lf", "ends-with-lf\n", &[]);
    env.import("crlf", "ends-with-crlf\r\n", &[]);
    env.import("two-lf", "two-newlines\n\n", &[]);
    env.import("cr-only", "bare-cr\r", &[]);
    env.import("inner", "in\nside\n", &[]);
    // `add` is an alias of `import`.
    env.cmd(&["add", "alias"]).write_stdin("via-add\n").assert().success().stdout("");
    assert_eq!(env.get("plain"), "no-newline");
    assert_eq!(env.get("lf"), "ends-with-lf");
    assert_eq!(env.get("crlf"), "ends-with-crlf");
    assert_eq!(env.get("two-lf"), "two-newlines\n");
    assert_eq!(env.get("cr-only"), "bare-cr\r");
    assert_eq!(env.get("inner"), "in\nside");
    assert_eq!(env.get("alias"), "via-add");
    env.cmd(&["get", "lf"]).assert().success().stdout("ends-with-lf\n");

    // The largest accepted secret is 64 KiB, with or without its newline.
    let big = "x".repeat(64 * 1024);
    env.import("big", &big, &[]);
    env.import("big-lf", &format!("{big}\n"), &[]);
    assert_eq!(env.get("big"), big);
    assert_eq!(env.get("big-lf"), big);
}

#[test]
fn a_dotenv_file_migrates_in_one_write() {
    let env = Env::keyring();
    let file = env.write_file(
        ".env",
        b"# from the old setup\n\
          export GH_TOKEN=ghp_example0123456789\n\
          EXPO_TOKEN='expo secret with spaces'\n\
          \n\
          BWS_ACCESS_TOKEN=\"line1\\nline2\"\n",
    );
    env.cmd(&["import", "--dotenv", file.to_str().unwrap(), "--scope", "ci"]).assert().success().stdout("");
    let recs = env.records();
    assert_eq!(recs.keys().collect::<Vec<_>>(), ["bws-access-token", "expo-token", "gh-token"]);
    assert_eq!(recs["gh-token"]["env"], "GH_TOKEN");
    assert_eq!(recs["bws-access-token"]["env"], "BWS_ACCESS_TOKEN");
    assert_eq!(recs["expo-token"]["scopes"], serde_json::json!(["ci"]));
    assert_eq!(recs["expo-token"]["kind"], "imported");
    assert_eq!(env.get("gh-token"), "ghp_example0123456789");
    assert_eq!(env.get("expo-token"), "expo secret with spaces");
    assert_eq!(env.get("bws-access-token"), "line1\nline2");
    let log = env.json(&["log", "--json"]);
    let imported = log.as_array().unwrap().iter().filter(|e| e["action"] == "imported").count();
    assert_eq!(imported, 3, "one event per token: {log}");

    // A file that names an existing token is a conflict: nothing at all is imported.
    let clash = env.write_file("clash.env", b"NEW_ONE=fresh-value\nGH_TOKEN=ghp_replacement\n");
    let before = env.snapshot();
    let out = env.fails(&["import", "--dotenv", clash.to_str().unwrap()], b"", 7);
    assert!(out.stderr.contains("gh-token"), "the conflict names the token: {out}");
    assert_unchanged(&before, &env.snapshot(), &out);
    assert!(!env.names().contains(&"new-one".to_string()));

    // --skip-existing leaves the existing token alone and imports the rest.
    env.ok(&["import", "--dotenv", clash.to_str().unwrap(), "--skip-existing"], b"");
    assert_eq!(env.get("new-one"), "fresh-value");
    assert_eq!(env.get("gh-token"), "ghp_example0123456789", "an existing secret is not replaced");

    // `-` reads the dotenv text from stdin.
    env.cmd(&["import", "--dotenv", "-", "--expires", "30d"])
        .write_stdin("CHOREO_TOKEN=choreo-from-stdin\n")
        .assert()
        .success();
    assert_eq!(env.get("choreo-token"), "choreo-from-stdin");
    let r = env.json(&["show", "choreo-token", "--json"]);
    assert_eq!(r["env"], "CHOREO_TOKEN");
    assert_near(epoch(&r["expires_at"]), now() + 30 * 86_400, 60, "--expires applies to each token");
}

#[test]
fn list_filters_by_scope_expiry_and_revocation() {
    let env = Env::keyring();
    env.create("soon", &["--scope", "repo:read", "--expires", "5d"]);
    env.create("later", &["--scope", "deploy"]);
    env.import("forever", "imported-forever", &["--scope", "deploy", "--scope", "repo:read"]);
    env.create("gone", &["--scope", "deploy"]);
    env.ok(&["revoke", "gone", "--yes"], b"");

    let names = |args: &[&str]| -> Vec<String> {
        let mut a = vec!["list", "--json"];
        a.extend_from_slice(args);
        env.json(&a).as_array().unwrap().iter().map(|r| r["name"].as_str().unwrap().to_string()).collect()
    };
    assert_eq!(names(&[]), ["forever", "later", "soon"], "revoked tokens are hidden by default");
    assert_eq!(names(&["--all"]), ["forever", "gone", "later", "soon"]);
    assert_eq!(names(&["--scope", "deploy"]), ["forever", "later"]);
    assert_eq!(names(&["--scope", "deploy", "--all"]), ["forever", "gone", "later"]);
    assert_eq!(names(&["--expiring", "10d"]), ["soon"]);
    assert_eq!(names(&["--expiring", "100d"]), ["later", "soon"], "never-expiring and revoked tokens are not due");
    assert_eq!(names(&["--scope", "nothing-has-this"]), Vec::<String>::new());

    let all = env.ok(&["list", "--all"], b"");
    let gone = all.lines().find(|l| l.starts_with("gone")).unwrap_or_else(|| panic!("gone is listed:\n{all}"));
    assert!(gone.contains("revoked"), "{all}");
    let soon = all.lines().find(|l| l.starts_with("soon")).unwrap();
    assert!(soon.contains("in 4 days") || soon.contains("in 5 days"), "expiry is relative:\n{all}");
    assert!(!env.ok(&["list"], b"").contains("gone"));
}

#[test]
fn update_changes_metadata_but_never_the_secret() {
    let env = Env::keyring();
    let secret = env.create("deploy", &["--scope", "repo:read", "--scope", "repo:write"]);
    let created = env.json(&["show", "deploy", "--json"]);

    env.cmd(&["update", "deploy", "--rename", "deploy-ci"]).assert().success().stdout("");
    assert_eq!(env.get("deploy-ci"), secret);
    env.cmd(&["get", "deploy"]).assert().code(3);

    env.ok(&["update", "deploy-ci", "--scope", "admin"], b"");
    assert_eq!(env.json(&["show", "deploy-ci", "--json"])["scopes"], serde_json::json!(["admin"]), "--scope replaces");
    env.ok(&["update", "deploy-ci", "--add-scope", "b", "--add-scope", "a"], b"");
    assert_eq!(env.json(&["show", "deploy-ci", "--json"])["scopes"], serde_json::json!(["a", "admin", "b"]));
    env.ok(&["update", "deploy-ci", "--remove-scope", "admin"], b"");
    assert_eq!(env.json(&["show", "deploy-ci", "--json"])["scopes"], serde_json::json!(["a", "b"]));

    env.ok(&["update", "deploy-ci", "--env", "DEPLOY_CI", "--expires", "10d", "--note", "CI only"], b"");
    let r = env.json(&["show", "deploy-ci", "--json"]);
    assert_eq!(r["env"], "DEPLOY_CI");
    assert_eq!(r["note"], "CI only");
    assert_near(epoch(&r["expires_at"]), now() + 10 * 86_400, 60, "--expires 10d");
    env.ok(&["update", "deploy-ci", "--expires", "never"], b"");
    assert_eq!(env.json(&["show", "deploy-ci", "--json"])["expires_at"], Value::Null);

    let r = env.json(&["show", "deploy-ci", "--json"]);
    assert_eq!(r["id"], created["id"], "the id is stable across a rename");
    assert_eq!(r["fingerprint"], created["fingerprint"]);
    assert_eq!(r["created_at"], created["created_at"]);
    assert_eq!(env.get("deploy-ci"), secret, "the secret is untouched");
    env.cmd(&["verify"]).write_stdin(secret).assert().success().stdout("deploy-ci\n");
}

#[test]
fn regenerating_a_minted_token_prints_a_new_secret_and_kills_the_old() {
    let env = Env::keyring();
    let old = env.create("svc", &["--expires", "30d"]);
    env.cmd(&["verify"]).write_stdin(old.clone()).assert().success().stdout("svc\n");

    let out = env.run(&["regenerate", "svc"], b"");
    assert_eq!(out.code, 0, "{out}");
    let new = out.stdout.trim_end().to_string();
    assert!(predicate::str::is_match(MINTED).unwrap().eval(&new), "{out}");
    assert_ne!(new, old);
    assert!(!out.stderr.contains(&new) && !out.stderr.contains(&old), "{out}");
    assert_eq!(env.get("svc"), new);
    env.cmd(&["verify"]).write_stdin(old.clone()).assert().code(3);
    env.cmd(&["verify"]).write_stdin(new.clone()).assert().success().stdout("svc\n");
    assert_near(epoch(&env.json(&["show", "svc", "--json"])["expires_at"]), now() + 30 * 86_400, 60, "same lifetime");

    // `rotate` is an alias; --expires picks a new lifetime.
    let third = env.ok(&["rotate", "svc", "--expires", "2w"], b"").trim_end().to_string();
    assert!(third != new && third.starts_with("tok_"));
    assert_near(epoch(&env.json(&["show", "svc", "--json"])["expires_at"]), now() + 14 * 86_400, 60, "--expires 2w");

    // A custom prefix survives regeneration.
    let acme = env.create("acme", &["--prefix", "acme_"]);
    assert!(predicate::str::is_match(r"^acme_[0-9A-Za-z]{36}$").unwrap().eval(&acme), "{acme}");
    let acme2 = env.ok(&["regenerate", "acme"], b"").trim_end().to_string();
    assert!(acme2.starts_with("acme_") && acme2 != acme, "{acme2}");
}

#[test]
fn regenerating_an_imported_token_reads_the_new_secret_from_stdin() {
    let env = Env::keyring();
    env.import("expo", "expo-old-secret", &["--expires", "30d"]);
    env.cmd(&["regenerate", "expo"]).write_stdin("expo-new-secret\n").assert().success().stdout("");
    assert_eq!(env.get("expo"), "expo-new-secret");
    env.cmd(&["verify"]).write_stdin("expo-old-secret").assert().code(3);
    env.cmd(&["verify"]).write_stdin("expo-new-secret").assert().success().stdout("expo\n");
    // No new secret on stdin: refused, nothing changed.
    let before = env.snapshot();
    let out = env.fails(&["regenerate", "expo"], b"", 2);
    assert_unchanged(&before, &env.snapshot(), &out);
    assert_eq!(env.get("expo"), "expo-new-secret");
}

#[test]
fn a_leaked_token_is_revoked_for_good_and_revoking_twice_is_fine() {
    let env = Env::keyring();
    let secret = env.create("leaked", &[]);
    env.create("other", &[]);
    env.cmd(&["revoke", "leaked", "--yes"]).assert().success().stdout("");
    let out = env.run(&["revoke", "leaked", "--yes"], b"");
    assert_eq!(out.code, 0, "revoking twice is not an error: {out}");
    // Without a terminal no confirmation is needed.
    env.cmd(&["revoke", "leaked"]).assert().success();

    let out = env.fails(&["get", "leaked"], b"", 4);
    assert!(out.stderr.contains("revoked"), "{out}");
    assert_eq!(out.stdout, "");
    env.cmd(&["verify"]).write_stdin(secret.clone()).assert().code(4).stdout("");
    env.cmd(&["regenerate", "leaked"]).assert().code(4).stdout("");
    let r = &env.records()["leaked"];
    assert_eq!(r["status"], "revoked");
    assert_near(epoch(&r["revoked_at"]), now(), 60, "revoked_at");
    assert!(!env.names().is_empty() && !env.ok(&["list"], b"").contains("leaked"));
    assert!(!String::from_utf8_lossy(&env.vault_bytes()).contains(&secret));
}

#[test]
fn delete_forgets_a_token_entirely() {
    let env = Env::keyring();
    env.create("old-token", &[]);
    env.create("keep", &[]);
    env.cmd(&["delete", "old-token", "--yes"]).assert().success().stdout("");
    env.cmd(&["get", "old-token"]).assert().code(3);
    assert_eq!(env.names(), ["keep"]);
    env.create("tmp", &[]);
    env.cmd(&["rm", "tmp"]).assert().success();
    assert_eq!(env.names(), ["keep"]);
    let log = env.json(&["log", "old-token", "--json"]);
    assert_eq!(log[0]["action"], "deleted", "the log remembers a deleted token by name: {log}");
    env.cmd(&["delete", "old-token", "--yes"]).assert().code(3);
}

#[test]
fn verify_tells_typos_unknown_revoked_and_missing_scopes_apart() {
    let env = Env::keyring();
    let api = env.create("api", &["--scope", "repo:*", "--scope", "deploy"]);
    let revoked = env.create("revoked", &[]);
    env.ok(&["revoke", "revoked", "--yes"], b"");

    env.cmd(&["verify"]).write_stdin(api.clone()).assert().success().stdout("api\n");
    env.cmd(&["verify"]).write_stdin(format!("{api}\n")).assert().success().stdout("api\n");
    env.cmd(&["verify", "--scope", "deploy", "--scope", "repo:read"])
        .write_stdin(api.clone())
        .assert()
        .success()
        .stdout("api\n");
    let v: Value = serde_json::from_slice(
        &env.cmd(&["verify", "--json"]).write_stdin(api.clone()).assert().success().get_output().stdout,
    )
    .unwrap();
    assert_eq!(v["name"], "api");
    assert!(!v.to_string().contains(&api));

    let out = env.fails(&["verify", "--scope", "admin"], api.as_bytes(), 4);
    assert!(out.stderr.contains("admin"), "names the missing scope: {out}");

    // One character changed: the checksum catches it before any lookup.
    let mut typo: Vec<char> = api.chars().collect();
    typo[10] = if typo[10] == 'a' { 'b' } else { 'a' };
    let typo: String = typo.into_iter().collect();
    let out = env.fails(&["verify"], typo.as_bytes(), 3);
    assert!(out.stderr.contains("checksum"), "a typo is called a checksum error: {out}");

    let out = env.fails(&["verify"], b"tok_thisisnotatokenofoursatallreally1234", 3);
    assert!(out.stderr.contains("unknown") || out.stderr.contains("checksum"), "{out}");
    let out = env.fails(&["verify"], b"ghp_someone-elses-token", 3);
    assert!(out.stderr.contains("unknown"), "{out}");
    env.fails(&["verify"], revoked.as_bytes(), 4);
    for out in [env.run(&["verify"], typo.as_bytes()), env.run(&["verify", "--scope", "admin"], api.as_bytes())] {
        assert!(!out.stderr.contains(&api) && !out.stderr.contains(&typo), "no secret in errors: {out}");
    }
}

#[test]
fn the_log_shows_each_change_and_use_newest_first() {
    let env = Env::keyring();
    env.create("gh", &[]);
    env.ok(&["update", "gh", "--note", "laptop"], b"");
    env.get("gh");
    env.create("other", &[]);
    let log = env.json(&["log", "gh", "--json"]);
    let actions: Vec<&str> = log.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["used", "updated", "created"], "{log}");
    assert_eq!(log[0]["detail"], "get", "a use records the command: {log}");
    assert_eq!(log[0]["token"], "gh");
    assert_near(epoch(&log[0]["time"]), now(), 60, "event time");

    let all = env.json(&["log", "--json"]);
    assert_eq!(all[0]["token"], "other", "newest first: {all}");
    assert_eq!(all.as_array().unwrap().len(), 5);
    assert_eq!(all[4]["action"], "vault-created", "the first write made the vault: {all}");

    let text = env.ok(&["log", "gh"], b"");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[0].contains("used") && lines[2].contains("created"), "{text}");

    // The use shows up as last_used_at.
    let r = env.json(&["show", "gh", "--json"]);
    assert_near(epoch(&r["last_used_at"]), now(), 60, "last_used_at");
    assert_eq!(env.json(&["show", "other", "--json"])["last_used_at"], Value::Null);
    env.cmd(&["log", "nope"]).assert().code(3);
}

#[test]
fn doctor_is_happy_with_a_healthy_vault() {
    let env = Env::keyring();
    env.create("gh", &[]);
    let out = env.run(&["doctor"], b"");
    assert_eq!(out.code, 0, "a healthy vault: {out}");
    for want in ["Secret Service", &env.vault.display().to_string(), "600", "700", "v4", "keyring"] {
        assert!(out.stdout.contains(want), "doctor reports {want}: {out}");
    }
    // A token due within the window needs attention.
    env.create("soon", &["--expires", "3d"]);
    let out = env.run(&["doctor"], b"");
    assert_ne!(out.code, 0, "{out}");
    assert!(out.stdout.contains("soon"), "{out}");
    env.cmd(&["doctor", "--within", "1d"]).assert().success();
}

#[test]
fn init_creates_the_vault_and_its_keyring_entry_once() {
    let env = Env::keyring();
    let out = env.run(&["init"], b"");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, "", "init prints nothing on stdout");
    assert!(env.vault.exists());
    let id = env.vault_id();
    assert_eq!(keyring_key(&id), Some(env.export_key()));
    assert_eq!(env.names(), Vec::<String>::new());
    let before = env.snapshot();
    let out = env.run(&["init"], b"");
    assert_eq!(out.code, 0, "a second init is harmless: {out}");
    assert_unchanged(&before, &env.snapshot(), &out);
    assert_eq!(env.vault_id(), id);
}

#[test]
fn reading_commands_without_a_vault_say_so_and_create_nothing() {
    let env = Env::keyring();
    let before = env.snapshot();
    for args in [&["get", "x"][..], &["list"], &["show", "x"], &["log"], &["key", "export"], &["revoke", "x"]] {
        let out = env.fails(args, b"", 3);
        assert!(out.stderr.contains("no vault"), "{out}");
    }
    env.fails(&["verify"], b"tok_whatever", 3);
    assert_unchanged(&before, &env.snapshot(), &"reads without a vault");
    let out = env.run(&["doctor"], b"");
    assert_ne!(out.code, 0, "{out}");
    assert_unchanged(&before, &env.snapshot(), &out);
}

#[test]
fn a_vault_path_that_is_a_directory_is_refused_naming_it() {
    let mut env = Env::env_key();
    std::fs::create_dir_all(env.root.join("adir")).unwrap();
    let p = env.root.join("adir").display().to_string();
    env.set("TOKCTL_VAULT", &p);
    let out = env.fails(&["get", "x"], b"", 2);
    assert!(out.stderr.contains(&p), "the error names the path: {out}");
    let out = env.fails(&["create", "x"], b"", 2);
    assert!(out.stdout.is_empty(), "no secret printed when it could not be stored: {out}");
}

#[test]
fn a_log_that_cannot_be_written_never_fails_a_use() {
    let env = Env::env_key();
    let secret = env.create("gh", &[]);
    // Where the log should be, a directory: every append fails (as on a read-only medium).
    std::fs::remove_file(env.log_path()).unwrap();
    std::fs::create_dir(env.log_path()).unwrap();
    assert_eq!(env.get("gh"), secret);
    env.cmd(&["verify"]).write_stdin(secret.clone()).assert().success().stdout("gh\n");
    env.ok(&["list"], b"");
    env.ok(&["log"], b"");
}

#[test]
fn quiet_means_nothing_on_stderr_but_errors() {
    let env = Env::env_key();
    let out = env.run(&["-q", "create", "gh", "--force", "--expires", "2d"], b"");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stderr, "", "{out}");
    env.cmd(&["--quiet", "get", "gh"]).assert().success().stderr("");
    env.cmd(&["-q", "import", "x"]).write_stdin("y").assert().success().stderr("");
    env.cmd(&["-q", "get", "nope"]).assert().code(3).stderr(predicate::str::contains("no token named 'nope'"));
}

#[test]
fn the_log_stays_bounded_and_keeps_the_last_use() {
    let env = Env::env_key();
    env.create("gh", &[]);
    env.get("gh");
    // Grow the log past its bound by repeating a genuine (sealed) use event.
    let text = std::fs::read_to_string(env.log_path()).unwrap();
    let used = text.lines().last().unwrap().to_string();
    let mut grown = text.clone();
    while grown.len() < 1_200_000 {
        grown.push_str(&used);
        grown.push('\n');
    }
    std::fs::write(env.log_path(), &grown).unwrap();
    let last_used = env.json(&["show", "gh", "--json"])["last_used_at"].clone();
    assert_ne!(last_used, serde_json::Value::Null);

    env.ok(&["update", "gh", "--note", "compact the log"], b"");
    let size = std::fs::metadata(env.log_path()).unwrap().len();
    assert!(size < 1024 * 1024, "the log was compacted: {size} bytes");
    let events = env.json(&["log", "--json"]);
    let n = events.as_array().unwrap().len();
    assert!((100..=2_100).contains(&n), "the newest events are kept: {n}");
    assert_eq!(events[0]["action"], "updated");
    assert_eq!(env.json(&["show", "gh", "--json"])["last_used_at"], last_used, "the last use survives compaction");
}

#[test]
fn several_vaults_coexist_each_with_its_own_keyring_entry() {
    let env = Env::keyring();
    let work = env.root.join("work").join("vault.toml");
    let work_arg = work.display().to_string();
    let personal = env.create("gh", &[]);
    let out = env.run(&["--vault", &work_arg, "create", "gh", "--force"], b"");
    assert_eq!(out.code, 0, "{out}");
    let at_work = out.stdout.trim_end().to_string();
    assert_ne!(personal, at_work);
    // The flag works after the subcommand too, and wins over TOKCTL_VAULT.
    env.cmd(&["get", "-n", "gh", "--vault", &work_arg]).assert().success().stdout(at_work.clone());
    assert_eq!(env.get("gh"), personal);

    let id_of = |p: &std::path::Path| {
        let text = std::fs::read_to_string(p).unwrap();
        text.lines().find_map(|l| l.strip_prefix("vault_id = \"")?.strip_suffix('"').map(str::to_string)).unwrap()
    };
    let (a, b) = (id_of(&env.vault), id_of(&work));
    assert_ne!(a, b, "each vault has its own id");
    let (ka, kb) = (keyring_key(&a).expect("a keyring entry"), keyring_key(&b).expect("a keyring entry"));
    assert_ne!(ka, kb, "and its own key");
    env.cmd(&["--vault", &work_arg, "delete", "gh", "--yes"]).assert().success();
    assert_eq!(env.get("gh"), personal, "the other vault is untouched");
}
