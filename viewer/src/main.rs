//! `tandem-viewer`: the representative's side of Tandem (and the specialist's).
#![forbid(unsafe_code)]

use std::io::{IsTerminal, Write};
use std::net::IpAddr;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use tandem_protocol::SessionCode;
use tandem_protocol::signal::ClientMessage;
use tandem_transport::TransportConfig;
use tandem_transport::signalling::{PortalConnection, parse_join};
use tandem_viewer::session::{Rejoin, SessionOptions};
use tandem_viewer::{front, rep};

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
    /// The customer portal you work on (shown to colleagues; default for new codes).
    #[arg(long, env = "TANDEM_PORTAL_NAME", global = true)]
    portal_name: Option<String>,
    /// Local address for the peer-to-peer connection (127.0.0.1 for loopback-only tests).
    #[arg(
        long,
        env = "TANDEM_WEBRTC_BIND",
        default_value = "0.0.0.0",
        global = true
    )]
    webrtc_bind: IpAddr,
    /// Where files fetched from the customer are saved.
    #[arg(long, env = "TANDEM_DOWNLOAD_DIR", default_value = ".", global = true)]
    download_dir: std::path::PathBuf,
    /// Trust an https portal whose certificate is signed by the CA in this PEM file (a
    /// private company CA) instead of the system's roots. A portal address with
    /// `#pin=sha256:…` (a self-signed portal) needs none.
    #[arg(long, env = "TANDEM_CA_FILE", global = true)]
    ca_file: Option<std::path::PathBuf>,
    /// Set when --portal came from a link (the console's tandem:// link): the password is
    /// then asked on the terminal, naming the portal, never taken from TANDEM_PASSWORD.
    #[arg(long, hide = true, global = true)]
    portal_from_link: bool,
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
        /// The 9-digit code, or the console's link `tandem://join?code=123456789`.
        #[arg(value_parser = code_or_link)]
        code: SessionCode,
        /// No window: JSON-line commands on stdin, events on stdout.
        #[arg(long)]
        headless: bool,
        /// Headless: append one JSON line per screen update here (peerbench's client log).
        #[arg(long, requires = "headless")]
        bench_log: Option<std::path::PathBuf>,
    },
    /// List the representatives logged in now.
    Reps,
    /// Wait for invitations from colleagues; accept one to join its session.
    Invitations {
        /// No window: invitations as JSON events, accept with {"cmd":"accept","invitation":N}.
        #[arg(long)]
        headless: bool,
    },
    /// For external specialists (no account needed).
    Specialist {
        #[command(subcommand)]
        action: SpecialistAction,
    },
}

#[derive(Subcommand, Debug)]
enum SpecialistAction {
    /// Join with the link or support key you were sent.
    Join {
        /// The link (http://portal/join/123456789) or the 9-digit support key with --portal.
        link_or_key: String,
        /// Your name, shown to everyone in the session.
        #[arg(long)]
        name: String,
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

fn password(user: &str, portal: &str, from_link: bool) -> Result<String> {
    // A link is any web page's to write: its portal gets no password without the person
    // seeing where it goes.
    if !from_link && let Ok(p) = std::env::var("TANDEM_PASSWORD") {
        return Ok(p);
    }
    if !std::io::stdin().is_terminal() {
        bail!("no password: set TANDEM_PASSWORD or run in a terminal");
    }
    if from_link {
        let shown = portal.split('#').next().unwrap_or(portal);
        eprintln!("The link you opened is for the portal {shown}.");
        eprint!("Password for {user} at {shown} (only if this is your portal): ");
    } else {
        eprint!("Password for {user}: ");
    }
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
    let configured = std::env::var("TANDEM_PORTAL").ok();
    let args = match with_link_settings(std::env::args().collect(), configured.as_deref()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::from(2);
        }
    };
    match run(Args::parse_from(args)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let refused = e.downcast_ref::<rep::RepError>().is_some()
                || e.downcast_ref::<tandem_viewer::session::SessionError>()
                    .is_some_and(|s| {
                        matches!(
                            s,
                            tandem_viewer::session::SessionError::Portal(
                                rep::RepError::Refused { .. }
                            )
                        )
                    });
            ExitCode::from(if refused { 3 } else { 1 })
        }
    }
}

fn run(args: Args) -> Result<()> {
    if let Some(ca) = &args.ca_file {
        tandem_transport::tls::use_ca_file(ca)?;
    }
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    let transport = TransportConfig {
        bind_ip: args.webrtc_bind,
        ..TransportConfig::default()
    };
    if let Command::Specialist {
        action:
            SpecialistAction::Join {
                link_or_key,
                name,
                headless,
            },
    } = &args.command
    {
        let (portal, key) =
            parse_join(link_or_key, Some(&args.portal)).map_err(anyhow::Error::msg)?;
        let client = concat!("tandem-viewer ", env!("CARGO_PKG_VERSION"));
        let conn = rt.block_on(PortalConnection::connect(&portal, client))?;
        let join = ClientMessage::JoinAsSpecialist {
            key,
            name: name.clone(),
            link_token: tandem_transport::signalling::link_token(link_or_key),
            // Filled in from `Joined`, so a rejoin returns to the same seat and rights.
            seat_token: None,
        };
        let base = SessionOptions {
            downloads: args.download_dir.clone(),
            rejoin: Some(Rejoin {
                portal: portal.clone(),
                login: None,
                join: join.clone(),
            }),
            ..Default::default()
        };
        if *headless {
            return rt.block_on(front::run_headless(conn, join, transport, None, base));
        }
        return front::open_window(
            rt,
            conn,
            join,
            format!("specialist {name}"),
            transport,
            base,
        );
    }
    let pw = password(&args.user, &args.portal, args.portal_from_link)?;
    let (mut conn, name) = rt.block_on(rep::login(
        &args.portal,
        &args.user,
        &pw,
        args.portal_name.clone(),
    ))?;
    tracing::info!("logged in as {name}");
    let host_options = |code: SessionCode| SessionOptions {
        downloads: args.download_dir.clone(),
        rejoin: Some(Rejoin {
            portal: args.portal.clone(),
            login: Some((args.user.clone(), pw.clone(), args.portal_name.clone())),
            join: ClientMessage::JoinSession { code },
        }),
        ..Default::default()
    };
    // An invited representative returns to its seat after a drop; the session number is
    // filled in once it joined.
    let invited_options = SessionOptions {
        downloads: args.download_dir.clone(),
        rejoin: Some(Rejoin {
            portal: args.portal.clone(),
            login: Some((args.user.clone(), pw.clone(), args.portal_name.clone())),
            join: ClientMessage::ReturnToSession { session: 0 },
        }),
        ..Default::default()
    };
    match args.command {
        Command::Code {
            action:
                CodeAction::New {
                    customer,
                    wait,
                    json,
                },
        } => {
            let info = rt.block_on(rep::create_code(
                &mut conn,
                &customer,
                args.portal_name.clone(),
            ))?;
            if json {
                println!("{}", serde_json::to_string(&info)?);
            } else {
                println!("{}", rep::describe(&info));
            }
            if wait {
                eprintln!("Waiting for {customer} to enter the code…");
                let title = format!("session {}", rep::spaced(info.code));
                return front::open_window(
                    rt,
                    conn,
                    ClientMessage::JoinSession { code: info.code },
                    title,
                    transport,
                    host_options(info.code),
                );
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
                    let left = rep::countdown(c.expires_in_secs);
                    println!(
                        "{}  expires in {left:>5}  {} ({})",
                        rep::spaced(c.code),
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
        Command::Reps => {
            for r in rt.block_on(rep::list_reps(&mut conn))? {
                println!(
                    "{:<16} {:<24} portal {:<12} {} active session(s)",
                    r.user, r.name, r.portal, r.active_sessions
                );
            }
            Ok(())
        }
        Command::Invitations { headless: true } => rt.block_on(
            front::wait_for_invitation_headless(conn, transport, invited_options),
        ),
        Command::Invitations { headless: false } => {
            let Some(join) = rt.block_on(front::wait_for_invitation_interactive(&mut conn))? else {
                return Ok(());
            };
            front::open_window(
                rt,
                conn,
                join,
                "invited session".into(),
                transport,
                invited_options,
            )
        }
        Command::Join {
            code,
            headless: true,
            bench_log,
        } => rt.block_on(front::run_headless(
            conn,
            ClientMessage::JoinSession { code },
            transport,
            bench_log,
            host_options(code),
        )),
        Command::Join {
            code,
            headless: false,
            ..
        } => {
            let title = format!("session {}", rep::spaced(code));
            front::open_window(
                rt,
                conn,
                ClientMessage::JoinSession { code },
                title,
                transport,
                host_options(code),
            )
        }
        Command::Specialist { .. } => unreachable!("handled before login"),
    }
}

/// A code as typed ("123 456 789"), or the console's `tandem://join?code=…` link (what a
/// registered URL handler passes on).
fn code_or_link(text: &str) -> Result<SessionCode, String> {
    let code = match text.strip_prefix("tandem:") {
        Some(rest) => rest
            .trim_start_matches("//")
            .strip_prefix("join?")
            .and_then(|query| query.split('&').find_map(|kv| kv.strip_prefix("code=")))
            .ok_or_else(|| format!("'{text}' is not a tandem://join?code=… link"))?,
        None => text,
    };
    code.parse::<SessionCode>().map_err(|e| e.to_string())
}

/// The console's link also names the portal and the user (`tandem://join?code=…&portal=…&
/// user=…`): as `--portal` and `--user` before the command, unless the command line names
/// them. The portal of `configured` (TANDEM_PORTAL) is never silently replaced by a link's: a
/// different one is an error; a portal taken from the link is marked so that the password is
/// asked naming it (see [`password`]).
fn with_link_settings(
    mut args: Vec<String>,
    configured: Option<&str>,
) -> Result<Vec<String>, String> {
    let Some(query) = args
        .iter()
        .find_map(|a| a.strip_prefix("tandem:"))
        .and_then(|rest| rest.split_once('?'))
        .map(|(_, q)| q.to_owned())
    else {
        return Ok(args);
    };
    let given = |flag: &str| {
        args.iter()
            .any(|a| a == flag || a.starts_with(&format!("{flag}=")))
    };
    let value = |key: &str| {
        query
            .split('&')
            .find_map(|kv| kv.strip_prefix(key)?.strip_prefix('='))
            .and_then(percent_decoded)
            .filter(|v| !v.is_empty())
    };
    let mut extra = Vec::new();
    if let Some(portal) = value("portal")
        && !given("--portal")
    {
        let same = |a: &str, b: &str| a.trim_end_matches('/') == b.trim_end_matches('/');
        match configured {
            Some(mine) if same(mine, &portal) => {}
            Some(mine) => {
                return Err(format!(
                    "the link is for the portal {portal}, but you use {mine} (TANDEM_PORTAL); \
                     to use the link's portal, give it with --portal"
                ));
            }
            None => {
                extra.push(format!("--portal={portal}"));
                extra.push("--portal-from-link".to_owned());
            }
        }
    }
    if let Some(user) = value("user")
        && !given("--user")
    {
        extra.push(format!("--user={user}"));
    }
    let at = 1.min(args.len());
    args.splice(at..at, extra);
    Ok(args)
}

/// `%3A` → `:`; `None` for a broken escape or text that is not UTF-8.
fn percent_decoded(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = text.get(i + 1..i + 3)?;
                if !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
                    return None;
                }
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8(out).ok()
}

#[cfg(test)]
mod tests {
    use super::{code_or_link, with_link_settings};

    fn args(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn the_console_link_names_portal_and_user() {
        let link = "tandem://join?code=123456789&portal=https%3A%2F%2Fh%3A8470%23pin%3Dsha256%3Aab&user=bob";
        assert_eq!(
            with_link_settings(args(&["tandem-viewer", "join", link]), None),
            Ok(args(&[
                "tandem-viewer",
                "--portal=https://h:8470#pin=sha256:ab",
                "--portal-from-link",
                "--user=bob",
                "join",
                link
            ]))
        );
        // What the command line says wins.
        assert_eq!(
            with_link_settings(
                args(&["v", "--user", "carol", "--portal", "x", "join", link]),
                None
            ),
            Ok(args(&[
                "v", "--user", "carol", "--portal", "x", "join", link
            ]))
        );
        // The portal one works with is kept; another one is refused, never used quietly.
        let mine = Some("https://h:8470#pin=sha256:ab");
        assert_eq!(
            with_link_settings(args(&["v", "join", link]), mine),
            Ok(args(&["v", "--user=bob", "join", link]))
        );
        let refused = with_link_settings(args(&["v", "join", link]), Some("https://mine"))
            .expect_err("another portal");
        assert!(refused.contains("https://h:8470"), "{refused}");
        let plain = args(&["v", "join", "tandem://join?code=123456789"]);
        assert_eq!(with_link_settings(plain.clone(), None), Ok(plain));
        for broken in ["%zz", "%+1", "%4"] {
            let broken = args(&[
                "v",
                "join",
                &format!("tandem://join?code=1&portal={broken}"),
            ]);
            assert_eq!(with_link_settings(broken.clone(), None), Ok(broken));
        }
    }

    #[test]
    fn codes_and_console_links_name_the_same_code() {
        let digits = code_or_link("123456789").expect("digits");
        assert_eq!(code_or_link("tandem://join?code=123456789"), Ok(digits));
        assert_eq!(code_or_link("tandem:join?x=1&code=123456789"), Ok(digits));
        assert!(code_or_link("tandem://join?code=12").is_err());
        assert!(code_or_link("tandem://delete?code=123456789").is_err());
    }
}
