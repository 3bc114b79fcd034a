//! `tandem-portal`: serve the portal, or add a representative account.
#![forbid(unsafe_code)]

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tandem_portal::{AdminBootstrap, Config};

/// Tandem's portal: session codes, representatives, signalling and the customer pages.
#[derive(Debug, Parser)]
#[command(name = "tandem-portal", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, env = "TANDEM_LISTEN", default_value = "127.0.0.1:8470")]
    listen: String,
    /// SQLite database file (created if missing).
    #[arg(long, env = "TANDEM_DB", default_value = "./tandem-portal.sqlite3")]
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
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Add a representative account; the password is read from TANDEM_REP_PASSWORD.
    AddRep {
        /// SQLite database file (created if missing).
        #[arg(long, env = "TANDEM_DB", default_value = "./tandem-portal.sqlite3")]
        db: PathBuf,
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
    let cli = Cli::parse();
    match cli.command {
        Some(Command::AddRep {
            db,
            user,
            name,
            admin,
        }) => add_rep(&db, &user, &name, admin).await,
        None => serve(cli).await,
    }
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

async fn serve(cli: Cli) -> anyhow::Result<()> {
    let config = Config {
        db_path: cli.db,
        public_url: cli.public_url,
        code_ttl: Duration::from_secs(cli.code_ttl_secs.max(1)),
        max_active_codes: cli.max_active_codes,
        admin_password: cli.admin_password,
        resume_window: Duration::from_secs(cli.resume_window_secs),
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
    writeln!(stdout, "tandem-portal listening on http://{addr}")?;
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
