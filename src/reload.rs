//! Live policy: reloads the policy file on change (file watch) and on
//! SIGHUP, without a restart and without losing detector state.
//!
//! Owns: noticing a change, debouncing it, loading and validating the new
//! file, and handing a new `Arc<Policy>` over a channel. The run loops own
//! applying it: they call [`PolicyWatcher::try_latest`] between records
//! (non-blocking) and [`apply`] what it returns, so a policy only changes at
//! a record boundary. A broken file is rejected with a logged error and
//! `runaway_policy_reload_errors_total`; the policy in force stays.

use std::path::{Path, PathBuf};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::Duration;

use notify::{RecursiveMode, Watcher};

use crate::config::PolicyReload;
use crate::detect::Detector;
use crate::policy::Policy;

#[derive(Debug, thiserror::Error)]
pub enum ReloadError {
    #[error("cannot watch policy file {path}: {message}")]
    Watch { path: String, message: String },
    #[error("cannot start the policy reloader: {0}")]
    Thread(#[from] std::io::Error),
}

/// Quiet time after the last change notice before the file is read: editors
/// and `cp` write in several steps, and a half-written file may parse.
const DEBOUNCE: Duration = Duration::from_millis(150);

/// Why a reload was attempted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Trigger {
    FileChanged,
    Sighup,
}

/// Watches one policy file; yields each new valid policy once.
pub struct PolicyWatcher {
    updates: Receiver<Arc<Policy>>,
    triggers: Sender<Trigger>,
    // Kept alive for as long as the watcher: dropping it stops notifications.
    _file_watcher: Option<notify::RecommendedWatcher>,
}

impl PolicyWatcher {
    /// Starts watching `path` (whose contents are `current`, already in force)
    /// as `mode` says. With [`PolicyReload::Off`] nothing is watched and
    /// SIGHUP is logged and ignored.
    pub fn start(path: &Path, current: Arc<Policy>, mode: PolicyReload) -> Result<PolicyWatcher, ReloadError> {
        let (trigger_tx, trigger_rx) = mpsc::channel::<Trigger>();
        let (update_tx, update_rx) = mpsc::channel::<Arc<Policy>>();
        let path = path.to_path_buf();
        let file_watcher = if mode == PolicyReload::On { Some(watch_file(&path, trigger_tx.clone())?) } else { None };
        spawn_sighup_listener(trigger_tx.clone(), mode != PolicyReload::Off)?;
        if mode != PolicyReload::Off {
            let reload_path = path.clone();
            std::thread::Builder::new()
                .name("policy-reload".into())
                .spawn(move || reload_loop(&reload_path, current, &trigger_rx, &update_tx))?;
        }
        tracing::info!(path = %path.display(), mode = mode.as_str(), "policy reload ready");
        Ok(PolicyWatcher { updates: update_rx, triggers: trigger_tx, _file_watcher: file_watcher })
    }

    /// The newest policy accepted since the last call, if any. Never blocks.
    pub fn try_latest(&self) -> Option<Arc<Policy>> {
        self.updates.try_iter().last()
    }

    /// Asks for a reload now, as SIGHUP does.
    pub fn reload_now(&self) {
        let _ = self.triggers.send(Trigger::Sighup);
    }
}

/// Keeps SIGHUP from terminating the process when there is nothing to
/// reload (no policy file): it is logged and ignored.
pub fn ignore_sighup() -> Result<(), ReloadError> {
    let (tx, _rx) = mpsc::channel();
    spawn_sighup_listener(tx, false)
}

/// Puts `policy` in force in `detector` (state kept; sessions pick up new
/// thresholds at their next event) and records the version in force.
pub fn apply(detector: &mut Detector, policy: Arc<Policy>) {
    let old = detector.policy().version.clone();
    tracing::info!(old_version = %old, new_version = %policy.version, "policy applied");
    crate::metrics::set_policy_version(&policy.version);
    detector.set_policy(policy);
}

fn watch_file(path: &Path, triggers: Sender<Trigger>) -> Result<notify::RecommendedWatcher, ReloadError> {
    let err = |e: notify::Error| ReloadError::Watch { path: path.display().to_string(), message: e.to_string() };
    // Watch the directory, not the file: editors and config managers replace
    // the file by rename (and Kubernetes swaps a `..data` symlink), which
    // ends a watch on the old inode.
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let name = path.file_name().map(|n| n.to_os_string());
    let mut watcher = notify::recommended_watcher(move |res: notify::Result<notify::Event>| match res {
        Ok(ev) => {
            if ev.kind.is_access() {
                return;
            }
            let relevant = ev.paths.iter().any(|p| {
                let file = p.file_name();
                file == name.as_deref() || file.and_then(|f| f.to_str()).is_some_and(|f| f.starts_with(".."))
            });
            if relevant {
                let _ = triggers.send(Trigger::FileChanged);
            }
        }
        Err(e) => tracing::warn!(error = %e, "policy file watch error"),
    })
    .map_err(err)?;
    watcher.watch(&dir, RecursiveMode::NonRecursive).map_err(err)?;
    Ok(watcher)
}

/// Installs a SIGHUP handler (replacing the default, which terminates) on
/// a small thread. When reload is off, SIGHUP is logged and ignored.
fn spawn_sighup_listener(triggers: Sender<Trigger>, reload: bool) -> Result<(), ReloadError> {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
    // Register before returning so a SIGHUP right after start-up cannot kill the process.
    let mut hangup = rt.block_on(async { tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()) })?;
    std::thread::Builder::new().name("sighup".into()).spawn(move || {
        rt.block_on(async {
            while hangup.recv().await.is_some() {
                if reload {
                    tracing::info!("SIGHUP: reloading the policy");
                    if triggers.send(Trigger::Sighup).is_err() {
                        return;
                    }
                } else {
                    tracing::warn!("SIGHUP ignored: no policy file, or policy reload is off");
                }
            }
        })
    })?;
    Ok(())
}

fn reload_loop(path: &Path, mut current: Arc<Policy>, triggers: &Receiver<Trigger>, updates: &Sender<Arc<Policy>>) {
    while let Ok(first) = triggers.recv() {
        let mut why = first;
        // Trailing debounce: wait until the file has been quiet for DEBOUNCE.
        loop {
            match triggers.recv_timeout(DEBOUNCE) {
                Ok(t) => {
                    if t == Trigger::Sighup {
                        why = t;
                    }
                }
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => return,
            }
        }
        let trigger = match why {
            Trigger::FileChanged => "file_changed",
            Trigger::Sighup => "sighup",
        };
        match load_for_reload(path) {
            Err(e) => {
                crate::metrics::record_policy_reload_error();
                tracing::error!(path = %path.display(), trigger, error = %e, kept_version = %current.version,
                    "policy reload rejected; the policy in force stays");
            }
            Ok(new) if new == *current => {
                tracing::debug!(path = %path.display(), trigger, version = %new.version, "policy unchanged");
            }
            Ok(new) => {
                warn_restart_only(&current, &new);
                if new.version == current.version {
                    tracing::warn!(version = %new.version, "policy content changed but its version did not; signals cannot tell the two apart");
                }
                tracing::info!(path = %path.display(), trigger, old_version = %current.version, new_version = %new.version,
                    "policy reloaded; applied at the next record");
                current = Arc::new(new);
                crate::metrics::record_policy_reload();
                if updates.send(current.clone()).is_err() {
                    return; // the run loop is gone
                }
            }
        }
    }
}

/// Reads and validates the policy file. An empty file is refused, as at
/// start-up: mid-run it is far more likely a write caught half-way (or a
/// mistake) than a wish to drop every override for the built-in defaults.
fn load_for_reload(path: &Path) -> Result<Policy, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read policy file {}: {e}", path.display()))?;
    if text.trim().is_empty() {
        return Err(format!("policy file {} is empty (a write in progress?)", path.display()));
    }
    Policy::parse(&text, &path.display().to_string()).map_err(|e| e.to_string())
}

/// Logs global settings whose new values only take effect at a restart:
/// the detector sizes these structures when it creates them.
fn warn_restart_only(old: &Policy, new: &Policy) {
    let (o, n) = (&old.global, &new.global);
    let changed: Vec<&str> = [
        ("global.dedupe_capacity", o.dedupe_capacity != n.dedupe_capacity),
        ("global.fleet_window_minutes", o.fleet_window_minutes != n.fleet_window_minutes),
        ("global.agent_window_minutes", o.agent_window_minutes != n.agent_window_minutes),
        ("global.baseline_window_hours", o.baseline_window_hours != n.baseline_window_hours),
        ("global.baseline_buckets", o.baseline_buckets != n.baseline_buckets),
    ]
    .iter()
    .filter(|(_, c)| *c)
    .map(|(k, _)| *k)
    .collect();
    if !changed.is_empty() {
        tracing::warn!(keys = %changed.join(", "),
            "these settings size windows when they are created: existing windows keep their old size until a restart");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Instant;

    fn wait_for(w: &PolicyWatcher, secs: u64) -> Option<Arc<Policy>> {
        let deadline = Instant::now() + Duration::from_secs(secs);
        while Instant::now() < deadline {
            if let Some(p) = w.try_latest() {
                return Some(p);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    #[test]
    fn file_change_yields_new_policy_and_broken_file_is_skipped() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("policy.toml");
        std::fs::write(&path, "version = \"a\"\n").unwrap();
        let current = Arc::new(Policy::load(&path).unwrap());
        let w = PolicyWatcher::start(&path, current, PolicyReload::On).unwrap();
        assert!(w.try_latest().is_none());
        std::fs::write(&path, "version = \"b\"\n[defaults]\nsession_budget_usd = 1.0\n").unwrap();
        let p = wait_for(&w, 5).expect("new policy after a file change");
        assert_eq!(p.version, "b");
        std::fs::write(&path, "version = \"c\"\n[defaults]\nspike_ratio = 0.1\n").unwrap();
        assert!(wait_for(&w, 1).is_none(), "an invalid policy must not be handed over");
        // Replace by rename, as editors do.
        let tmp = dir.path().join("policy.toml.tmp");
        std::fs::write(&tmp, "version = \"d\"\n").unwrap();
        std::fs::rename(&tmp, &path).unwrap();
        assert_eq!(wait_for(&w, 5).expect("policy after rename").version, "d");
    }

    #[test]
    fn reload_now_rereads_when_watching_is_off() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("p.toml");
        std::fs::write(&path, "version = \"a\"\n").unwrap();
        let w = PolicyWatcher::start(&path, Arc::new(Policy::load(&path).unwrap()), PolicyReload::Sighup).unwrap();
        std::fs::write(&path, "version = \"b\"\n").unwrap();
        assert!(wait_for(&w, 1).is_none(), "sighup mode does not watch the file");
        w.reload_now();
        assert_eq!(wait_for(&w, 5).expect("reload on request").version, "b");
    }
}
