//! Prometheus text metrics on a plain HTTP port: connections by role,
//! decisions and rejections, group-commit latency, subscriber resyncs.

use domain::Role;
use std::fmt::Write as _;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tracing::{info, warn};

/// Upper bounds (seconds) of the commit latency histogram buckets.
const BUCKETS: [f64; 10] = [
    0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.5,
];

const ROLES: [Role; 7] = Role::ALL;

/// A latency histogram with fixed buckets.
#[derive(Default)]
struct Histogram {
    count: AtomicU64,
    buckets: [AtomicU64; 10],
    micros_sum: AtomicU64,
}

impl Histogram {
    fn observe(&self, d: Duration) {
        self.count.fetch_add(1, Ordering::Relaxed);
        self.micros_sum
            .fetch_add(d.as_micros() as u64, Ordering::Relaxed);
        let s = d.as_secs_f64();
        if let Some(i) = BUCKETS.iter().position(|b| s <= *b) {
            self.buckets[i].fetch_add(1, Ordering::Relaxed);
        }
    }

    fn render(&self, name: &str, out: &mut String) {
        let _ = writeln!(out, "# TYPE {name} histogram");
        let mut cumulative = 0;
        for (i, b) in BUCKETS.iter().enumerate() {
            cumulative += self.buckets[i].load(Ordering::Relaxed);
            let _ = writeln!(out, "{name}_bucket{{le=\"{b}\"}} {cumulative}");
        }
        let count = self.count.load(Ordering::Relaxed);
        let _ = writeln!(out, "{name}_bucket{{le=\"+Inf\"}} {count}");
        let sum = self.micros_sum.load(Ordering::Relaxed) as f64 / 1e6;
        let _ = writeln!(out, "{name}_sum {sum}\n{name}_count {count}");
    }
}

/// Counters shared by sessions and realms.
#[derive(Default)]
pub struct Metrics {
    connections: [AtomicI64; 7],
    decisions: AtomicU64,
    rejections: AtomicU64,
    resyncs: AtomicU64,
    commit: Histogram,
    fsync: Histogram,
    /// Deepest subscriber queue per realm after the last broadcast.
    queue_depth: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    /// Last durable seq per realm.
    last_seq: std::sync::Mutex<std::collections::BTreeMap<String, u64>>,
    /// Queue depth per (realm, session) after the last broadcast.
    session_lag: std::sync::Mutex<std::collections::BTreeMap<(String, u64), u64>>,
}

fn role_index(role: Role) -> usize {
    ROLES.iter().position(|r| *r == role).unwrap_or(0)
}

impl Metrics {
    /// A session authenticated in `role` (+1) or ended (-1).
    pub fn connection(&self, role: Role, delta: i64) {
        self.connections[role_index(role)].fetch_add(delta, Ordering::Relaxed);
    }

    /// Decisions written.
    pub fn decided(&self, n: u64) {
        self.decisions.fetch_add(n, Ordering::Relaxed);
    }

    /// A command refused by the domain.
    pub fn rejected(&self) {
        self.rejections.fetch_add(1, Ordering::Relaxed);
    }

    /// A subscriber told to resync.
    pub fn resynced(&self) {
        self.resyncs.fetch_add(1, Ordering::Relaxed);
    }

    /// One group commit took `total` (write + fsync), `fsync` of it syncing.
    pub fn committed(&self, total: Duration, fsync: Duration) {
        self.commit.observe(total);
        self.fsync.observe(fsync);
    }

    /// A realm's last durable seq (set before anyone is told of it).
    pub fn realm_seq(&self, realm: &str, last_seq: u64) {
        if let Ok(mut m) = self.last_seq.lock() {
            m.insert(realm.to_owned(), last_seq);
        }
    }

    /// After a broadcast: each subscriber's queue depth (decisions not yet
    /// written to its connection), by session.
    pub fn realm_queues(&self, realm: &str, queues: &[(u64, u64)]) {
        let deepest = queues.iter().map(|(_, d)| *d).max().unwrap_or(0);
        if let Ok(mut m) = self.queue_depth.lock() {
            m.insert(realm.to_owned(), deepest);
        }
        if let Ok(mut m) = self.session_lag.lock() {
            m.retain(|(r, _), _| r != realm);
            for (session, depth) in queues {
                m.insert((realm.to_owned(), *session), *depth);
            }
        }
    }

    /// The metrics in Prometheus text exposition format.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "# TYPE relay_connections gauge");
        for (i, role) in ROLES.iter().enumerate() {
            let _ = writeln!(
                out,
                "relay_connections{{role=\"{role:?}\"}} {}",
                self.connections[i].load(Ordering::Relaxed)
            );
        }
        for (name, v) in [
            ("relay_decisions_total", &self.decisions),
            ("relay_rejections_total", &self.rejections),
            ("relay_subscriber_resyncs_total", &self.resyncs),
        ] {
            let _ = writeln!(
                out,
                "# TYPE {name} counter\n{name} {}",
                v.load(Ordering::Relaxed)
            );
        }
        for (name, map) in [
            ("relay_realm_last_seq", &self.last_seq),
            ("relay_subscriber_queue_max", &self.queue_depth),
        ] {
            let _ = writeln!(out, "# TYPE {name} gauge");
            if let Ok(m) = map.lock() {
                for (realm, v) in m.iter() {
                    let _ = writeln!(out, "{name}{{realm=\"{realm}\"}} {v}");
                }
            }
        }
        let _ = writeln!(out, "# TYPE relay_subscriber_queue gauge");
        if let Ok(m) = self.session_lag.lock() {
            for ((realm, session), v) in m.iter() {
                let _ = writeln!(
                    out,
                    "relay_subscriber_queue{{realm=\"{realm}\",session=\"{session}\"}} {v}"
                );
            }
        }
        self.commit.render("relay_commit_seconds", &mut out);
        self.fsync.render("relay_fsync_seconds", &mut out);
        out
    }
}

/// Serves `GET /metrics` (any path answers the same) until the task is dropped.
pub async fn serve(addr: SocketAddr, metrics: Arc<Metrics>) {
    let listener = match tokio::net::TcpListener::bind(addr).await {
        Ok(l) => l,
        Err(e) => {
            warn!(%addr, "cannot serve metrics: {e}");
            return;
        }
    };
    info!(%addr, "metrics on http://{addr}/metrics");
    loop {
        let Ok((mut stream, _)) = listener.accept().await else {
            continue;
        };
        let metrics = metrics.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 2048];
            let _ = tokio::time::timeout(Duration::from_secs(2), stream.read(&mut buf)).await;
            let body = metrics.render();
            let head = format!(
                "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes()).await;
            let _ = stream.write_all(body.as_bytes()).await;
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_buckets_are_cumulative() {
        let m = Metrics::default();
        m.committed(Duration::from_micros(300), Duration::from_micros(200));
        m.committed(Duration::from_millis(3), Duration::from_millis(2));
        m.committed(Duration::from_millis(40), Duration::from_millis(39));
        m.connection(Role::DutyOfficer, 1);
        m.realm_seq("live", 42);
        m.realm_queues("live", &[(1, 7), (2, 3)]);
        let text = m.render();
        assert!(
            text.contains("relay_realm_last_seq{realm=\"live\"} 42"),
            "{text}"
        );
        assert!(
            text.contains("relay_subscriber_queue_max{realm=\"live\"} 7"),
            "{text}"
        );
        assert!(
            text.contains("relay_commit_seconds_bucket{le=\"0.0005\"} 1"),
            "{text}"
        );
        assert!(
            text.contains("relay_commit_seconds_bucket{le=\"0.005\"} 2"),
            "{text}"
        );
        assert!(
            text.contains("relay_commit_seconds_bucket{le=\"+Inf\"} 3"),
            "{text}"
        );
        assert!(
            text.contains("relay_connections{role=\"DutyOfficer\"} 1"),
            "{text}"
        );
    }
}
