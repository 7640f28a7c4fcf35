//! End-to-end tests: real files, a real Secret Service (gnome-keyring on a private D-Bus, see
//! `.ci/with-keyring`), real child processes. One binary; `util` is the support module.

mod bad_input;
mod ci_recipe;
mod concurrency;
mod damage;
mod docs;
mod exec;
mod expiry;
mod faults;
mod fit;
mod format;
mod fuzz_corpus;
mod hygiene;
mod integrity;
mod lifecycle;
mod packaging;
mod rotation;
mod trust;
mod tty;
mod unlock;
mod util;
