//! `tandem-agent`: the customer's side of a Tandem support session.
#![forbid(unsafe_code)]

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, ValueEnum};
use tandem_agent::{AgentConfig, AgentError, FileSettings};
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
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum PreAuth {
    /// Screen only.
    View,
    /// Screen, mouse and keyboard.
    Control,
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
    let Some(join) = args.join.or(args.positional) else {
        eprintln!(
            "error: give the link or code you were sent, e.g. tandem-agent --join http://portal/join/123456789"
        );
        return ExitCode::from(2);
    };
    let (portal, code) = match tandem_agent::parse_join(&join, args.portal.as_deref()) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    let config = AgentConfig {
        portal,
        code,
        display: args.display,
        transport: TransportConfig {
            bind_ip: args.webrtc_bind,
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
                _ => 1,
            })
        }
    }
}
