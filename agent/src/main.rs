//! `tandem-agent`: the customer's side of a Tandem support session.
#![forbid(unsafe_code)]

use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, ValueEnum};
use tandem_agent::customer::Customer;
use tandem_agent::download;
use tandem_agent::window::WindowOptions;
use tandem_agent::{AgentConfig, AgentError, FileSettings, FrontSettings, RebootSettings, Start};
use tandem_protocol::rights::Consent;
use tandem_transport::TransportConfig;

/// Join a support session: lets the representative who gave you the code see your screen
/// (and, if you allow it, use your mouse and keyboard). You are asked before anything is shown.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The link you were sent (https://portal/join/123456789), or the 9-digit code with
    /// --portal. Without it, a customer app downloaded from the join page joins the session
    /// it was downloaded for.
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
    /// With --pre-authorize: let the support portal record the session if it asks (without
    /// it, a portal that asks gets a refusal, and one that requires recording gets none).
    #[arg(long, requires = "pre_authorize")]
    allow_recording: bool,
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
    /// The folder representatives may browse and copy files from, each time with your
    /// consent (default: a dedicated folder, "Tandem Shared" in your home folder, created
    /// empty; never your whole home folder unless you name it here).
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
    /// No window: questions and news on this terminal, answers typed (for automation and
    /// machines without a desktop). Without a display this is the default.
    #[arg(long)]
    no_window: bool,
    /// Colour of the frame drawn around your screen while it is shared, as #rrggbb, or
    /// "none" for no frame.
    #[arg(long, default_value = "#e53935", value_parser = parse_colour)]
    frame_colour: Colour,
    /// Where the agent writes its log (warnings and diagnostics; never shown on your
    /// terminal). "-" writes it to standard error. Default: agent.log in the state folder.
    #[arg(long)]
    log_file: Option<PathBuf>,
    /// Automation hook: keep a JSON description of the window (texts, buttons and their
    /// positions) in this file.
    #[arg(long, hide = true, env = "TANDEM_UI_TRACE")]
    ui_trace: Option<PathBuf>,
}

/// A frame colour, or none.
#[derive(Clone, Copy, Debug)]
struct Colour(Option<[u8; 3]>);

fn parse_colour(s: &str) -> Result<Colour, String> {
    if s == "none" {
        return Ok(Colour(None));
    }
    let hex = s.strip_prefix('#').unwrap_or(s);
    let byte = |i: usize| {
        hex.get(i..i + 2)
            .and_then(|h| u8::from_str_radix(h, 16).ok())
    };
    match (hex.len(), byte(0), byte(2), byte(4)) {
        (6, Some(r), Some(g), Some(b)) => Ok(Colour(Some([r, g, b]))),
        _ => Err(format!("'{s}' is not a colour like #e53935 (or 'none')")),
    }
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

/// The dedicated folder shared by default, created empty and private on first use.
fn default_shared() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(PathBuf::from)?;
    let dir = home.join("Tandem Shared");
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).ok()?;
    Some(dir)
}

/// Sends the log to a file (or standard error with "-"), plain text: the customer's
/// terminal is for the customer.
fn init_log(path: &std::path::Path) -> Result<(), String> {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tandem_transport::DEFAULT_LOG_FILTER.into());
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false);
    if path == std::path::Path::new("-") {
        builder.with_writer(std::io::stderr).init();
        return Ok(());
    }
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let mut opts = std::fs::OpenOptions::new();
    opts.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    let file = opts
        .open(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    builder.with_writer(std::sync::Mutex::new(file)).init();
    Ok(())
}

fn default_state_dir() -> PathBuf {
    std::env::var_os("XDG_STATE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/state")))
        .unwrap_or_else(|| PathBuf::from("."))
        .join("tandem")
}

fn main() -> ExitCode {
    // Before any thread exists: the local time of chat lines needs it.
    tandem_agent::clock::init_local_offset();
    let args = Args::parse();
    let state_dir = args.state_dir.clone().unwrap_or_else(default_state_dir);
    let log = args
        .log_file
        .clone()
        .unwrap_or_else(|| state_dir.join("agent.log"));
    if let Err(e) = init_log(&log) {
        eprintln!("error: cannot write the log: {e}");
        return ExitCode::from(2);
    }
    // A downloaded app is double-clicked: with no terminal to read, its window says what
    // went wrong.
    let window_for_errors =
        (!args.no_window && std::env::var_os("DISPLAY").is_some()).then(|| WindowOptions {
            frame: None,
            trace: args.ui_trace.clone(),
        });
    let (mut config, trace, pre_authorized) = match configure(args, state_dir) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("error: {e}");
            if let Some(options) = window_for_errors {
                show_error(&e, options);
            }
            return ExitCode::from(2);
        }
    };
    if let Start::Resume = config.start
        && let Some(saved) = tandem_agent::saved_settings(&config.state_dir)
    {
        saved.apply(&mut config);
    }
    if let Some(ca) = &config.ca_file
        && let Err(e) = tandem_transport::tls::use_ca_file(ca)
    {
        eprintln!("error: {e}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start: {e}");
            return ExitCode::from(1);
        }
    };
    let has_display = config.display.is_some() || std::env::var_os("DISPLAY").is_some();
    if config.front.window
        && let Some(display) = &config.display
        && std::env::var_os("DISPLAY").is_none_or(|d| d != display.as_str())
    {
        // The window opens on $DISPLAY (the toolkit reads nothing else), so the customer
        // sees it on the screen that is shared: start again with it set.
        return restart_with_display(display);
    }
    let result = if config.front.window && has_display {
        with_window(runtime, config, pre_authorized, trace)
    } else {
        let customer = Customer::terminal(pre_authorized);
        runtime.block_on(tandem_agent::run(config, customer, ctrl_c()))
    };
    match result {
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

#[cfg(unix)]
fn restart_with_display(display: &str) -> ExitCode {
    use std::os::unix::process::CommandExt;
    let err = std::env::current_exe().map(|exe| {
        std::process::Command::new(exe)
            .args(std::env::args_os().skip(1))
            .env("DISPLAY", display)
            .exec()
    });
    eprintln!("error: cannot open the window on {display}: {err:?}");
    ExitCode::from(1)
}

#[cfg(not(unix))]
fn restart_with_display(display: &str) -> ExitCode {
    eprintln!("error: --display {display} is only for X11 systems");
    ExitCode::from(2)
}

async fn ctrl_c() {
    let _ = tokio::signal::ctrl_c().await;
}

/// The window runs on this (the main) thread, as the windowing system requires; the session
/// runs on the runtime's threads beside it.
fn with_window(
    runtime: tokio::runtime::Runtime,
    config: AgentConfig,
    pre_authorized: Option<Consent>,
    trace: Option<PathBuf>,
) -> Result<String, AgentError> {
    let (ui_tx, ui_rx) = tokio::sync::mpsc::unbounded_channel();
    let (cmd_tx, cmd_rx) = tokio::sync::mpsc::unbounded_channel();
    let options = WindowOptions {
        frame: config.front.frame,
        trace,
    };
    let customer = Customer::window(ui_tx, cmd_rx, pre_authorized);
    let session = runtime.spawn(tandem_agent::run(config, customer, ctrl_c()));
    let window = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tandem_agent::window::run(ui_rx, cmd_tx, options)
    }))
    .unwrap_or_else(|_| Err("the window toolkit stopped".into()));
    if let Err(e) = window {
        // Without its window the customer cannot answer: the session declines or ends.
        tracing::warn!("the customer app's window failed: {e}");
        eprintln!("error: cannot open the window ({e}); use --no-window for the terminal");
    }
    match runtime.block_on(session) {
        Ok(result) => result,
        Err(e) => Err(AgentError::Stopped(e.to_string())),
    }
}

/// Shows `message` in the customer app's window (the screen a session ends on) until the
/// customer closes it or it closes itself.
fn show_error(message: &str, options: WindowOptions) {
    let (ui_tx, ui_rx) = tokio::sync::mpsc::unbounded_channel();
    let (cmd_tx, _cmd_rx) = tokio::sync::mpsc::unbounded_channel();
    let _ = ui_tx.send(tandem_agent::customer::UiEvent::Ended(message.to_owned()));
    drop(ui_tx);
    let shown = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        tandem_agent::window::run(ui_rx, cmd_tx, options)
    }));
    if !matches!(shown, Ok(Ok(()))) {
        tracing::warn!("could not show the error in a window");
    }
}

/// A session start from a join link (or a code with `--portal`).
fn code_start(join: &str, portal: Option<&str>) -> Result<Start, String> {
    let (portal, code) = tandem_agent::parse_join(join, portal).map_err(|e| e.to_string())?;
    Ok(Start::Code {
        portal,
        code,
        link_token: tandem_transport::signalling::link_token(join),
    })
}

/// The agent's settings from the command line; the window trace path; pre-authorisation.
type Configured = (AgentConfig, Option<PathBuf>, Option<Consent>);

fn configure(args: Args, state_dir: PathBuf) -> Result<Configured, String> {
    let given = args
        .join
        .or(args.positional)
        .map(|link| download::from_url_scheme(&link))
        .transpose()?;
    let start = match (given, args.resume) {
        (_, true) => Start::Resume,
        (Some(join), false) => code_start(&join, args.portal.as_deref())?,
        // Downloaded from the join page: the portal stamped the link into this file.
        (None, false) => match download::own_stamp()? {
            Some(stamp) => code_start(&stamp.join, None)?,
            None => {
                return Err(
                    "give the link or code you were sent, e.g. tandem-agent --join https://portal/join/123456789"
                        .into(),
                );
            }
        },
    };
    let pre_authorized = args.pre_authorize.map(|p| match p {
        PreAuth::View => Consent {
            view: true,
            control: false,
        },
        PreAuth::Control => Consent::ALL,
    });
    let config = AgentConfig {
        start,
        state_dir,
        reboot: RebootSettings {
            command: args.reboot_command,
            auto_accept: args.accept_reboot,
        },
        display: args.display,
        transport: TransportConfig {
            bind_ip: args.webrtc_bind,
            direct_timeout: Duration::from_secs_f64(args.direct_timeout),
        },
        front: FrontSettings {
            window: !args.no_window,
            frame: args.frame_colour.0,
            allow_recording: args.allow_recording,
        },
        ca_file: args.ca_file,
        customer_name: args.name.unwrap_or_else(default_name),
        files: FileSettings {
            inbox: args.files_dir.unwrap_or_else(default_inbox),
            shared: args.share_dir.or_else(default_shared),
            auto_accept: args.accept_files,
            allow_browse: args.allow_browse,
        },
    };
    Ok((config, args.ui_trace, pre_authorized))
}
