//! `tandem-agent`: the customer's side of a Tandem support session.
#![forbid(unsafe_code)]

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use tandem_agent::{AgentConfig, AgentError, FileSettings, RebootSettings, Start};
use tandem_protocol::rights::Consent;
use tandem_transport::TransportConfig;

/// Join a support session: lets the representative who gave you the code see your screen
/// (and, if you allow it, use your mouse and keyboard). You are asked before anything is shown.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The link you were sent (http://portal/join/123456789), or the 9-digit code with --portal.
    #[arg(long = "join", value_name = "LINK_OR_CODE")]
    join: Option<String>,
    /// Same as --join, as a plain argument.
    #[arg(value_name = "LINK_OR_CODE", conflicts_with = "join")]
    positional: Option<String>,
    /// The support portal's address, when you only have a code.
    #[arg(long, env = "TANDEM_PORTAL")]
    portal: Option<String>,
    /// X display to share (default: $DISPLAY).
    #[arg(long)]
    display: Option<String>,
    /// Agree in advance instead of being asked (for unattended machines you own).
    #[arg(long, value_enum)]
    pre_authorize: Option<PreAuth>,
    /// Your name as the representative sees it (default: user@host).
    #[arg(long)]
    name: Option<String>,
    /// Local address for the peer-to-peer connection (127.0.0.1 for loopback-only tests).
    #[arg(long, env = "TANDEM_WEBRTC_BIND", default_value = "0.0.0.0")]
    webrtc_bind: IpAddr,
    /// Seconds a direct peer-to-peer path may take to open before the session is relayed
    /// through the portal instead (0: always relay, for networks known to block UDP).
    #[arg(long, default_value_t = 5.0, value_parser = parse_seconds)]
    direct_timeout: f64,
    /// Where files sent to you are saved (default: your Downloads folder, else home).
    #[arg(long)]
    files_dir: Option<PathBuf>,
    /// The folder representatives may browse and copy files from, each copy with your
    /// consent (default: your home folder).
    #[arg(long)]
    share_dir: Option<PathBuf>,
    /// Accept every file transfer without asking (for unattended machines you own).
    #[arg(long)]
    accept_files: bool,
    /// Let representatives with the files right list and copy from the shared folder
    /// without asking you first (for unattended machines you own). Without it you are asked
    /// once per person ('allow-browse N').
    #[arg(long)]
    allow_browse: bool,
    /// Come back to the session you were in before the computer restarted (what the
    /// autostart entry runs).
    #[arg(long, conflicts_with_all = ["join", "positional"])]
    resume: bool,
    /// Where the resume record is kept (default: ~/.local/state/tandem).
    #[arg(long)]
    state_dir: Option<PathBuf>,
    /// Command that restarts the computer when you agree to a representative's request.
    #[arg(long, default_value = "systemctl reboot")]
    reboot_command: String,
    /// Agree to restart requests without asking (for unattended machines you own).
    #[arg(long)]
    accept_reboot: bool,
    /// Trust an https portal whose certificate is signed by the CA in this PEM file (a
    /// private company CA) instead of the system's roots. Links with a pin need none.
    #[arg(long, env = "TANDEM_CA_FILE")]
    ca_file: Option<PathBuf>,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PreAuth {
    /// Screen only.
    View,
    /// Screen, mouse and keyboard.
    Control,
}

fn parse_seconds(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(v) if (0.0..=600.0).contains(&v) => Ok(v),
        _ => Err(format!(
            "'{s}' is not a number of seconds between 0 and 600"
        )),
    }
}

fn default_name() -> String {
    let user = std::env::var("USER").unwrap_or_else(|_| "customer".into());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    if host.is_empty() {
        user
    } else {
        format!("{user}@{host}")
    }
}

fn default_inbox() -> PathBuf {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("."));
    let downloads = home.join("Downloads");
    if downloads.is_dir() { downloads } else { home }
}

fn default_state_dir() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("tandem")
}

#[tokio::main]
async fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tandem_transport::DEFAULT_LOG_FILTER.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    if let Some(ca) = &args.ca_file
        && let Err(e) = tandem_transport::tls::use_ca_file(ca)
    {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let start = match (args.join.or(args.positional), args.resume) {
        (_, true) => Start::Resume,
        (Some(join), false) => match tandem_agent::parse_join(&join, args.portal.as_deref()) {
            Ok((portal, code)) => Start::Code {
                portal,
                code,
                link_token: tandem_transport::signalling::link_token(&join),
            },
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::from(2);
            }
        },
        (None, false) => {
            eprintln!(
                "error: give the link or code you were sent, e.g. tandem-agent --join http://portal/join/123456789"
            );
            return ExitCode::from(2);
        }
    };
    let config = AgentConfig {
        start,
        state_dir: args.state_dir.unwrap_or_else(default_state_dir),
        reboot: RebootSettings {
            command: args.reboot_command,
            auto_accept: args.accept_reboot,
        },
        display: args.display,
        transport: TransportConfig {
            bind_ip: args.webrtc_bind,
            direct_timeout: Duration::from_secs_f64(args.direct_timeout),
        },
        pre_authorized: args.pre_authorize.map(|p| match p {
            PreAuth::View => Consent {
                view: true,
                control: false,
            },
            PreAuth::Control => Consent::ALL,
        }),
        customer_name: args.name.unwrap_or_else(default_name),
        files: FileSettings {
            inbox: args.files_dir.unwrap_or_else(default_inbox),
            shared: args
                .share_dir
                .or_else(|| std::env::var_os("HOME").map(PathBuf::from)),
            auto_accept: args.accept_files,
            allow_browse: args.allow_browse,
        },
    };
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    match tandem_agent::run(config, shutdown).await {
        Ok(reason) => {
            println!("Session ended: {reason}.");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(match e {
                AgentError::CodeRefused { .. } => 3,
                AgentError::ConsentRefused => 4,
                AgentError::Resume(_) => 5,
                _ => 1,
            })
        }
    }
}
