//! Per-input counters and their Prometheus text exposition.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Counters of one input.
#[derive(Debug, Default)]
pub struct InputStats {
    /// Records parsed.
    pub ok: AtomicU64,
    /// Records forwarded to the relay after thinning.
    pub forwarded: AtomicU64,
    /// Rejected inputs by reason.
    rejected: Mutex<BTreeMap<&'static str, u64>>,
    /// Connected (client inputs) or listening (servers).
    pub connected: AtomicBool,
}

impl InputStats {
    /// Counts a rejection.
    pub fn reject(&self, reason: &'static str) {
        if let Ok(mut m) = self.rejected.lock() {
            *m.entry(reason).or_default() += 1;
        }
    }

    /// Rejections so far by reason.
    pub fn rejected(&self) -> BTreeMap<&'static str, u64> {
        self.rejected.lock().map(|m| m.clone()).unwrap_or_default()
    }
}

/// All inputs' counters, by input name, and the relay link state.
#[derive(Debug, Default)]
pub struct Registry {
    inputs: Mutex<BTreeMap<String, (&'static str, Arc<InputStats>)>>,
    /// Connected to the relay.
    pub relay_connected: AtomicBool,
    /// Observations sent to the relay.
    pub sent: AtomicU64,
    /// TAK clients connected to the CoT output.
    pub cot_clients: AtomicU64,
    /// CoT messages a slow TAK client skipped (it fell a full buffer behind).
    pub cot_skipped: AtomicU64,
    /// APRS messages handed to a TNC.
    pub aprs_sent: AtomicU64,
}

impl Registry {
    /// The counters of input `name` (format `format`), created on first use.
    pub fn input(&self, name: &str, format: &'static str) -> Arc<InputStats> {
        let mut m = self.inputs.lock().unwrap_or_else(|e| e.into_inner());
        m.entry(name.to_owned())
            .or_insert_with(|| (format, Arc::default()))
            .1
            .clone()
    }

    /// Each input's name, format and whether it is up, by name.
    pub fn input_states(&self) -> Vec<(String, &'static str, bool)> {
        let m = self.inputs.lock().unwrap_or_else(|e| e.into_inner());
        m.iter()
            .map(|(name, (fmt, st))| (name.clone(), *fmt, st.connected.load(Ordering::Relaxed)))
            .collect()
    }

    /// Prometheus text format (version 0.0.4).
    pub fn render(&self) -> String {
        let mut s = String::new();
        let inputs = self.inputs.lock().map(|m| m.clone()).unwrap_or_default();
        let _ = writeln!(s, "# TYPE bridge_records_total counter");
        for (name, (fmt, st)) in &inputs {
            let _ = writeln!(
                s,
                "bridge_records_total{{input=\"{name}\",format=\"{fmt}\"}} {}",
                st.ok.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(s, "# TYPE bridge_forwarded_total counter");
        for (name, (fmt, st)) in &inputs {
            let _ = writeln!(
                s,
                "bridge_forwarded_total{{input=\"{name}\",format=\"{fmt}\"}} {}",
                st.forwarded.load(Ordering::Relaxed)
            );
        }
        let _ = writeln!(s, "# TYPE bridge_rejected_total counter");
        for (name, (fmt, st)) in &inputs {
            for (reason, n) in st.rejected() {
                let _ = writeln!(
                    s,
                    "bridge_rejected_total{{input=\"{name}\",format=\"{fmt}\",reason=\"{reason}\"}} {n}"
                );
            }
        }
        let _ = writeln!(s, "# TYPE bridge_input_up gauge");
        for (name, (fmt, st)) in &inputs {
            let _ = writeln!(
                s,
                "bridge_input_up{{input=\"{name}\",format=\"{fmt}\"}} {}",
                u8::from(st.connected.load(Ordering::Relaxed))
            );
        }
        let _ = writeln!(s, "# TYPE bridge_relay_up gauge");
        let _ = writeln!(
            s,
            "bridge_relay_up {}",
            u8::from(self.relay_connected.load(Ordering::Relaxed))
        );
        let _ = writeln!(s, "# TYPE bridge_observations_sent_total counter");
        let _ = writeln!(
            s,
            "bridge_observations_sent_total {}",
            self.sent.load(Ordering::Relaxed)
        );
        let _ = writeln!(s, "# TYPE bridge_cot_clients gauge");
        let _ = writeln!(
            s,
            "bridge_cot_clients {}",
            self.cot_clients.load(Ordering::Relaxed)
        );
        let _ = writeln!(s, "# TYPE bridge_cot_skipped_total counter");
        let _ = writeln!(
            s,
            "bridge_cot_skipped_total {}",
            self.cot_skipped.load(Ordering::Relaxed)
        );
        let _ = writeln!(s, "# TYPE bridge_aprs_messages_sent_total counter");
        let _ = writeln!(
            s,
            "bridge_aprs_messages_sent_total {}",
            self.aprs_sent.load(Ordering::Relaxed)
        );
        s
    }
}

/// Serves `GET /metrics` (any path) until the process ends.
pub async fn serve(addr: SocketAddr, registry: Arc<Registry>) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    tracing::info!(%addr, "metrics listening");
    loop {
        let (mut sock, _) = match listener.accept().await {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!("metrics accept: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
                continue;
            }
        };
        let registry = registry.clone();
        tokio::spawn(async move {
            // The request is not needed beyond its arrival; read a bounded bit.
            let mut req = [0u8; 1024];
            let _ =
                tokio::time::timeout(std::time::Duration::from_secs(2), sock.read(&mut req)).await;
            let body = registry.render();
            let resp = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = sock.write_all(resp.as_bytes()).await;
        });
    }
}
