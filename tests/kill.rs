//! Crashes: writers and key rotations killed with `kill -9` at random instants leave the old
//! vault or the new one, never a broken one, and never lock the user out. The random instants
//! come from a seeded schedule (`seed = N` on stderr; `TOKCTL_TEST_SEED=N` replays it).

use std::collections::{BTreeMap, BTreeSet};
use std::io::Write;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::*;

/// Run `c` with `stdin`, SIGKILL it after `delay`; its exit code when it had finished by itself
/// by then, else `None`.
fn kill_9_after(c: Command, stdin: &[u8], delay: Duration) -> Option<i32> {
    let mut running = Running::spawn(c);
    running.feed(stdin);
    std::thread::sleep(delay); // the random instant under test, not a wait for something
    let finished = running.exited();
    running.signal("KILL");
    let code = running.finish(Duration::from_secs(60)).code;
    finished.or_else(|| Some(code).filter(|&c| c != 128 + 9))
}

/// Random kill instants spread over one write: a window as long as a write takes here, widened
/// when every writer of the last ten rounds died before writing, narrowed when every one had
/// finished, so that both kinds of outcome keep happening on a fast or a slow machine.
struct KillSchedule {
    rng: Rng,
    span_us: u64,
    /// Outcomes in the current ten rounds: (old state kept, new state landed).
    window: (u32, u32),
    rounds: u32,
    /// Outcomes over all rounds.
    old_kept: u32,
    new_landed: u32,
}

impl KillSchedule {
    /// A schedule over `one_write` (measured) × 1.3, at least `floor`.
    fn new(one_write: Duration, floor: Duration) -> KillSchedule {
        let span_us = (one_write.as_micros() as u64 * 13 / 10).max(floor.as_micros() as u64);
        KillSchedule { rng: Rng::seeded(), span_us, window: (0, 0), rounds: 0, old_kept: 0, new_landed: 0 }
    }

    fn next_delay(&mut self) -> Duration {
        Duration::from_micros(self.rng.below(self.span_us))
    }

    /// What the last kill left: the new state (`true`) or the old one.
    fn landed(&mut self, new: bool) {
        if new {
            (self.new_landed, self.window.1) = (self.new_landed + 1, self.window.1 + 1);
        } else {
            (self.old_kept, self.window.0) = (self.old_kept + 1, self.window.0 + 1);
        }
        self.rounds += 1;
        if self.rounds.is_multiple_of(10) {
            if self.window.1 == 0 {
                self.span_us *= 2;
            } else if self.window.0 == 0 {
                self.span_us = (self.span_us / 2).max(1000);
            }
            self.window = (0, 0);
        }
    }

    /// The kills hit both before and after the rename, or the test proved only half of it.
    #[track_caller]
    fn assert_hit_both_sides(&self) {
        assert!(
            self.old_kept > 0 && self.new_landed > 0,
            "the kills must land both before and after the rename: old state kept {}, new state landed {}",
            self.old_kept,
            self.new_landed
        );
    }
}

/// What a writer can change about a token: its note and its status.
type State = BTreeMap<String, (String, String)>;

fn state_of(list_json: &str) -> State {
    let v: serde_json::Value = serde_json::from_str(list_json).expect("list --json is JSON");
    v.as_array()
        .expect("an array")
        .iter()
        .map(|r| {
            let s = |k: &str| r[k].as_str().unwrap_or_else(|| panic!("{k} in {r}")).to_string();
            (s("name"), (s("note"), s("status")))
        })
        .collect()
}

#[test]
fn kill_9_of_mixed_writers_over_120_rounds_leaves_the_old_state_or_the_new_one() {
    const ROUNDS: usize = 120;
    let env = Env::env_key();
    // Ballast makes each write (seal, write, fsync, rename) take a while; `upd-*` and `rev-*`
    // are the tokens the update and revoke rounds change.
    let mut dotenv = String::new();
    for i in 0..150 {
        dotenv.push_str(&format!("BALLAST_{i}=ballast-{i}-{}\n", "b".repeat(60)));
    }
    for k in 0..ROUNDS / 4 {
        dotenv.push_str(&format!("UPD_{k}=update-me-{k}\nREV_{k}=revoke-me-{k}\n"));
    }
    env.ok(&["import", "--dotenv", "-"], dotenv.as_bytes());
    let t = Instant::now();
    env.ok(&["update", "ballast-0", "--note", "timing"], b"");
    let mut schedule = KillSchedule::new(t.elapsed(), Duration::from_millis(3));

    let mut state = state_of(&env.ok(&["list", "--all", "--json"], b""));
    let mut exited_0 = 0;
    for round in 0..ROUNDS {
        let k = round / 4;
        let mut new = state.clone();
        let (args, stdin): (Vec<String>, Vec<u8>) = match round % 4 {
            0 => {
                let name = format!("minted-{round}");
                new.insert(name.clone(), (format!("born-{round}"), "active".into()));
                (vec!["create".into(), name, "--note".into(), format!("born-{round}")], Vec::new())
            }
            1 => {
                let name = format!("imported-{round}");
                new.insert(name.clone(), (format!("born-{round}"), "active".into()));
                let args = vec!["import".into(), name, "--note".into(), format!("born-{round}")];
                (args, format!("imported-secret-{round}\n").into_bytes())
            }
            2 => {
                let name = format!("upd-{k}");
                new.get_mut(&name).unwrap().0 = format!("changed-{round}");
                (vec!["update".into(), name, "--note".into(), format!("changed-{round}")], Vec::new())
            }
            _ => {
                let name = format!("rev-{k}");
                new.get_mut(&name).unwrap().1 = "revoked".into();
                (vec!["revoke".into(), name, "--yes".into()], Vec::new())
            }
        };
        let delay = schedule.next_delay();
        let code = kill_9_after(env.std_cmd(&args), &stdin, delay);
        let out = env.run(&["list", "--all", "--json"], b"");
        assert_eq!(out.code, 0, "round {round} ({args:?} killed after {delay:?}): the vault must open\n{out}");
        let now = state_of(&out.stdout);
        if now != state && now != new {
            let gained: Vec<_> = now.iter().filter(|(n, v)| state.get(*n) != Some(v)).collect();
            let lost: Vec<_> = state.keys().filter(|n| !now.contains_key(*n)).collect();
            panic!(
                "round {round} ({args:?} killed after {delay:?}): neither the old state nor the new one; changed or added {gained:?}, lost {lost:?}"
            );
        }
        schedule.landed(now == new);
        if let Some(c) = code {
            assert_eq!(c, 0, "round {round}: {args:?} failed by itself (not killed)");
            exited_0 += 1;
            assert_eq!(now, new, "round {round}: a write that exited 0 is on disk");
        }
        state = now;
    }
    eprintln!(
        "kill -9 over {ROUNDS} rounds: old state kept {}, new state landed {} ({exited_0} writers had \
         exited 0 first); {} temp files left by killed writers",
        schedule.old_kept,
        schedule.new_landed,
        env.temp_files().len()
    );
    schedule.assert_hit_both_sides();
    // Survivors are whole: secrets read back, and the next write works.
    for round in (1..ROUNDS).step_by(4) {
        if state.contains_key(&format!("imported-{round}")) {
            assert_eq!(env.get(&format!("imported-{round}")), format!("imported-secret-{round}"));
        }
    }
    assert_eq!(env.get("ballast-149"), format!("ballast-149-{}", "b".repeat(60)));
    env.create("after-the-kills", &[]);
    env.ok(&["list", "--json"], b"");
}

#[test]
fn a_writer_killed_at_any_instant_leaves_the_old_vault_or_the_new_one() {
    let env = Env::env_key();
    env.create("base", &[]);
    // How long one write takes here, to spread the kills over it.
    let t = Instant::now();
    env.create("timing", &[]);
    let mut schedule = KillSchedule::new(t.elapsed(), Duration::from_millis(2));

    let mut have: BTreeSet<String> = env.names().into_iter().collect();
    let mut finished = 0;
    for round in 0..40 {
        let delay = schedule.next_delay();
        let (cmd, stdin, new): (_, Vec<u8>, Vec<String>) = if round % 2 == 0 {
            let name = format!("minted-{round}");
            (env.std_cmd(&["create", &name]), Vec::new(), vec![name])
        } else {
            let vars: Vec<String> = (0..8).map(|k| format!("BULK_{round}_{k}")).collect();
            let text: String = vars.iter().map(|v| format!("{v}=value-of-{v}\n")).collect();
            let names = vars.iter().map(|v| v.to_lowercase().replace('_', "-")).collect();
            (env.std_cmd(&["import", "--dotenv", "-"]), text.into_bytes(), names)
        };
        let code = kill_9_after(cmd, &stdin, delay);
        let out = env.run(&["list", "--all", "--json"], b"");
        assert_eq!(out.code, 0, "round {round}: the vault opens after a kill at {delay:?}\n{out}");
        let now: BTreeSet<String> = state_of(&out.stdout).into_keys().collect();
        let with_new: BTreeSet<String> = have.iter().cloned().chain(new.iter().cloned()).collect();
        assert!(now == have || now == with_new, "round {round}: neither the old nor the new state: {now:?}");
        schedule.landed(now == with_new);
        if code == Some(0) {
            finished += 1;
            assert_eq!(now, with_new, "round {round}: a write that exited 0 is on disk");
        }
        have = now;
    }
    eprintln!(
        "kill -9 rounds: {finished} of 40 writers finished before the kill; old state kept {}, new landed {}",
        schedule.old_kept, schedule.new_landed
    );
    schedule.assert_hit_both_sides();
    // The survivors are intact, and a normal write still works afterwards.
    for n in have.iter().filter(|n| n.starts_with("bulk-")).take(3) {
        let var = n.to_uppercase().replace('-', "_");
        assert_eq!(env.get(n), format!("value-of-{var}"));
    }
    env.create("after-the-kills", &[]);
}

#[test]
fn a_key_rotation_killed_at_any_instant_never_locks_the_user_out() {
    let _one_at_a_time = keyring_load();
    let env = Env::keyring();
    let secret = env.create("gh", &[]);
    env.import("expo", "expo-secret", &[]);
    let t = Instant::now();
    env.ok(&["key", "rotate"], b"");
    let mut schedule = KillSchedule::new(t.elapsed(), Duration::from_millis(5));
    for round in 0..40 {
        let delay = schedule.next_delay();
        kill_9_after(env.std_cmd(&["key", "rotate"]), b"", delay);
        let out = env.run(&["get", "-n", "gh"], b"");
        assert_eq!(out.code, 0, "round {round}: killed after {delay:?}, the keyring still opens the vault\n{out}");
        assert_eq!(out.stdout, secret);
        assert_eq!(env.get("expo"), "expo-secret");
    }
    // A clean rotation afterwards settles the keyring: no key is left under the pending account.
    env.ok(&["key", "rotate"], b"");
    let id = env.vault_id();
    assert_eq!(keyring_key(&id), Some(env.export_key()));
    assert_eq!(keyring_key(&format!("{id}+pending")), None);
}

#[test]
fn a_torn_log_line_from_a_crash_costs_no_later_event() {
    // A writer killed in the middle of appending to the log leaves a partial last line with no
    // newline. The module promises a torn line is simply skipped: the events after it must stay.
    let env = Env::env_key();
    env.create("gh", &[]);
    let log = env.log_path();
    let mut f = std::fs::OpenOptions::new().append(true).open(&log).expect("the log exists");
    f.write_all(b"AAAAbbbbCCCCddddEEEEffff0123").unwrap();
    drop(f);
    env.ok(&["update", "gh", "--note", "after the crash"], b"");
    env.create("second", &[]);
    let events = env.json(&["log", "--json"]);
    let actions: Vec<(String, String)> = events
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap().to_string(), e["token"].as_str().unwrap().to_string()))
        .collect();
    for want in [("updated", "gh"), ("created", "second"), ("created", "gh")] {
        assert!(
            actions.contains(&(want.0.to_string(), want.1.to_string())),
            "the log lost {want:?} after a torn line: {actions:?}"
        );
    }
}
