//! The `bridge` command line (see `docs/bridge.md`); a library module so
//! process tests can build the same program.

use crate::config::{Config, InputKind};
use crate::metrics::Registry;
use crate::{input, metrics, outbound, sim, uplink};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

#[derive(Parser)]
#[command(
    name = "bridge",
    version,
    about = "Field-radio gateway for the emergency console relay"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Run the bridge with a configuration file.
    Run {
        /// TOML configuration.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Check a configuration file and exit.
    Check {
        /// TOML configuration.
        #[arg(long, short)]
        config: PathBuf,
    },
    /// Simulate field devices reporting to a bridge input.
    Sim {
        /// Wire format.
        #[arg(long, value_enum, default_value = "nmea")]
        format: sim::SimFormat,
        /// Input address of the bridge (nmea-udp or cot-tcp).
        #[arg(long)]
        target: std::net::SocketAddr,
        /// Number of devices.
        #[arg(long, short, default_value_t = 10)]
        n: usize,
        /// Seconds between reports.
        #[arg(long, default_value_t = 1.0)]
        interval: f64,
        /// Seconds to run.
        #[arg(long, default_value_t = 60.0)]
        duration: f64,
        /// Random seed.
        #[arg(long, default_value_t = 1)]
        seed: u64,
    },
}

/// Runs the command line.
pub fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let cli = Cli::parse();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    match cli.command {
        Cmd::Check { config } => {
            let c = Config::load(&config)?;
            println!("ok: {} inputs", c.inputs.len());
            Ok(())
        }
        Cmd::Run { config } => rt.block_on(run(Config::load(&config)?)),
        Cmd::Sim {
            format,
            target,
            n,
            interval,
            duration,
            seed,
        } => {
            anyhow::ensure!(
                interval > 0.0 && duration >= 0.0,
                "--interval and --duration must be positive"
            );
            rt.block_on(sim::run(
                format,
                target,
                n,
                Duration::from_secs_f64(interval),
                Duration::from_secs_f64(duration),
                seed,
            ))
        }
    }
}

/// Runs a bridge with `cfg` until its inputs close.
pub async fn run(cfg: Config) -> anyhow::Result<()> {
    let registry = Arc::new(Registry::default());
    if let Some(addr) = cfg.metrics {
        let r = registry.clone();
        tokio::spawn(async move {
            if let Err(e) = metrics::serve(addr, r).await {
                tracing::error!("metrics: {e}");
            }
        });
    }
    let (tx, rx) = mpsc::channel(4096);
    let mut aprs = None;
    for i in &cfg.inputs {
        let stats = registry.input(&i.name, i.kind.format());
        let kiss_out = match (&i.kind, &cfg.aprs_output) {
            (InputKind::KissTcp { .. }, Some(a)) if a.via == i.name => {
                let (ktx, krx) = mpsc::channel(64);
                aprs = Some((a.clone(), ktx));
                Some(krx)
            }
            _ => None,
        };
        let (i, tx) = (i.clone(), tx.clone());
        tokio::spawn(async move {
            let name = i.name.clone();
            if let Err(e) = input::run(i, stats, tx, kiss_out).await {
                tracing::error!(input = %name, "input stopped: {e:#}");
            }
        });
    }
    drop(tx);
    let out = outbound::Outbound::start(cfg.cot_output.clone(), aprs, registry.clone()).await?;
    uplink::run(cfg, registry, rx, out).await
}
