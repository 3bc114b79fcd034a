//! `tandem-viewer`: the representative's side of Tandem.
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use tandem_protocol::{Rights, SessionCode};
use tandem_transport::TransportConfig;
use tandem_transport::signalling::PortalConnection;
use tandem_viewer::session::{self, UiCommand, UiEvent};
use tandem_viewer::window::{self, WindowUpdate};
use tandem_viewer::{headless, rep};
use tokio::sync::mpsc;

/// Create session codes for customers and see and control their screens.
#[derive(Parser, Debug)]
#[command(version)]
struct Args {
    /// The support portal's address.
    #[arg(
        long,
        env = "TANDEM_PORTAL",
        default_value = "http://127.0.0.1:8470",
        global = true
    )]
    portal: String,
    /// Your representative account.
    #[arg(long, env = "TANDEM_USER", default_value = "admin", global = true)]
    user: String,
    /// Local address for the peer-to-peer connection (127.0.0.1 for loopback-only tests).
    #[arg(
        long,
        env = "TANDEM_WEBRTC_BIND",
        default_value = "0.0.0.0",
        global = true
    )]
    webrtc_bind: IpAddr,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Create, list or cancel session codes.
    Code {
        #[command(subcommand)]
        action: CodeAction,
    },
    /// Open the session of one of your codes (waits until the customer enters it).
    Join {
        /// The 9-digit code.
        code: SessionCode,
        /// No window: JSON-line commands on stdin, events on stdout.
        #[arg(long)]
        headless: bool,
    },
}

#[derive(Subcommand, Debug)]
enum CodeAction {
    /// Create a code for a customer and print it with its link and invitation text.
    New {
        /// The customer's name.
        #[arg(long)]
        customer: String,
        /// Customer portal the code belongs to.
        #[arg(long)]
        portal_name: Option<String>,
        /// Then wait for the customer and open the session window.
        #[arg(long)]
        wait: bool,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// List your active codes with the time each has left.
    List {
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// Cancel an active code.
    Cancel {
        /// The 9-digit code.
        code: SessionCode,
    },
}

fn password(user: &str) -> Result<String> {
    if let Ok(p) = std::env::var("TANDEM_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password: set TANDEM_PASSWORD or run in a terminal");
    }
    eprint!("Password for {user}: ");
    std::io::stderr().flush().ok();
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tandem_transport::DEFAULT_LOG_FILTER.into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let args = Args::parse();
    match run(args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(if e.downcast_ref::<rep::RepError>().is_some() {
                3
            } else {
                1
            })
        }
    }
}

fn run(args: Args) -> Result<()> {
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let transport = TransportConfig {
        bind_ip: args.webrtc_bind,
    };
    let pw = password(&args.user)?;
    let (mut conn, name) = rt.block_on(rep::login(&args.portal, &args.user, &pw))?;
    tracing::info!("logged in as {name}");
    match args.command {
        Command::Code {
            action:
                CodeAction::New {
                    customer,
                    portal_name,
                    wait,
                    json,
                },
        } => {
            let info = rt.block_on(rep::create_code(&mut conn, &customer, portal_name))?;
            if json {
                println!("{}", serde_json::to_string(&info)?);
            } else {
                println!("{}", rep::describe(&info));
            }
            if wait {
                eprintln!("Waiting for {customer} to enter the code…");
                return open_window(rt, conn, info.code, transport);
            }
            Ok(())
        }
        Command::Code {
            action: CodeAction::List { json },
        } => {
            let codes = rt.block_on(rep::list_codes(&mut conn))?;
            if json {
                println!("{}", serde_json::to_string(&codes)?);
            } else if codes.is_empty() {
                println!("You have no active codes.");
            } else {
                for c in codes {
                    println!(
                        "{}  expires in {:>5}  {} ({})",
                        rep::spaced(c.code),
                        rep::countdown(c.expires_in_secs),
                        c.customer,
                        c.portal
                    );
                }
            }
            Ok(())
        }
        Command::Code {
            action: CodeAction::Cancel { code },
        } => {
            rt.block_on(rep::cancel_code(&mut conn, code))?;
            println!("Code {} cancelled.", rep::spaced(code));
            Ok(())
        }
        Command::Join {
            code,
            headless: true,
        } => rt.block_on(run_headless(conn, code, transport)),
        Command::Join {
            code,
            headless: false,
        } => open_window(rt, conn, code, transport),
    }
}

async fn run_headless(
    conn: PortalConnection,
    code: SessionCode,
    transport: TransportConfig,
) -> Result<()> {
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ui_tx, mut ui_rx) = mpsc::unbounded_channel();
    headless::spawn_stdin(cmd_tx, ui_tx.clone());
    let printer = tokio::spawn(async move {
        let mut out = std::io::stdout();
        while let Some(ev) = ui_rx.recv().await {
            let _ = writeln!(out, "{}", headless::event_json(&ev));
            let _ = out.flush();
        }
    });
    let result = session::run(conn, code, transport, cmd_rx, ui_tx, false).await;
    let _ = printer.await;
    result.map(|_| ()).map_err(Into::into)
}

fn status_text(ev: &UiEvent) -> Option<String> {
    let rights = |r: &Rights| {
        if r.contains(Rights::CONTROL) {
            "you have control"
        } else {
            "view only"
        }
    };
    Some(match ev {
        UiEvent::Waiting => "waiting for the customer to enter the code".into(),
        UiEvent::Joined { customer, .. } => format!("{customer} joined; waiting for consent"),
        UiEvent::Consent(r) => format!("customer allowed: {}", r.describe()),
        UiEvent::Connected(r) | UiEvent::Rights(r) => format!("connected — {}", rights(r)),
        UiEvent::Refused(m) | UiEvent::Error(m) => m.clone(),
        _ => return None,
    })
}

fn open_window(
    rt: tokio::runtime::Runtime,
    conn: PortalConnection,
    code: SessionCode,
    transport: TransportConfig,
) -> Result<()> {
    let (input_tx, mut input_rx) = mpsc::unbounded_channel();
    let (cmd_tx, cmd_rx) = mpsc::unbounded_channel();
    let (ui_tx, mut ui_rx) = mpsc::unbounded_channel();
    let title = format!("session {}", rep::spaced(code));
    let handle = rt.handle().clone();
    window::run(&title, input_tx, move |sender| {
        let forward = cmd_tx.clone();
        handle.spawn(async move {
            while let Some(ev) = input_rx.recv().await {
                if forward.send(UiCommand::Input(ev)).is_err() {
                    break;
                }
            }
        });
        handle.spawn(async move {
            while let Some(ev) = ui_rx.recv().await {
                if let Some(s) = status_text(&ev) {
                    eprintln!("{s}");
                    sender.send(WindowUpdate::Status(s));
                }
                match ev {
                    UiEvent::Frame {
                        picture: Some(p), ..
                    } => {
                        sender.send(WindowUpdate::Picture(p));
                    }
                    UiEvent::Ended(reason) => {
                        eprintln!("Session ended: {reason}");
                        sender.send(WindowUpdate::Close(reason));
                    }
                    _ => {}
                }
            }
        });
        handle.spawn(async move {
            if let Err(e) = session::run(conn, code, transport, cmd_rx, ui_tx.clone(), true).await {
                let _ = ui_tx.send(UiEvent::Ended(e.to_string()));
            }
        });
    })?;
    // The window closed: leave the session properly before exiting.
    rt.shutdown_timeout(std::time::Duration::from_millis(500));
    Ok(())
}
