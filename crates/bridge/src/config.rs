//! The bridge's TOML configuration (documented in `docs/bridge.md`).

use serde::Deserialize;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// Whole configuration file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    /// The relay to report to.
    pub relay: RelayConfig,
    /// When to forward a fix.
    #[serde(default)]
    pub thinning: ThinningConfig,
    /// Prometheus text endpoint, e.g. "127.0.0.1:9187".
    pub metrics: Option<SocketAddr>,
    /// Field inputs.
    #[serde(default, rename = "input")]
    pub inputs: Vec<InputConfig>,
    /// CoT markers and chat to TAK clients.
    pub cot_output: Option<CotOutputConfig>,
    /// APRS messages for orders.
    pub aprs_output: Option<AprsOutputConfig>,
}

/// Relay connection.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RelayConfig {
    /// Relay QUIC address.
    pub addr: SocketAddr,
    /// SHA-256 fingerprint of the relay certificate (`relay fingerprint`).
    pub fingerprint: String,
    /// User with the field-gateway role.
    pub user: String,
    /// Its token.
    pub token: String,
    /// This bridge's instance id.
    #[serde(default = "default_device")]
    pub device: String,
    /// Realm observations go to (`live` or a drill realm).
    #[serde(default = "default_realm")]
    pub realm: String,
}

fn default_device() -> String {
    "bridge".into()
}

fn default_realm() -> String {
    "live".into()
}

/// Per-device thinning.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ThinningConfig {
    /// Forward when moved more than this, metres.
    pub min_distance_m: f64,
    /// Forward when this much time passed since the last forwarded fix, s.
    pub max_interval_s: f64,
}

impl Default for ThinningConfig {
    fn default() -> Self {
        ThinningConfig {
            min_distance_m: 20.0,
            max_interval_s: 30.0,
        }
    }
}

/// One input. (serde cannot deny unknown fields through `flatten`.)
#[derive(Debug, Clone, Deserialize)]
pub struct InputConfig {
    /// Name in logs and metrics.
    pub name: String,
    /// What it reads and how.
    #[serde(flatten)]
    pub kind: InputKind,
}

/// Format and transport of an input.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum InputKind {
    /// NMEA from a serial device (or any file read as a stream).
    NmeaSerial {
        /// Device path.
        path: PathBuf,
        /// Radio id the receiver reports as.
        device: String,
    },
    /// NMEA datagrams, one or more sentences each.
    NmeaUdp {
        /// Listen address.
        listen: SocketAddr,
        /// Radio id; a sender's address is appended when absent.
        device: Option<String>,
    },
    /// NMEA over TCP connections.
    NmeaTcp {
        /// Listen address.
        listen: SocketAddr,
        /// Radio id; the peer address is used when absent.
        device: Option<String>,
    },
    /// gpsd JSON client.
    Gpsd {
        /// gpsd address (usually port 2947).
        connect: SocketAddr,
        /// Radio id for every report; gpsd's device path when absent.
        device: Option<String>,
    },
    /// KISS TNC over TCP (Dire Wolf listens on 8001).
    KissTcp {
        /// TNC address.
        connect: SocketAddr,
    },
    /// CoT events over TCP (TAK clients' streaming protocol, XML).
    CotTcp {
        /// Listen address.
        listen: SocketAddr,
    },
    /// CoT events in UDP datagrams (mesh SA, port 4242 / 6969).
    CotUdp {
        /// Listen address.
        listen: SocketAddr,
    },
}

impl InputKind {
    /// Short name of the format, for metrics.
    pub fn format(&self) -> &'static str {
        match self {
            InputKind::NmeaSerial { .. }
            | InputKind::NmeaUdp { .. }
            | InputKind::NmeaTcp { .. } => "nmea",
            InputKind::Gpsd { .. } => "gpsd",
            InputKind::KissTcp { .. } => "aprs",
            InputKind::CotTcp { .. } | InputKind::CotUdp { .. } => "cot",
        }
    }
}

/// TAK output.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CotOutputConfig {
    /// Where TAK clients connect for markers and chat.
    pub listen: SocketAddr,
    /// Uid the command centre sends as.
    #[serde(default = "default_cot_uid")]
    pub uid: String,
    /// Callsign the command centre sends as.
    #[serde(default = "default_cot_callsign")]
    pub callsign: String,
    /// Seconds between full marker refreshes.
    #[serde(default = "default_refresh")]
    pub refresh_s: u64,
}

fn default_cot_uid() -> String {
    "ECC-BRIDGE".into()
}

fn default_cot_callsign() -> String {
    "应急指挥中心".into()
}

fn default_refresh() -> u64 {
    10
}

/// APRS output through a KISS input's TNC.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AprsOutputConfig {
    /// Name of the `kiss-tcp` input whose TNC transmits.
    pub via: String,
    /// The command centre's callsign (licensed station).
    pub callsign: String,
    /// Destination (tocall).
    #[serde(default = "default_tocall")]
    pub tocall: String,
}

fn default_tocall() -> String {
    "APZECC".into()
}

impl Config {
    /// Reads and checks a configuration file.
    pub fn load(path: &Path) -> anyhow::Result<Config> {
        let text = std::fs::read_to_string(path)
            .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", path.display()))?;
        Config::parse(&text).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))
    }

    /// Parses and checks configuration text.
    pub fn parse(text: &str) -> anyhow::Result<Config> {
        let cfg: Config = toml::from_str(text)?;
        cfg.validate()?;
        Ok(cfg)
    }

    fn validate(&self) -> anyhow::Result<()> {
        let mut names = std::collections::BTreeSet::new();
        for i in &self.inputs {
            if !names.insert(i.name.as_str()) {
                anyhow::bail!("input.name: {:?} is used twice", i.name);
            }
        }
        if let Some(a) = &self.aprs_output {
            let ok = self
                .inputs
                .iter()
                .any(|i| i.name == a.via && matches!(i.kind, InputKind::KissTcp { .. }));
            if !ok {
                anyhow::bail!("aprs_output.via: no kiss-tcp input named {:?}", a.via);
            }
            radio::ax25::Address::parse(&a.callsign)
                .map_err(|e| anyhow::anyhow!("aprs_output.callsign: {e}"))?;
            radio::ax25::Address::parse(&a.tocall)
                .map_err(|e| anyhow::anyhow!("aprs_output.tocall: {e}"))?;
        }
        if !(self.thinning.min_distance_m >= 0.0 && self.thinning.max_interval_s >= 0.0) {
            anyhow::bail!("thinning: distances and intervals must be zero or more");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const EXAMPLE: &str = r#"
metrics = "127.0.0.1:9187"
[relay]
addr = "127.0.0.1:4433"
fingerprint = "AB:CD"
user = "bridge"
token = "t"
[thinning]
min_distance_m = 50
[[input]]
name = "tnc"
kind = "kiss-tcp"
connect = "127.0.0.1:8001"
[[input]]
name = "gps"
kind = "nmea-udp"
listen = "0.0.0.0:10110"
[aprs_output]
via = "tnc"
callsign = "BG2ECC"
"#;

    #[test]
    fn example_parses_with_defaults() {
        let c = Config::parse(EXAMPLE).expect("parses");
        assert_eq!(c.inputs.len(), 2);
        assert_eq!(c.thinning.min_distance_m, 50.0);
        assert_eq!(c.thinning.max_interval_s, 30.0);
        assert_eq!(c.relay.realm, "live");
        assert_eq!(c.inputs[0].kind.format(), "aprs");
    }

    #[test]
    fn errors_name_the_field() {
        let bad = EXAMPLE.replace("via = \"tnc\"", "via = \"gps\"");
        let e = Config::parse(&bad).expect_err("rejected").to_string();
        assert!(e.contains("aprs_output.via"), "{e}");
        let bad = EXAMPLE.replace("kind = \"nmea-udp\"", "kind = \"telepathy\"");
        assert!(Config::parse(&bad).is_err());
    }
}
