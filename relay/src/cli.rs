//! The `relay` command line: serve, manage users, verify and export logs.

use crate::identity::{Identity, ledger_verifying_key};
use crate::users::{Users, parse_role};
use crate::{Config, Server};
use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// The relay of the emergency command console.
#[derive(Parser)]
#[command(version, about)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Serve consoles, the radio bridge and tools over QUIC.
    Serve {
        /// Data directory (keys, users, logs). Overrides the config file and RELAY_DATA.
        #[arg(long)]
        data: Option<PathBuf>,
        /// Address to listen on, e.g. 0.0.0.0:4433. Overrides the config file and RELAY_LISTEN.
        #[arg(long)]
        listen: Option<std::net::SocketAddr>,
        /// Configuration file (TOML).
        #[arg(long)]
        config: Option<PathBuf>,
    },
    /// Manage accounts.
    User {
        #[command(subcommand)]
        action: UserCmd,
    },
    /// Print the certificate fingerprint clients pin (creating the identity if needed).
    Fingerprint {
        /// Data directory.
        #[arg(long)]
        data: PathBuf,
    },
    /// Write a realm's ICS-214-style activity log as CSV and JSON lines
    /// (safe beside a running relay: reads only).
    Export {
        /// Data directory.
        data: PathBuf,
        /// Realm.
        #[arg(long, default_value = "live")]
        realm: String,
        /// Earliest decision time, China Standard Time "YYYY-MM-DD HH:MM[:SS]".
        #[arg(long)]
        from: Option<String>,
        /// Latest decision time, same format.
        #[arg(long)]
        to: Option<String>,
        /// Output prefix: writes PREFIX.csv and PREFIX.jsonl.
        #[arg(long)]
        out: PathBuf,
    },
    /// Drills: validate a scenario, or play one headless into a drill ledger.
    Drill {
        #[command(subcommand)]
        action: DrillCmd,
    },
    /// Check every realm's log: CRCs, hash chain and signed checkpoints.
    Verify {
        /// Data directory.
        data: PathBuf,
        /// Only this realm.
        #[arg(long)]
        realm: Option<String>,
    },
}

#[derive(Subcommand)]
enum DrillCmd {
    /// Validate a scenario file; errors name file:line:column: field.
    Check {
        /// Scenario file (TOML).
        file: PathBuf,
    },
    /// Play a scenario on a simulated clock with a playbook of player actions;
    /// writes the drill realm's ledger and report.{html,md,json} into --out.
    Run {
        /// Scenario file (TOML).
        file: PathBuf,
        /// Rate recorded for the drill clock, 1–100 (the run does not wait).
        #[arg(long, default_value_t = 1)]
        speed: u32,
        /// Playbook (TOML): player actions at scenario times.
        #[arg(long)]
        players: Option<PathBuf>,
        /// Output directory: a relay data directory plus the report.
        #[arg(long)]
        out: PathBuf,
    },
    /// Write the summary report of a drill realm (e.g. one played live)
    /// from its verified log.
    Report {
        /// The scenario file the realm played.
        file: PathBuf,
        /// Data directory.
        #[arg(long)]
        data: PathBuf,
        /// Drill realm.
        #[arg(long)]
        realm: String,
        /// Where report.{html,md,json} go.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum UserCmd {
    /// Add a user (or replace its token) and print the token once.
    Add {
        /// User name.
        name: String,
        /// commander, duty-officer, observer, field-gateway, drill-director or admin.
        #[arg(long)]
        role: String,
        /// Data directory.
        #[arg(long)]
        data: PathBuf,
    },
    /// List users and roles.
    List {
        /// Data directory.
        #[arg(long)]
        data: PathBuf,
    },
}

/// Runs the command line with the process's arguments.
pub fn main() -> ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("RELAY_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info")),
        )
        .with_writer(std::io::stderr)
        .init();
    match run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("relay: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Cmd::Serve {
            data,
            listen,
            config,
        } => {
            let mut cfg = Config::load(config.as_deref())?;
            if let Some(d) = data {
                cfg.data = d;
            }
            if let Some(l) = listen {
                cfg.listen = l;
            }
            serve(cfg)
        }
        Cmd::User { action } => match action {
            UserCmd::Add { name, role, data } => {
                let role = parse_role(&role)?;
                let mut users = Users::load(&data)?;
                let token = users.add(&name, role)?;
                users.save(&data)?;
                println!("{token}");
                eprintln!(
                    "user {name} ({}) added; the token above is shown only once",
                    role.zh()
                );
                Ok(())
            }
            UserCmd::List { data } => {
                for u in Users::load(&data)?.users {
                    println!("{}\t{:?}", u.name, u.role);
                }
                Ok(())
            }
        },
        Cmd::Fingerprint { data } => {
            std::fs::create_dir_all(&data)?;
            let (id, _) = Identity::load_or_create(&data)?;
            println!("{}", id.fingerprint());
            Ok(())
        }
        Cmd::Verify { data, realm } => verify(&data, realm.as_deref()),
        Cmd::Drill { action } => match action {
            DrillCmd::Check { file } => crate::drill::check(&file),
            DrillCmd::Run {
                file,
                speed,
                players,
                out,
            } => crate::drill::run(&file, players.as_deref(), speed, &out).map(|_| ()),
            DrillCmd::Report {
                file,
                data,
                realm,
                out,
            } => crate::drill::report(&file, &data, &realm, &out),
        },
        Cmd::Export {
            data,
            realm,
            from,
            to,
            out,
        } => {
            let parse = |s: Option<String>, name: &str| -> Result<Option<domain::Timestamp>> {
                s.map(|s| {
                    domain::Timestamp::parse_cst(&s).ok_or_else(|| {
                        anyhow::anyhow!("--{name} {s:?}: expected \"YYYY-MM-DD HH:MM[:SS]\"")
                    })
                })
                .transpose()
            };
            let rows =
                crate::export::activity_log(&data, &realm, parse(from, "from")?, parse(to, "to")?)?;
            let csv = out.with_extension("csv");
            let jsonl = out.with_extension("jsonl");
            crate::export::write_csv(
                &rows,
                &mut std::io::BufWriter::new(std::fs::File::create(&csv)?),
            )?;
            crate::export::write_jsonl(
                &rows,
                &mut std::io::BufWriter::new(std::fs::File::create(&jsonl)?),
            )?;
            println!("{} rows: {} {}", rows.len(), csv.display(), jsonl.display());
            Ok(())
        }
    }
}

fn serve(cfg: Config) -> Result<()> {
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async {
        let handle = Server::start(cfg).await?;
        println!(
            "listening {} fingerprint {}",
            handle.local_addr, handle.fingerprint
        );
        shutdown_signal().await;
        tracing::info!("shutting down");
        handle.shutdown().await;
        Ok(())
    })
}

async fn shutdown_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = term.recv() => {}
            _ = tokio::signal::ctrl_c() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

fn verify(data: &std::path::Path, only: Option<&str>) -> Result<()> {
    let key = ledger_verifying_key(data)?;
    let realms = data.join("realms");
    let mut names: Vec<String> = std::fs::read_dir(&realms)
        .with_context(|| format!("cannot read {}", realms.display()))?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| only.is_none_or(|o| o == n))
        .collect();
    names.sort();
    if names.is_empty() {
        bail!("no realm to verify in {}", realms.display());
    }
    let mut bad = 0;
    for name in names {
        match ledger::verify(&realms.join(&name), &key) {
            Ok(r) => println!(
                "{name}: ok, {} records, last seq {}, {} checkpoints, head {}",
                r.records,
                r.last_seq,
                r.checkpoints,
                hex::encode(r.head_hash)
            ),
            Err(e) => {
                println!("{name}: FAILED: {e}");
                bad += 1;
            }
        }
    }
    if bad > 0 {
        bail!("{bad} realm log(s) failed verification");
    }
    Ok(())
}
