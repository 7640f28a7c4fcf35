//! Expiry with a real clock: tokens minted in the past (under faketime) are expired today.

use crate::support::*;

#[test]
fn a_token_minted_years_ago_for_thirty_days_is_expired_today() {
    let env = Env::env_key();
    let old = env.create_expired("old", &["--scope", "ci"]);
    assert!(env.ok_in_2020(&["show", "old", "--json"], b"").contains("2020-01-31"), "minted in 2020");
    env.ok_in_2020(&["import", "legacy", "--expires", "2020-06-01"], b"legacy-secret");
    let fresh = env.create("fresh", &[]);

    let out = env.fails(&["get", "old"], b"", 4);
    assert!(out.stderr.contains("expired"), "{out}");
    assert_eq!(out.stdout, "", "an expired secret is never printed");
    env.fails(&["get", "legacy"], b"", 4);
    env.cmd(&["verify"]).write_stdin(old.clone()).assert().code(4).stdout("");
    assert_eq!(env.get("fresh"), fresh);

    let recs = env.records();
    assert_eq!(recs["old"]["status"], "expired");
    assert_eq!(recs["legacy"]["status"], "expired");
    assert_eq!(recs["fresh"]["status"], "active");
    let table = env.ok(&["list"], b"");
    let row = table.lines().find(|l| l.starts_with("old")).unwrap_or_else(|| panic!("{table}"));
    assert!(row.contains("expired") && row.contains("ago"), "{table}");
    let due: Vec<String> = env
        .json(&["list", "--expiring", "1d", "--json"])
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(due, ["legacy", "old"], "expired tokens are among those expiring");

    let out = env.run(&["doctor"], b"");
    assert_ne!(out.code, 0, "doctor wants attention for expired tokens\n{out}");
    assert!(out.stdout.contains("old") && out.stdout.contains("legacy"), "{out}");
}

#[test]
fn regenerating_an_expired_token_renews_it_for_the_same_lifetime() {
    let env = Env::env_key();
    let old = env.create_expired("svc", &[]);
    env.fails(&["get", "svc"], b"", 4);
    let new = env.ok(&["regenerate", "svc"], b"").trim_end().to_string();
    assert!(predicate::str::is_match(MINTED).unwrap().eval(&new) && new != old);
    let r = env.json(&["show", "svc", "--json"]);
    assert_eq!(r["status"], "active");
    assert_near(epoch(&r["expires_at"]), now() + 30 * 86_400, 120, "renewed for 30 days from now");
    assert_eq!(env.get("svc"), new);
    env.cmd(&["verify"]).write_stdin(old).assert().code(3);

    // An imported token the provider extended: update its expiry, the secret stays.
    env.ok_in_2020(&["import", "expo", "--expires", "7d"], b"expo-secret");
    env.fails(&["get", "expo"], b"", 4);
    env.ok(&["update", "expo", "--expires", "30d"], b"");
    assert_eq!(env.get("expo"), "expo-secret");
}

#[test]
fn a_token_due_soon_warns_on_use_but_still_works() {
    let env = Env::env_key();
    let secret = env.create("soon", &["--expires", "2d"]);
    let out = env.run(&["get", "soon"], b"");
    assert_eq!(out.code, 0, "{out}");
    assert_eq!(out.stdout, format!("{secret}\n"));
    assert!(out.stderr.contains("expires"), "a reminder on stderr: {out}");
    env.cmd(&["-q", "get", "soon"]).assert().success().stderr("");
}

#[test]
fn expired_and_due_tokens_are_highlighted_unless_colour_is_off() {
    let env = Env::env_key();
    env.create_expired("old", &[]);
    env.create("soon", &["--expires", "3d"]);
    env.create("later", &[]);
    let table = env.ok(&["list", "--color", "always"], b"");
    let row = |name: &str| table.lines().find(|l| l.contains(name)).unwrap_or_else(|| panic!("{table}")).to_string();
    assert!(row("old").contains("\x1b["), "expired is highlighted:\n{table}");
    assert!(row("soon").contains("\x1b["), "due within 7 days is highlighted:\n{table}");
    assert!(!row("later").contains("\x1b["), "a healthy token is plain:\n{table}");
    assert!(!env.ok(&["list", "--color", "never"], b"").contains('\x1b'));
    assert!(!env.ok(&["list"], b"").contains('\x1b'), "not a terminal: no colour");
    env.cmd(&["list", "--color", "auto"])
        .env("NO_COLOR", "1")
        .assert()
        .success()
        .stdout(predicate::str::contains("\x1b").not());
}
