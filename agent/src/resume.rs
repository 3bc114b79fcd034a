//! What the agent keeps on disk to come back to its session after a reboot: the portal, the
//! session, the resume secret and the customer's consent. The file is readable only by the
//! customer's user, written atomically, and removed when the session ends normally.
//!
//! Platform leaf: the Unix permission bits live here; other systems rely on the per-user
//! profile folder's own protection (see installers/README.md).

use std::io;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

/// The resume record. `Debug` and `Display` never show the secret.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ResumeState {
    /// Portal base URL.
    pub portal: String,
    /// Session number.
    pub session: u64,
    /// The portal's resume secret.
    pub secret: String,
    /// The customer allowed viewing.
    pub view: bool,
    /// The customer allowed control.
    pub control: bool,
    /// The customer's name as shown to the representative.
    pub customer_name: String,
}

impl std::fmt::Display for ResumeState {
    /// Never shows the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "session {} at {}", self.session, self.portal)
    }
}

impl std::fmt::Debug for ResumeState {
    /// Written by hand so a `{:?}` in a log line cannot leak the secret.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ResumeState")
            .field("portal", &self.portal)
            .field("session", &self.session)
            .field("secret", &"<hidden>")
            .field("view", &self.view)
            .field("control", &self.control)
            .finish_non_exhaustive()
    }
}

fn file(dir: &Path) -> PathBuf {
    dir.join("resume.json")
}

/// Writes the record (directory 0700, file 0600, via a temporary file and rename).
pub fn save(dir: &Path, state: &ResumeState) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    restrict(dir, 0o700)?;
    let tmp = dir.join(".resume.json.tmp");
    let text = serde_json::to_string(state).map_err(io::Error::other)?;
    {
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
        let mut f = opts.open(&tmp)?;
        std::io::Write::write_all(&mut f, text.as_bytes())?;
        f.sync_all()?;
    }
    restrict(&tmp, 0o600)?;
    std::fs::rename(&tmp, file(dir))
}

/// Reads the record.
pub fn load(dir: &Path) -> io::Result<ResumeState> {
    let text = std::fs::read_to_string(file(dir))?;
    serde_json::from_str(&text).map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))
}

/// Forgets the record (the session ended).
pub fn remove(dir: &Path) {
    let _ = std::fs::remove_file(file(dir));
}

#[cfg(unix)]
fn restrict(path: &Path, mode: u32) -> io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

#[cfg(not(unix))]
fn restrict(_: &Path, _: u32) -> io::Result<()> {
    Ok(())
}

/// Arranges for `tandem-agent --resume` to start after the next boot: a systemd user unit on
/// Linux (see installers/linux/tandem-agent-resume.service). Best effort: the reboot still
/// happens if this fails, and the representative can send a new code.
pub fn install_autostart(state_dir: &Path, display: Option<&str>) -> io::Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .ok_or_else(|| io::Error::other("no home folder"))?;
    let units = home.join(".config/systemd/user");
    std::fs::create_dir_all(&units)?;
    let display = display
        .map(str::to_owned)
        .or_else(|| std::env::var("DISPLAY").ok())
        .unwrap_or_else(|| ":0".into());
    let unit = format!(
        "[Unit]\nDescription=Tandem: rejoin the support session after a reboot\nAfter=graphical-session.target\n\n\
         [Service]\nType=simple\nEnvironment=DISPLAY={display}\nExecStart={} --resume --state-dir {}\nRestart=on-failure\nRestartSec=3\n\n\
         [Install]\nWantedBy=default.target\n",
        exe.display(),
        state_dir.display()
    );
    let path = units.join("tandem-agent-resume.service");
    std::fs::write(&path, unit)?;
    let enabled = std::process::Command::new("systemctl")
        .args(["--user", "enable", "tandem-agent-resume.service"])
        .status()
        .is_ok_and(|s| s.success());
    if !enabled {
        tracing::warn!(
            "could not enable {} with systemctl --user; it is written but not enabled",
            path.display()
        );
    }
    Ok(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_record_round_trips_and_is_private() {
        let dir = std::env::temp_dir().join(format!("tandem-resume-{}", std::process::id()));
        let state = ResumeState {
            portal: "http://127.0.0.1:1".into(),
            session: 7,
            secret: "s3cret".into(),
            view: true,
            control: false,
            customer_name: "alice".into(),
        };
        save(&dir, &state).expect("save");
        assert_eq!(load(&dir).expect("load"), state);
        assert!(!state.to_string().contains("s3cret"));
        assert!(!format!("{state:?}").contains("s3cret"), "nor in Debug");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.join("resume.json"))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o077, 0, "readable by others: {mode:o}");
        }
        remove(&dir);
        assert!(load(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
