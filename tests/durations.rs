//! One duration grammar (SPEC "Durations") for every flag and variable that takes a length, end to
//! end: each takes each unit, and a limit of its own (`--for` at most 24 hours, a timeout at most
//! an hour) says so in its own words, never as a grammar error. A refusal changes nothing.

use crate::support::*;

/// Every unit of the grammar, and its length in seconds.
const UNITS: [(&str, i64); 5] = [("45s", 45), ("90m", 5400), ("12h", 43_200), ("30d", 2_592_000), ("2w", 1_209_600)];

#[test]
fn every_token_flag_takes_every_unit() {
    let env = Env::env_key();
    for (unit, secs) in UNITS {
        let name = format!("t-{unit}");
        let t0 = now();
        env.create(&name, &["--expires", unit, "--rotate-every", unit]);
        let r = &env.records()[&name];
        assert_near(epoch(&r["expires_at"]), t0 + secs, 60, &format!("create --expires {unit}"));
        assert_eq!(r["rotate_every"], secs, "create --rotate-every {unit}");

        env.ok(&["update", &name, "--expires", unit, "--rotate-every", unit], b"");
        env.one_secret(env.ok(&["regenerate", &name, "--expires", unit], b""));
        let imported = format!("i-{unit}");
        env.import(&imported, &format!("imported-secret-{unit}"), &["--expires", unit, "--rotate-every", unit]);
        let r = &env.records()[&imported];
        assert_eq!(r["rotate_every"], secs, "import --rotate-every {unit}");

        // A token made with a length of U expires within U from now.
        let listed = env.json(&["list", "--expiring", unit, "--json"]);
        let names: Vec<&str> = listed.as_array().unwrap().iter().filter_map(|r| r["name"].as_str()).collect();
        assert!(names.contains(&name.as_str()), "list --expiring {unit}: {names:?}");

        // doctor exits 4 when it flags a token; what matters is that it read both lengths.
        let out = env.run(&["doctor", "--within", unit, "--unused", unit], b"");
        assert!(out.code == 0 || out.code == 4, "doctor --within/--unused {unit}\n{out}");
    }
}

#[test]
fn unlock_for_takes_every_unit_up_to_its_own_limit_of_24_hours() {
    let mut env = Env::bare();
    env.in_session();
    env.set("TOKCTL_PASSPHRASE", "correct horse battery staple");
    env.create("gh", &[]);
    for (unit, secs) in UNITS {
        if secs <= 24 * 3600 {
            let out = env.succeeds(&["unlock", "--for", unit], b"");
            assert!(out.stderr.contains("unlocked"), "{out}");
        } else {
            let before = env.snapshot();
            let out = env.fails(&["unlock", "--for", unit], b"", 2);
            assert!(out.stderr.contains(&format!("--for '{unit}' is longer than 24 hours")), "{out}");
            assert!(!out.stderr.contains("not a duration"), "a limit is not a grammar error\n{out}");
            assert_unchanged(&before, &env.snapshot(), &out);
        }
    }
    // The one the issue names: a week is too long, not an unknown unit.
    let out = env.fails(&["unlock", "--for", "1w"], b"", 2);
    assert!(out.stderr.contains("is longer than 24 hours"), "{out}");
    let out = env.fails(&["unlock", "--for", "1y"], b"", 2);
    assert!(out.stderr.contains("--for '1y' is not a duration"), "{out}");
}

#[test]
fn the_cache_ttl_takes_every_unit_up_to_24_hours_and_off() {
    // A passphrase vault in a login session of its own: every command consults the cache.
    let mut env = Env::bare();
    env.in_session();
    env.set("TOKCTL_PASSPHRASE", "correct horse battery staple");
    env.create("gh", &[]);
    let before = env.snapshot();
    for (unit, secs) in UNITS {
        env.set("TOKCTL_CACHE_TTL", unit);
        if secs <= 24 * 3600 {
            env.ok(&["list"], b"");
        } else {
            let out = env.fails(&["list"], b"", 2);
            assert!(out.stderr.contains(&format!("TOKCTL_CACHE_TTL='{unit}' is longer than 24 hours")), "{out}");
            assert!(!out.stderr.contains("not a duration"), "a limit is not a grammar error\n{out}");
        }
    }
    for off in ["0", "off", "0s"] {
        env.set("TOKCTL_CACHE_TTL", off);
        env.ok(&["list"], b"");
    }
    env.set("TOKCTL_CACHE_TTL", "5x");
    let out = env.fails(&["list"], b"", 2);
    assert!(out.stderr.contains("TOKCTL_CACHE_TTL='5x' is not a duration"), "{out}");
    // `list` only reads: no run above wrote the vault or its log.
    assert_unchanged(&before, &env.snapshot(), &out);
}

#[test]
fn the_keyring_timeout_takes_seconds_and_every_unit_up_to_an_hour() {
    let mut env = Env::keyring();
    env.create("gh", &[]);
    for (value, ok) in [
        ("30", true),
        ("45s", true),
        ("60m", true),
        ("1h", true),
        ("90m", false),
        ("12h", false),
        ("30d", false),
        ("2w", false),
    ] {
        env.set("TOKCTL_KEYRING_TIMEOUT", value);
        if ok {
            env.get("gh");
        } else {
            let out = env.fails(&["get", "gh"], b"", 2);
            let says = format!("TOKCTL_KEYRING_TIMEOUT='{value}' is longer than 1 hour");
            assert!(out.stderr.contains(&says), "{out}");
        }
    }
    env.set("TOKCTL_KEYRING_TIMEOUT", "0");
    let out = env.fails(&["get", "gh"], b"", 2);
    assert!(out.stderr.contains("TOKCTL_KEYRING_TIMEOUT='0' is not a timeout"), "{out}");
}

#[test]
fn the_remote_timeout_takes_seconds_and_every_unit_up_to_an_hour() {
    let env = Env::env_key();
    // Nothing listens there: a timeout that parses gets as far as "cannot reach" (exit 1).
    let url = format!("openbao+http://127.0.0.1:{}/secret/x", crate::support::bao::free_port());
    for (value, ok) in
        [("30", true), ("45s", true), ("60m", true), ("90m", false), ("12h", false), ("30d", false), ("2w", false)]
    {
        let mut c = env.std_cmd(&["list"]);
        c.env("TOKCTL_VAULT", &url).env("BAO_TOKEN", "t").env("TOKCTL_REMOTE_TIMEOUT", value);
        let out = env.run_cmd(c, b"");
        if ok {
            assert_eq!(out.code, 1, "{out}");
            assert!(out.stderr.contains("cannot reach"), "{out}");
        } else {
            assert_eq!(out.code, 2, "{out}");
            assert!(out.stderr.contains(&format!("TOKCTL_REMOTE_TIMEOUT='{value}' is longer than 1 hour")), "{out}");
        }
    }
}

#[test]
fn expires_takes_seconds_like_every_other_length() {
    // It used to exit 2 on `90s` while `unlock --for 90s` worked.
    let env = Env::env_key();
    let t0 = now();
    env.create("short", &["--expires", "90s"]);
    assert_near(epoch(&env.records()["short"]["expires_at"]), t0 + 90, 60, "--expires 90s");
    let before = env.snapshot();
    let out = env.fails(&["create", "past", "--expires", "2020-01-01"], b"", 2);
    assert!(out.stderr.contains("--expires: the date '2020-01-01' is in the past"), "{out}");
    let out = env.fails(&["list", "--expiring", "2030-01-01"], b"", 2);
    assert!(out.stderr.contains("--expiring '2030-01-01' is not a duration"), "only --expires takes a date\n{out}");
    assert_unchanged(&before, &env.snapshot(), &out);
}

#[test]
fn a_90_minute_token_is_shown_as_90_minutes() {
    let env = Env::env_key();
    env.create("short", &["--expires", "90m"]);
    let out = env.ok(&["list"], b"");
    assert!(out.contains("in 90 minutes") || out.contains("in 89 minutes"), "{out}");
    assert!(!out.contains("in 2 hours"), "{out}");
}
