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
#[derive(Clone, PartialEq, Serialize, Deserialize)]
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
    /// Everything else the customer chose when starting, so the resumed agent shares the
    /// same folder, saves to the same place and asks the same questions. Absent in records
    /// written before it existed: those resume with the command line's settings.
    #[serde(default)]
    pub settings: Option<SavedSettings>,
    /// The customer let the portal record the session.
    #[serde(default)]
    pub record: bool,
}

/// The settings a resumed agent takes over from the one that rebooted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SavedSettings {
    /// Where received files land.
    pub inbox: PathBuf,
    /// The folder representatives may browse (none: nothing shared).
    pub shared: Option<PathBuf>,
    /// Transfers accepted without asking.
    pub auto_accept: bool,
    /// Browsing allowed without asking.
    pub allow_browse: bool,
    /// Seconds a direct path may take before the relay is used.
    pub direct_timeout_secs: f64,
    /// Local address for peer-to-peer connections.
    pub webrtc_bind: std::net::IpAddr,
    /// The reboot command.
    pub reboot_command: String,
    /// Reboots agreed without asking.
    pub accept_reboot: bool,
    /// A private CA for the portal's certificate.
    pub ca_file: Option<PathBuf>,
    /// Window or terminal, and the frame's colour.
    pub front: crate::FrontSettings,
}

impl SavedSettings {
    /// What `config` chose.
    pub fn of(config: &crate::AgentConfig) -> SavedSettings {
        SavedSettings {
            inbox: config.files.inbox.clone(),
            shared: config.files.shared.clone(),
            auto_accept: config.files.auto_accept,
            allow_browse: config.files.allow_browse,
            direct_timeout_secs: config.transport.direct_timeout.as_secs_f64(),
            webrtc_bind: config.transport.bind_ip,
            reboot_command: config.reboot.command.clone(),
            accept_reboot: config.reboot.auto_accept,
            ca_file: config.ca_file.clone(),
            front: config.front.clone(),
        }
    }

    /// Puts these settings back into `config` (the resumed agent's).
    pub fn apply(self, config: &mut crate::AgentConfig) {
        config.files.inbox = self.inbox;
        config.files.shared = self.shared;
        config.files.auto_accept = self.auto_accept;
        config.files.allow_browse = self.allow_browse;
        config.transport.direct_timeout =
            std::time::Duration::try_from_secs_f64(self.direct_timeout_secs).unwrap_or_default();
        config.transport.bind_ip = self.webrtc_bind;
        config.reboot.command = self.reboot_command;
        config.reboot.auto_accept = self.accept_reboot;
        config.ca_file = self.ca_file;
        config.front = self.front;
    }
}

/// The settings kept in the resume record in `dir`, if there is one that has them.
pub fn saved_settings(dir: &Path) -> Option<SavedSettings> {
    load(dir).ok()?.settings
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
         [Service]\nType=simple\nEnvironment=DISPLAY={display}\nExecStart={} --resume --state-dir {}\nRestart=on-failure\nRestartSec=3\n\
         # 5: no session to resume (it ended); nothing to retry\nRestartPreventExitStatus=5\n\n\
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
            settings: None,
            record: true,
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

    /// Regression: a resumed agent used the command line's defaults, so a customer who shared
    /// one folder shared their whole home folder after the reboot.
    #[test]
    fn a_resumed_agent_keeps_what_the_customer_chose() {
        let dir = std::env::temp_dir().join(format!("tandem-resume-s-{}", std::process::id()));
        let mut chosen = crate::AgentConfig {
            start: crate::Start::Resume,
            display: None,
            transport: tandem_transport::TransportConfig {
                bind_ip: std::net::Ipv4Addr::LOCALHOST.into(),
                direct_timeout: std::time::Duration::from_secs(2),
            },
            front: crate::FrontSettings {
                window: false,
                frame: None,
                allow_recording: false,
            },
            ca_file: Some(PathBuf::from("/etc/company-ca.pem")),
            customer_name: "alice".into(),
            files: crate::FileSettings {
                inbox: PathBuf::from("/tmp/in"),
                shared: Some(PathBuf::from("/tmp/only-this")),
                auto_accept: false,
                allow_browse: false,
            },
            state_dir: dir.clone(),
            reboot: crate::RebootSettings {
                command: "true".into(),
                auto_accept: false,
            },
        };
        let state = ResumeState {
            portal: "https://p".into(),
            session: 1,
            secret: "x".into(),
            view: true,
            control: true,
            customer_name: "alice".into(),
            settings: Some(SavedSettings::of(&chosen)),
            record: false,
        };
        save(&dir, &state).expect("save");
        // The resumed agent starts with other defaults (the autostart passes no options).
        let mut resumed = chosen.clone();
        resumed.files.shared = Some(PathBuf::from("/home/alice"));
        resumed.files.auto_accept = true;
        resumed.transport.direct_timeout = std::time::Duration::from_secs(5);
        resumed.ca_file = None;
        saved_settings(&dir).expect("kept").apply(&mut resumed);
        chosen.start = crate::Start::Resume;
        assert_eq!(SavedSettings::of(&resumed), SavedSettings::of(&chosen));
        let _ = std::fs::remove_dir_all(&dir);
    }
}
