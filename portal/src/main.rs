//! `tandem-portal`: serve the portal, or add a representative account.
#![forbid(unsafe_code)]

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tandem_portal::config_file::{Flag, flags_from_file};
use tandem_portal::mail::{SmtpConfig, SmtpSecurity};
use tandem_portal::tls::{PortalTls, TlsSource};
use tandem_portal::{AdminBootstrap, Config};

/// Tandem's portal: session codes, representatives, signalling and the customer pages.
#[derive(Debug, Parser)]
#[command(name = "tandem-portal", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Settings file (TOML): every flag of this command as a key of the same name, e.g.
    /// `listen = "0.0.0.0:8470"`. Flags and TANDEM_* variables override it.
    #[arg(long, env = "TANDEM_CONFIG", global = true)]
    config: Option<PathBuf>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "TANDEM_LISTEN", default_value = "127.0.0.1:8470")]
    listen: String,
    /// SQLite database file (created if missing).
    #[arg(
        long,
        env = "TANDEM_DB",
        default_value = "./tandem-portal.sqlite3",
        global = true
    )]
    db: PathBuf,
    /// Base URL customers reach the portal at, e.g. https://help.example.com
    #[arg(long, env = "TANDEM_PUBLIC_URL")]
    public_url: Option<String>,
    /// How long a new session code stays valid, in seconds.
    #[arg(long, env = "TANDEM_CODE_TTL_SECS", default_value_t = 600)]
    code_ttl_secs: u64,
    /// How many active codes one representative may hold.
    #[arg(long, env = "TANDEM_MAX_ACTIVE_CODES", default_value_t = 8)]
    max_active_codes: usize,
    /// Password for the `admin` account created on first start (default: generated and
    /// printed once). Prefer the environment variable: command lines are visible to others.
    #[arg(long, env = "TANDEM_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// How long a session waits for the customer's machine to come back after its
    /// connection dropped (reboot, network), in seconds; 0 ends the session at once.
    #[arg(long, env = "TANDEM_RESUME_WINDOW_SECS", default_value_t = 600)]
    resume_window_secs: u64,
    /// How long a representative stays signed in on one connection, in minutes.
    #[arg(long, env = "TANDEM_SIGN_IN_MINUTES", default_value_t = 720)]
    sign_in_minutes: u64,
    /// Where session recordings are kept (default: beside the database, in a folder named
    /// after it).
    #[arg(long, env = "TANDEM_RECORDINGS_DIR")]
    recordings_dir: Option<std::path::PathBuf>,
    /// The largest one session's recording may grow, in MiB; it stops there and the
    /// session goes on.
    #[arg(long, env = "TANDEM_RECORDING_MAX_MB", default_value_t = 1024)]
    recording_max_mb: u64,
    /// TLS certificate chain (PEM); read again when it changes. Without --tls-cert and
    /// --tls-key the portal makes a self-signed certificate and prints its pin.
    #[arg(long, env = "TANDEM_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// The certificate's private key (PEM).
    #[arg(long, env = "TANDEM_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Folder for the self-signed certificate (default: `tls/` beside the database).
    #[arg(long, env = "TANDEM_TLS_DIR")]
    tls_dir: Option<PathBuf>,
    /// Serve plain HTTP: only on a loopback address (development), unless
    /// --behind-tls-proxy says a proxy in front encrypts.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    no_tls: bool,
    /// A TLS-terminating proxy is in front: serve plain HTTP on any address. Name the
    /// proxy with --trusted-proxy so clients are told apart by X-Forwarded-For.
    #[arg(long, conflicts_with_all = ["tls_cert", "tls_key"])]
    behind_tls_proxy: bool,
    /// Address of a proxy whose X-Forwarded-For header names the client (repeatable).
    #[arg(
        long = "trusted-proxy",
        env = "TANDEM_TRUSTED_PROXIES",
        value_delimiter = ','
    )]
    trusted_proxies: Vec<IpAddr>,
    /// Connections in all (default 10,000; never more than the open-file limit, which the
    /// portal raises to its maximum, allows).
    #[arg(long, env = "TANDEM_MAX_CONNECTIONS")]
    max_connections: Option<usize>,
    /// Seconds a new connection may stay anonymous (before it logs in or presents a code,
    /// key, resume secret or relay token).
    #[arg(long, env = "TANDEM_IDENTIFY_WITHIN_SECS", default_value_t = 15)]
    identify_within_secs: u64,
    /// Connections one client address may hold at once.
    #[arg(long, env = "TANDEM_MAX_CONNECTIONS_PER_ADDRESS", default_value_t = tandem_portal::config::DEFAULT_MAX_PER_ADDRESS)]
    max_connections_per_address: usize,
    /// Mail server for sending invitations (with --mail-from). Without it representatives
    /// copy the invitation text instead.
    #[arg(long, env = "TANDEM_SMTP_HOST")]
    smtp_host: Option<String>,
    /// The mail server's port (default: 587 for starttls, 465 for tls, 25 for none).
    #[arg(long, env = "TANDEM_SMTP_PORT")]
    smtp_port: Option<u16>,
    /// How the connection to the mail server is protected: `starttls`, `tls` (implicit TLS)
    /// or `none` (a relay on this machine or network only).
    #[arg(long, env = "TANDEM_SMTP_SECURITY", value_enum, default_value_t = SmtpSecurityArg::Starttls)]
    smtp_security: SmtpSecurityArg,
    /// User name to log in to the mail server with (needs --smtp-password-file).
    #[arg(long, env = "TANDEM_SMTP_USER")]
    smtp_user: Option<String>,
    /// File holding the mail server password (its first line is used). The password is
    /// never taken from the command line.
    #[arg(long, env = "TANDEM_SMTP_PASSWORD_FILE")]
    smtp_password_file: Option<PathBuf>,
    /// Sender of invitation mails, e.g. "Tandem Support <support@example.com>".
    #[arg(long, env = "TANDEM_MAIL_FROM")]
    mail_from: Option<String>,
    /// Seconds the mail server has to take a message.
    #[arg(long, env = "TANDEM_SMTP_TIMEOUT_SECS", default_value_t = 30)]
    smtp_timeout_secs: u64,
    /// The built web app (customer portal pages, the console): `web/dist` of the source tree
    /// by default, or `../share/tandem/web` beside an installed binary.
    #[arg(long, env = "TANDEM_WEB_DIR")]
    web_dir: Option<PathBuf>,
    /// The customer app's builds offered on join pages (`tandem-agent-linux-x86_64`…):
    /// `../lib/tandem/downloads` beside an installed binary by default, else the agent built
    /// beside the portal.
    #[arg(long, env = "TANDEM_DOWNLOADS_DIR")]
    downloads_dir: Option<PathBuf>,
    /// Seconds a representative has to accept a Queue-mode request before it goes to the
    /// next available one.
    #[arg(long, env = "TANDEM_QUEUE_OFFER_SECS", default_value_t = 30)]
    queue_offer_secs: u64,
    /// Customers who may wait on one portal at once (more are told to try again later).
    #[arg(long, env = "TANDEM_QUEUE_CAP", default_value_t = 50)]
    queue_cap: usize,
    /// Language of invitation mails when the representative names none the portal has
    /// (en, de).
    #[arg(long, env = "TANDEM_MAIL_LANGUAGE", default_value = "en")]
    mail_language: String,
}

#[derive(Debug, Subcommand)]
enum AuditAction {
    /// Walk the chain; name the first record that was edited, inserted or removed.
    Verify {
        /// A head printed earlier (`audit head`, or the log's "audit" lines): the chain must
        /// still reach it, so records cut off the end are found too.
        #[arg(long)]
        head: Option<String>,
    },
    /// Print the chain's head (last record number and hash), e.g. for syslog or a printout.
    Head,
}

/// `--smtp-security`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum SmtpSecurityArg {
    /// Plain SMTP.
    None,
    /// STARTTLS, required.
    Starttls,
    /// TLS from the first byte.
    Tls,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add a representative account; the password is read from TANDEM_REP_PASSWORD.
    AddRep {
        /// Login name.
        #[arg(long)]
        user: String,
        /// Name shown to customers.
        #[arg(long)]
        name: String,
        /// Make the account an administrator.
        #[arg(long)]
        admin: bool,
    },
    /// Set an account's password (the first administrator's is `admin`): read from
    /// TANDEM_REP_PASSWORD, else the first line of standard input.
    SetPassword {
        /// Login name.
        #[arg(long)]
        user: String,
    },
    /// The audit trail: check its hash chain, or print its head to keep elsewhere.
    Audit {
        #[command(subcommand)]
        action: AuditAction,
    },
    /// Create or change a customer portal (its page is /p/<name>).
    Portal {
        /// The name in the page's address: a-z, 0-9 and '-'.
        #[arg(long)]
        name: String,
        /// The title the page shows (default: the name).
        #[arg(long)]
        title: Option<String>,
        /// smart_pin, smart_button, smart_box, smart_match or queue.
        #[arg(long, default_value = "smart_pin")]
        mode: String,
        /// web_chat (chat in the browser first) or download (the customer app at once).
        #[arg(long, default_value = "download")]
        chat_start: String,
        /// A form field `Label:kind[:required]` (kind: text, long_text, email, phone,
        /// number); repeatable, at most 8 (smart_box and queue).
        #[arg(long = "field")]
        fields: Vec<String>,
        /// The portal takes no requests or codes now.
        #[arg(long)]
        closed: bool,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    // Logs go to stderr: stdout carries the lines scripts parse.
    tracing_subscriber::fmt()
        .with_env_filter(tandem_portal::log_filter(
            std::env::var("RUST_LOG").ok().as_deref(),
        ))
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let args = match with_config_file(std::env::args().collect()) {
        Ok(args) => args,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::exit(2);
        }
    };
    let cli = Cli::parse_from(args);
    let db = cli.db.clone();
    match cli.command {
        Some(Command::AddRep { user, name, admin }) => add_rep(&db, &user, &name, admin).await,
        Some(Command::SetPassword { user }) => set_password(&db, &user).await,
        Some(Command::Audit { action }) => audit(&db, action).await,
        Some(Command::Portal {
            name,
            title,
            mode,
            chat_start,
            fields,
            closed,
        }) => {
            let title = title.unwrap_or_else(|| name.clone());
            let record = tandem_portal::admin::portal_record(
                &name,
                &title,
                &mode,
                &chat_start,
                &fields,
                !closed,
            )
            .map_err(|why| anyhow::anyhow!("portal '{name}': {why}"))?;
            tandem_portal::admin::save_portal_to(&db, record)
                .await
                .with_context(|| format!("could not save portal '{name}' in {}", db.display()))?;
            println!("saved portal '{name}': its page is /p/{name}");
            Ok(())
        }
        None => serve(cli).await,
    }
}

/// The command line with the settings file's keys (`--config`, or TANDEM_CONFIG) put before
/// its own flags, leaving out what the command line or the environment sets.
fn with_config_file(args: Vec<String>) -> anyhow::Result<Vec<String>> {
    let named = args.iter().enumerate().find_map(|(i, a)| match a.as_str() {
        "--config" => args.get(i + 1).cloned(),
        a => a.strip_prefix("--config=").map(str::to_owned),
    });
    let Some(path) = named.or_else(|| std::env::var("TANDEM_CONFIG").ok()) else {
        return Ok(args);
    };
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read the settings file {path}"))?;
    let command = <Cli as clap::CommandFactory>::command();
    let known: Vec<Flag> = command
        .get_arguments()
        .filter_map(|arg| {
            let name = arg.get_long()?;
            (!matches!(name, "config" | "help" | "version")).then(|| Flag {
                name: name.to_owned(),
                takes_value: arg.get_action().takes_values(),
                env: arg.get_env().and_then(|e| e.to_str()).map(str::to_owned),
                conflicts: command
                    .get_arg_conflicts_with(arg)
                    .into_iter()
                    .filter_map(|c| c.get_long().map(str::to_owned))
                    .collect(),
            })
        })
        .collect();
    // Clap lists a conflict under the flag that declares it: make it go both ways.
    let declared: Vec<(String, Vec<String>)> = known
        .iter()
        .map(|f| (f.name.clone(), f.conflicts.clone()))
        .collect();
    let mut known = known;
    for flag in &mut known {
        for (other, conflicts) in &declared {
            if conflicts.contains(&flag.name) && !flag.conflicts.contains(other) {
                flag.conflicts.push(other.clone());
            }
        }
    }
    let given = args.get(1..).unwrap_or_default();
    let flags = flags_from_file(&text, &known, given, |var| std::env::var_os(var).is_some())
        .map_err(|e| anyhow::anyhow!("{path}: {e}"))?;
    let mut merged = args;
    let tail = merged.split_off(1.min(merged.len()));
    merged.extend(flags);
    merged.extend(tail);
    Ok(merged)
}

async fn set_password(db: &std::path::Path, user: &str) -> anyhow::Result<()> {
    let password = match std::env::var("TANDEM_REP_PASSWORD") {
        Ok(p) => p,
        Err(_) if std::io::IsTerminal::is_terminal(&std::io::stdin()) => {
            quiet_line(&format!("New password for {user}: "))
                .context("reading the password from the terminal")?
        }
        Err(_) => {
            let mut line = String::new();
            std::io::stdin()
                .read_line(&mut line)
                .context("reading the password from standard input")?;
            line.trim_end_matches(['\r', '\n']).to_owned()
        }
    };
    tandem_portal::set_password_in(db, user, password)
        .await
        .with_context(|| format!("could not set the password of '{user}' in {}", db.display()))?;
    println!("password of '{user}' set");
    Ok(())
}

/// A line typed on the terminal without showing it (echo off while it is typed).
fn quiet_line(prompt: &str) -> std::io::Result<String> {
    use rustix::termios::{LocalModes, OptionalActions, tcgetattr, tcsetattr};
    use std::os::fd::AsFd;
    let stdin = std::io::stdin();
    let saved = tcgetattr(stdin.as_fd())?;
    let mut quiet = saved.clone();
    quiet.local_modes.remove(LocalModes::ECHO);
    tcsetattr(stdin.as_fd(), OptionalActions::Now, &quiet)?;
    eprint!("{prompt}");
    let mut line = String::new();
    let read = stdin.read_line(&mut line);
    let _ = tcsetattr(stdin.as_fd(), OptionalActions::Now, &saved);
    eprintln!();
    read?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}

async fn audit(db: &std::path::Path, action: AuditAction) -> anyhow::Result<()> {
    use tandem_portal::audit::{Head, verify};
    let kept = match &action {
        AuditAction::Verify { head: Some(h) } => {
            Some(h.parse::<Head>().map_err(anyhow::Error::msg)?)
        }
        _ => None,
    };
    let records = tandem_portal::audit_trail::records_in(db)
        .await
        .with_context(|| format!("could not read the audit trail of {}", db.display()))?;
    let count = records.len();
    match (action, verify(records, kept.as_ref())) {
        (_, Err(broken)) => anyhow::bail!("the audit trail is broken: {broken}"),
        (AuditAction::Head, Ok(Some(head))) => println!("{head}"),
        (AuditAction::Head, Ok(None)) => println!(
            "{}",
            Head {
                seq: 0,
                hash: tandem_portal::audit::GENESIS
            }
        ),
        (AuditAction::Verify { .. }, Ok(head)) => {
            let head = head.map_or_else(|| "none".to_owned(), |h| h.to_string());
            println!("the audit trail is intact: {count} records, head {head}");
        }
    }
    Ok(())
}

async fn add_rep(db: &std::path::Path, user: &str, name: &str, admin: bool) -> anyhow::Result<()> {
    let password = std::env::var("TANDEM_REP_PASSWORD")
        .context("set TANDEM_REP_PASSWORD to the new representative's password")?;
    let rep = tandem_portal::add_representative_to(db, user, name, password, admin)
        .await
        .with_context(|| format!("could not add representative '{user}' to {}", db.display()))?;
    println!("added representative '{}' ({})", rep.user, rep.name);
    Ok(())
}

fn tls_source(cli: &Cli) -> TlsSource {
    if cli.no_tls || cli.behind_tls_proxy {
        return TlsSource::Off;
    }
    if let (Some(cert), Some(key)) = (&cli.tls_cert, &cli.tls_key) {
        return TlsSource::Files {
            cert: cert.clone(),
            key: key.clone(),
        };
    }
    let dir = cli.tls_dir.clone().unwrap_or_else(|| {
        cli.db
            .parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(std::path::Path::new("."))
            .join("tls")
    });
    let names = cli
        .public_url
        .as_deref()
        .and_then(|u| u.split_once("://"))
        .and_then(|(_, rest)| rest.split(['/', ':']).next())
        .filter(|h| !h.is_empty())
        .map(|h| vec![h.to_owned()])
        .unwrap_or_default();
    TlsSource::SelfSigned { dir, names }
}

/// The mail settings from the command line, `None` without --smtp-host.
fn smtp_config(cli: &Cli) -> anyhow::Result<Option<SmtpConfig>> {
    let Some(host) = cli.smtp_host.clone() else {
        return Ok(None);
    };
    let security = match cli.smtp_security {
        SmtpSecurityArg::None => SmtpSecurity::None,
        SmtpSecurityArg::Starttls => SmtpSecurity::StartTls,
        SmtpSecurityArg::Tls => SmtpSecurity::Tls,
    };
    let from = cli
        .mail_from
        .clone()
        .context("--smtp-host needs --mail-from (the sender of invitation mails)")?;
    let password = match (&cli.smtp_user, &cli.smtp_password_file) {
        (Some(_), Some(path)) => {
            let text = std::fs::read_to_string(path).with_context(|| {
                format!(
                    "could not read the mail server password from {}",
                    path.display()
                )
            })?;
            Some(text.lines().next().unwrap_or_default().to_owned())
        }
        (None, None) => None,
        (Some(_), None) => anyhow::bail!("--smtp-user needs --smtp-password-file"),
        (None, Some(_)) => anyhow::bail!("--smtp-password-file needs --smtp-user"),
    };
    let config = SmtpConfig {
        port: cli.smtp_port.unwrap_or(security.default_port()),
        host,
        security,
        username: cli.smtp_user.clone(),
        password,
        from,
        timeout: Duration::from_secs(cli.smtp_timeout_secs.max(1)),
    };
    config
        .check()
        .map_err(|why| anyhow::anyhow!("mail settings: {why}"))?;
    if security == SmtpSecurity::None && config.username.is_some() {
        tracing::warn!("--smtp-security none: the mail server password travels unencrypted");
    }
    Ok(Some(config))
}

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let tls = tls_source(&cli);
    let smtp = smtp_config(&cli)?;
    let mail_language = cli.mail_language.trim().to_ascii_lowercase();
    if !tandem_portal::mail::LANGUAGES.contains(&mail_language.as_str()) {
        anyhow::bail!(
            "--mail-language must be one of: {}",
            tandem_portal::mail::LANGUAGES.join(", ")
        );
    }
    let config = Config {
        db_path: cli.db,
        public_url: cli.public_url,
        code_ttl: Duration::from_secs(cli.code_ttl_secs.max(1)),
        max_active_codes: cli.max_active_codes,
        admin_password: cli.admin_password,
        resume_window: Duration::from_secs(cli.resume_window_secs),
        tls,
        behind_proxy: cli.behind_tls_proxy,
        trusted_proxies: cli.trusted_proxies,
        max_connections: cli.max_connections,
        max_per_address: cli.max_connections_per_address,
        identify_within: Duration::from_secs(cli.identify_within_secs.max(1)),
        smtp,
        mail_language,
        web_dir: cli.web_dir,
        downloads_dir: cli.downloads_dir,
        offer_timeout: Duration::from_secs(cli.queue_offer_secs.max(1)),
        queue_cap: cli.queue_cap.max(1),
        sign_in_lifetime: Duration::from_secs(cli.sign_in_minutes.max(1) * 60),
        recordings_dir: cli.recordings_dir,
        recording_max_bytes: cli.recording_max_mb.max(1).saturating_mul(1 << 20),
        ..Config::default()
    };
    let mut stdout = std::io::stdout();
    let boot = tandem_portal::bootstrap(&config).await.with_context(|| {
        format!(
            "could not prepare the database {}",
            config.db_path.display()
        )
    })?;
    if let AdminBootstrap::Created {
        generated_password: Some(password),
    } = boot
    {
        writeln!(
            stdout,
            "{}",
            tandem_portal::generated_admin_announcement(&password)
        )?;
    }
    let listener = tokio::net::TcpListener::bind(&cli.listen)
        .await
        .with_context(|| format!("could not listen on {}", cli.listen))?;
    let addr = listener.local_addr()?;
    // Loaded here too (the portal loads it again, the same files) to print the address with
    // its pin: agents and viewers given that address trust exactly this certificate.
    let shown = match PortalTls::load(&config.tls, &addr.ip().to_string())
        .context("could not set up TLS")?
    {
        None => format!("http://{addr}"),
        Some(tls) => match tls.pin {
            Some(pin) => format!("https://{addr}#pin={pin}"),
            None => format!("https://{addr}"),
        },
    };
    writeln!(stdout, "tandem-portal listening on {shown}")?;
    stdout.flush()?;
    tandem_portal::run(listener, config, shutdown_signal()).await?;
    Ok(())
}

/// Completes on Ctrl-C or (on Unix) SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutting down");
}
