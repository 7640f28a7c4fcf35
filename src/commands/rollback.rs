//! `tokctl accept-rollback`: keep, on purpose, a vault that is an older copy of itself.

use crate::access;
use crate::commands::Ctx;
use crate::error::Result;
use crate::journal::{Action, Event};
use crate::vault::{Record, Status};
use crate::when;

pub fn accept(ctx: &Ctx) -> Result<u8> {
    let mut acc = ctx.access()?;
    acc.allow_rollback();
    // What was seen comes from the log and the OS keyring only: a generation in the unlock
    // cache could have been put there by anything in the session, and would be carried into the
    // vault. The entry is dropped, whether or not there is anything to accept (a planted
    // generation is an alarm with nothing behind it); the next command fills it again.
    acc.skip_cache_read();
    let (generation, seen) = {
        let op = acc.read()?;
        let s = op.sealed()?;
        crate::cache::forget(&s.header.vault_id);
        (s.generation(), access::newest_seen(&op)?)
    };
    if generation >= seen.generation {
        ctx.say(format!("the vault is at generation {generation}, the newest seen: nothing to accept"));
        return Ok(0);
    }
    let now = when::now();
    let (revoked, back, unknown) = acc.write(|op| {
        // What happened after this copy was made, by token id: revocations are applied again
        // (a leaked secret must not come back); every other secret this copy brings back is
        // named. The log may not reach the newest generation seen (it was rolled back with the
        // vault): then what changed in between is unknown, and that is said too.
        let history = op.history();
        let reaches = history.entries.iter().map(|e| e.generation).max().unwrap_or(0).max(generation);
        let later: Vec<_> =
            history.entries.into_iter().filter(|e| e.generation > generation).map(|e| e.event).collect();
        let (mut revoked, mut back) = reapply(&mut op.payload.records, &later, now);
        revoked.sort();
        revoked.dedup();
        // A token revoked again brings nothing back, whatever else happened to it.
        back.retain(|l| !revoked.iter().any(|n| l.contains(&format!("'{n}'"))));
        back.sort();
        back.dedup();
        let unknown = (reaches < seen.generation).then(|| {
            let mut active: Vec<String> = op
                .payload
                .records
                .iter()
                .filter(|r| r.status(now) == Status::Active)
                .map(|r| format!("'{}'", r.name))
                .collect();
            active.sort();
            (reaches, active)
        });
        // Move past every generation seen, so the copy is the newest from now on.
        op.sealed_mut()?.header.generation = seen.generation;
        let detail = format!("generation {generation} kept over {} ({})", seen.generation, seen.source);
        op.event(Action::RollbackAccepted, "-", "-", detail);
        for name in &revoked {
            let id = op.payload.find(name).map(|r| r.id.clone()).unwrap_or_default();
            op.event(Action::Revoked, name, &id, "again, after a rollback");
        }
        Ok((revoked, back, unknown))
    })?;
    ctx.say(format!("kept the older copy (generation {generation}) as the current vault"));
    // What the older copy brings back is said even with --quiet: it is why the command asks.
    let tell = |msg: &str| eprintln!("tokctl: {}", crate::ui::escape_lines(msg));
    if !revoked.is_empty() {
        tell(&format!("revoked again, as the log says they were: {}", revoked.join(", ")));
    }
    for l in &back {
        tell(l);
    }
    match unknown {
        Some((reaches, active)) => tell(&format!(
            "the log goes only to generation {reaches}, but generation {} was seen ({}): tokctl cannot tell \
             what changed since this copy; it may bring back secrets revoked, deleted or regenerated since\n\
             active in this copy: {}; regenerate or revoke each one you changed since generation {generation}",
            seen.generation,
            seen.source,
            if active.is_empty() { "none".to_string() } else { active.join(", ") }
        )),
        None if back.is_empty() => tell(
            "it brings back no revoked, deleted or regenerated secret: the log covers every change since this copy",
        ),
        None => {}
    }
    Ok(0)
}

/// What the events logged after the kept copy's generation mean for it: revocations are applied
/// again to `records` (a leaked secret must not come back; their names are returned first), and
/// every secret or token the copy brings back or lacks is named. Every action is decided here,
/// with no catch-all, so a new one cannot slip past this rule; one this tokctl does not know (a
/// newer tokctl wrote it) is named for the user to check.
fn reapply(records: &mut [Record], later: &[Event], now: i64) -> (Vec<String>, Vec<String>) {
    let (mut revoked, mut back) = (Vec::new(), Vec::new());
    for e in later {
        let record = records.iter_mut().find(|r| r.id == e.token_id);
        match (&e.action, record) {
            (Action::Revoked, Some(r)) => {
                if r.revoked_at.is_none() {
                    r.revoked_at = Some(now);
                    r.updated_at = now;
                    r.secret = None;
                    revoked.push(r.name.clone());
                }
            }
            (Action::Regenerated | Action::Replaced, Some(r)) => back.push(format!(
                "it brings back the old secret of '{}' ({} later: this copy holds its old secret, not the \
                 newer one); `tokctl regenerate {}` retires it",
                r.name, e.action, r.name
            )),
            // The copy's secret was sent to rotate: it must never be sent again.
            (Action::RotationStarted, Some(r)) => {
                if r.rotation_pending.is_none() && r.secret.is_some() {
                    r.rotation_pending = Some(e.time);
                    back.push(format!(
                        "a rotation of '{}' at its provider started later: this copy's secret may be dead there, \
                         and it is marked so that it is never sent to rotate again",
                        r.name
                    ));
                }
            }
            (Action::Deleted, Some(r)) => back.push(format!(
                "it brings back '{}' (deleted later); `tokctl delete {}` if it should stay gone",
                r.name, r.name
            )),
            (Action::Created | Action::Imported | Action::Copied, None) => {
                back.push(format!("check '{}' ({} later, not in this copy)", e.token, e.action))
            }
            (Action::Other(_), _) => back.push(match e.token.as_str() {
                "-" => {
                    format!("the log records '{}' later, which this tokctl does not know: check what it did", e.action)
                }
                t => format!(
                    "the log records '{}' for '{t}' later, which this tokctl does not know: check that token",
                    e.action
                ),
            }),
            // Nothing this copy brings back: a token it has (or lacks for a reason named by the
            // token's first event), a change of metadata, a use, and the vault's own events.
            (Action::Created | Action::Imported | Action::Copied, Some(_))
            | (
                Action::Revoked | Action::Regenerated | Action::Replaced | Action::Deleted | Action::RotationStarted,
                None,
            )
            | (
                Action::Updated
                | Action::Used
                | Action::Rejected
                | Action::Inspected
                | Action::RotationFailed
                | Action::ProviderRevokeFailed
                | Action::VaultCreated
                | Action::KeyRotated
                | Action::PassphraseAdded
                | Action::PassphraseChanged
                | Action::RollbackAccepted
                | Action::LogCompacted
                | Action::Written,
                _,
            ) => {}
        }
    }
    (revoked, back)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::secret::Secret;
    use crate::vault::{Kind, Meta};
    use crate::when::Expiry;

    fn record(name: &str) -> Record {
        let meta = Meta::new(name, None, &[], None, None, Expiry::Never).unwrap();
        meta.record(name, Kind::Imported, None, Secret::new(format!("{name}-secret-long-enough")))
    }

    fn event(action: Action, r: &Record) -> Event {
        Event::new(1, action, &r.name, &r.id, "")
    }

    #[test]
    fn a_logged_revocation_is_applied_again_and_what_comes_back_is_named() {
        let (a, b, c, gone) = (record("a"), record("b"), record("c"), record("gone"));
        let later = vec![
            event(Action::Used, &a),
            event(Action::Revoked, &a),
            event(Action::Regenerated, &b),
            event(Action::Deleted, &c),
            event(Action::Copied, &gone),
            event(Action::Updated, &c),
        ];
        let mut records = vec![a, b, c];
        let (revoked, back) = reapply(&mut records, &later, 9);
        assert_eq!(revoked, ["a"]);
        assert!(records[0].secret.is_none() && records[0].revoked_at == Some(9));
        assert!(records[1].secret.is_some() && records[2].secret.is_some());
        assert_eq!(back.len(), 3, "{back:?}");
        assert!(back[0].contains("old secret of 'b' (regenerated later"), "{back:?}");
        assert!(back[1].contains("brings back 'c' (deleted later)"), "{back:?}");
        assert_eq!(back[2], "check 'gone' (copied later, not in this copy)");
    }

    #[test]
    fn an_action_this_tokctl_does_not_know_is_named_and_changes_nothing() {
        let a = record("a");
        let unknown = Action::from_name("secret-destroyed");
        let later = vec![event(unknown.clone(), &a), Event::new(1, unknown, "-", "-", "")];
        let mut records = vec![a];
        let (revoked, back) = reapply(&mut records, &later, 9);
        assert!(revoked.is_empty() && records[0].secret.is_some());
        assert_eq!(
            back,
            [
                "the log records 'secret-destroyed' for 'a' later, which this tokctl does not know: check that token",
                "the log records 'secret-destroyed' later, which this tokctl does not know: check what it did",
            ]
        );
    }
}
