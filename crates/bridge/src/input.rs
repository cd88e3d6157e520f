//! Inputs: each turns a byte stream or datagrams into records through a
//! [`Decoder`] and hands them on; client inputs reconnect with backoff.

use crate::config::{InputConfig, InputKind};
use crate::metrics::InputStats;
use domain::Timestamp;
use radio::{FieldRecord, RadioError, aprs, ax25, cot, gpsd, kiss, nmea};
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;

/// A record and the counters of the input it came from.
pub type Arrival = (Arc<InputStats>, FieldRecord);

/// Wall clock in the domain's terms.
pub fn now() -> Timestamp {
    let ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0);
    Timestamp(ms)
}

/// Stateful decoder of one stream (or one datagram) of one format.
pub enum Decoder {
    /// NMEA lines from one receiver.
    Nmea {
        /// Line framer.
        framer: nmea::LineFramer,
        /// Radio id of the receiver.
        device: String,
    },
    /// gpsd JSON lines.
    Gpsd {
        /// Line framer.
        framer: nmea::LineFramer,
        /// Name when a report has no device.
        device: String,
        /// Name for every report, whatever gpsd calls the device.
        fixed: Option<String>,
    },
    /// KISS frames carrying APRS.
    Kiss(kiss::KissDecoder),
    /// CoT XML events.
    Cot(cot::EventSplitter),
}

impl Decoder {
    /// NMEA from `device`.
    pub fn nmea(device: &str) -> Self {
        Decoder::Nmea {
            framer: nmea::LineFramer::new(nmea::MAX_SENTENCE),
            device: device.to_owned(),
        }
    }

    /// gpsd reports named `fixed` if given, else by gpsd's device path
    /// (`fallback` when a report names none).
    pub fn gpsd(fixed: Option<&str>, fallback: &str) -> Self {
        Decoder::Gpsd {
            framer: nmea::LineFramer::new(gpsd::MAX_LINE),
            device: fallback.to_owned(),
            fixed: fixed.map(str::to_owned),
        }
    }

    /// KISS/APRS.
    pub fn kiss() -> Self {
        Decoder::Kiss(kiss::KissDecoder::new())
    }

    /// CoT.
    pub fn cot() -> Self {
        Decoder::Cot(cot::EventSplitter::new(cot::MAX_EVENT))
    }

    /// Feeds bytes; returns records and rejections. Well-formed messages
    /// that carry nothing for the relay (gpsd VERSION, APRS acks, GeoChat)
    /// produce neither.
    pub fn push(&mut self, bytes: &[u8], at: Timestamp) -> Vec<Result<FieldRecord, RadioError>> {
        let mut out = Vec::new();
        match self {
            Decoder::Nmea { framer, device } => {
                for line in framer.push(bytes) {
                    out.push(match line {
                        nmea::Line::Complete(l) => nmea::parse(&l, device, at).map(|s| s.record),
                        nmea::Line::Overlong => Err(overlong(nmea::MAX_SENTENCE)),
                    });
                }
            }
            Decoder::Gpsd {
                framer,
                device,
                fixed,
            } => {
                for line in framer.push(bytes) {
                    match line {
                        nmea::Line::Complete(l) => match gpsd::parse(&l, device, at) {
                            Ok(gpsd::Report::Tpv(mut r)) => {
                                if let Some(f) = fixed {
                                    r.device.clone_from(f);
                                }
                                out.push(Ok(r))
                            }
                            Ok(_) => {}
                            Err(e) => out.push(Err(e)),
                        },
                        nmea::Line::Overlong => out.push(Err(overlong(gpsd::MAX_LINE))),
                    }
                }
            }
            Decoder::Kiss(d) => {
                for frame in d.push(bytes) {
                    let packet = frame
                        .and_then(|f| ax25::UiFrame::decode(&f.data))
                        .and_then(|ui| aprs::parse(&ui, at));
                    match packet {
                        Ok(aprs::Packet::Position(r) | aprs::Packet::Status(r)) => out.push(Ok(r)),
                        Ok(aprs::Packet::Message(_)) => {}
                        Err(e) => out.push(Err(e)),
                    }
                }
            }
            Decoder::Cot(s) => {
                for doc in s.push(bytes) {
                    match doc.and_then(|d| cot::parse(&d)) {
                        // Chat is for people; positions come in their own events.
                        Ok(ev) if ev.kind.starts_with("b-t-f") => {}
                        Ok(ev) => out.push(Ok(ev.record(at))),
                        Err(e) => out.push(Err(e)),
                    }
                }
            }
        }
        out
    }
}

fn overlong(limit: usize) -> RadioError {
    RadioError::TooLong {
        len: limit + 1,
        limit,
    }
}

/// Counts results and forwards records; false when the receiver is gone.
async fn deliver(
    results: Vec<Result<FieldRecord, RadioError>>,
    stats: &Arc<InputStats>,
    tx: &mpsc::Sender<Arrival>,
) -> bool {
    for r in results {
        match r {
            Ok(rec) => {
                stats.ok.fetch_add(1, Ordering::Relaxed);
                if tx.send((stats.clone(), rec)).await.is_err() {
                    return false;
                }
            }
            Err(e) => {
                tracing::debug!("rejected: {e}");
                stats.reject(e.reason());
            }
        }
    }
    true
}

/// Exponential backoff, 0.2 s doubling to 10 s.
#[derive(Debug)]
pub struct Backoff(Duration);

impl Default for Backoff {
    fn default() -> Self {
        Backoff(Duration::from_millis(200))
    }
}

impl Backoff {
    /// Waits the current delay and doubles it.
    pub async fn wait(&mut self) {
        tokio::time::sleep(self.0).await;
        self.0 = (self.0 * 2).min(Duration::from_secs(10));
    }

    /// Back to the shortest delay after a success.
    pub fn reset(&mut self) {
        *self = Backoff::default();
    }
}

/// Most simultaneous TCP peers per listening input.
const MAX_PEERS: usize = 256;

/// A TCP peer that sends nothing for this long is disconnected (TAK clients
/// report at least every minute or so).
const PEER_IDLE: Duration = Duration::from_secs(600);

/// Runs one input until the record receiver is dropped. `kiss_out` carries
/// frames to transmit on a KISS input's TNC.
pub async fn run(
    cfg: InputConfig,
    stats: Arc<InputStats>,
    tx: mpsc::Sender<Arrival>,
    kiss_out: Option<mpsc::Receiver<Vec<u8>>>,
) -> anyhow::Result<()> {
    let name = cfg.name.clone();
    match cfg.kind {
        InputKind::NmeaSerial { path, device } => {
            let mut backoff = Backoff::default();
            loop {
                match tokio::fs::File::open(&path).await {
                    Ok(mut file) => {
                        stats.connected.store(true, Ordering::Relaxed);
                        backoff.reset();
                        let mut dec = Decoder::nmea(&device);
                        let mut buf = vec![0u8; 4096];
                        loop {
                            match file.read(&mut buf).await {
                                // A tty has no end; a file may grow later.
                                Ok(0) => tokio::time::sleep(Duration::from_millis(200)).await,
                                Ok(n) => {
                                    if !deliver(dec.push(&buf[..n], now()), &stats, &tx).await {
                                        return Ok(());
                                    }
                                }
                                Err(e) => {
                                    tracing::warn!(input = %name, "read {}: {e}", path.display());
                                    break;
                                }
                            }
                        }
                    }
                    Err(e) => tracing::warn!(input = %name, "open {}: {e}", path.display()),
                }
                stats.connected.store(false, Ordering::Relaxed);
                backoff.wait().await;
            }
        }
        InputKind::NmeaUdp { listen, device } => {
            udp(listen, stats, tx, move |peer| {
                Decoder::nmea(&device.clone().unwrap_or_else(|| format!("nmea-{peer}")))
            })
            .await
        }
        InputKind::CotUdp { listen } => udp(listen, stats, tx, |_| Decoder::cot()).await,
        InputKind::NmeaTcp { listen, device } => {
            tcp_listen(listen, stats, tx, move |peer| {
                Decoder::nmea(&device.clone().unwrap_or_else(|| format!("nmea-{peer}")))
            })
            .await
        }
        InputKind::CotTcp { listen } => tcp_listen(listen, stats, tx, |_| Decoder::cot()).await,
        InputKind::Gpsd { connect, device } => {
            tcp_client(
                &name,
                connect,
                stats,
                tx,
                None,
                || Decoder::gpsd(device.as_deref(), "gpsd"),
                gpsd::WATCH.as_bytes(),
            )
            .await
        }
        InputKind::KissTcp { connect } => {
            tcp_client(&name, connect, stats, tx, kiss_out, Decoder::kiss, b"").await
        }
    }
}

async fn udp(
    listen: std::net::SocketAddr,
    stats: Arc<InputStats>,
    tx: mpsc::Sender<Arrival>,
    decoder: impl Fn(std::net::SocketAddr) -> Decoder,
) -> anyhow::Result<()> {
    let sock = tokio::net::UdpSocket::bind(listen).await?;
    stats.connected.store(true, Ordering::Relaxed);
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, peer) = match sock.recv_from(&mut buf).await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("udp {listen}: {e}");
                continue;
            }
        };
        // A datagram is complete in itself: end it as a line would.
        let mut dec = decoder(peer);
        let mut results = dec.push(&buf[..n], now());
        if matches!(dec, Decoder::Nmea { .. }) {
            results.extend(dec.push(b"\n", now()));
        }
        if !deliver(results, &stats, &tx).await {
            return Ok(());
        }
    }
}

async fn tcp_listen(
    listen: std::net::SocketAddr,
    stats: Arc<InputStats>,
    tx: mpsc::Sender<Arrival>,
    decoder: impl Fn(std::net::SocketAddr) -> Decoder,
) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(listen).await?;
    stats.connected.store(true, Ordering::Relaxed);
    let peers = Arc::new(tokio::sync::Semaphore::new(MAX_PEERS));
    loop {
        let permit = peers.clone().acquire_owned().await?;
        let (mut sock, peer) = match listener.accept().await {
            Ok(x) => x,
            Err(e) => {
                tracing::warn!("accept {listen}: {e}");
                tokio::time::sleep(Duration::from_millis(100)).await;
                continue;
            }
        };
        let mut dec = decoder(peer);
        let stats = stats.clone();
        let tx = tx.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let mut buf = vec![0u8; 16 * 1024];
            // A silent peer gives its slot back after PEER_IDLE.
            while let Ok(Ok(n)) = tokio::time::timeout(PEER_IDLE, sock.read(&mut buf)).await {
                if n == 0 || !deliver(dec.push(&buf[..n], now()), &stats, &tx).await {
                    break;
                }
            }
        });
    }
}

async fn tcp_client(
    name: &str,
    addr: std::net::SocketAddr,
    stats: Arc<InputStats>,
    tx: mpsc::Sender<Arrival>,
    mut outgoing: Option<mpsc::Receiver<Vec<u8>>>,
    decoder: impl Fn() -> Decoder,
    greeting: &[u8],
) -> anyhow::Result<()> {
    let mut backoff = Backoff::default();
    loop {
        match tokio::net::TcpStream::connect(addr).await {
            Ok(mut sock) => {
                tracing::info!(input = %name, %addr, "connected");
                stats.connected.store(true, Ordering::Relaxed);
                backoff.reset();
                if sock.write_all(greeting).await.is_ok() {
                    let mut dec = decoder();
                    let mut buf = vec![0u8; 16 * 1024];
                    loop {
                        let out = async {
                            match outgoing.as_mut() {
                                Some(rx) => rx.recv().await,
                                None => std::future::pending().await,
                            }
                        };
                        tokio::select! {
                            read = sock.read(&mut buf) => match read {
                                Ok(0) | Err(_) => break,
                                Ok(n) => if !deliver(dec.push(&buf[..n], now()), &stats, &tx).await {
                                    return Ok(());
                                },
                            },
                            Some(frame) = out => {
                                if sock.write_all(&frame).await.is_err() {
                                    break;
                                }
                            }
                        }
                    }
                }
                tracing::warn!(input = %name, %addr, "disconnected");
            }
            Err(e) => tracing::debug!(input = %name, %addr, "connect: {e}"),
        }
        stats.connected.store(false, Ordering::Relaxed);
        backoff.wait().await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nmea_stream_survives_garbage_between_good_sentences() {
        let mut d = Decoder::nmea("GPS-1");
        let good =
            nmea::frame("BDGGA,083512.00,4352.8123,N,12519.2044,E,1,12,0.8,215.3,M,-3.1,M,,");
        let mut bytes = good.clone().into_bytes();
        bytes.extend(b"$GPGGA,1*00\r\n");
        bytes.extend([0xFF; 300]);
        bytes.extend(b"\n");
        bytes.extend(good.as_bytes());
        let out = d.push(&bytes, Timestamp(1_795_000_000_000));
        let oks: Vec<_> = out.iter().filter_map(|r| r.as_ref().ok()).collect();
        assert_eq!(oks.len(), 2);
        assert!(
            oks.iter()
                .all(|r| r.device == "GPS-1" && r.position.is_some())
        );
        let reasons: Vec<_> = out
            .iter()
            .filter_map(|r| r.as_ref().err())
            .map(|e| e.reason())
            .collect();
        assert_eq!(reasons, ["bad_checksum", "too_long"]);
    }

    #[test]
    fn kiss_stream_yields_aprs_records() {
        let ui = ax25::UiFrame {
            destination: ax25::Address::parse("APDW17").expect("ok"),
            source: ax25::Address::parse("BG2ABC-9").expect("ok"),
            digipeaters: vec![],
            info: b"!4352.81N/12519.20E>".to_vec(),
        };
        let mut bytes = kiss::encode(0, &ui.encode());
        bytes.extend(kiss::encode(0, &[1, 2, 3]));
        let out = Decoder::kiss().push(&bytes, Timestamp(0));
        assert_eq!(out.len(), 2);
        assert_eq!(out[0].as_ref().map(|r| r.device.as_str()), Ok("BG2ABC-9"));
        assert!(out[1].is_err());
    }
}
