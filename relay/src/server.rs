//! The QUIC listener: TLS from the data directory's identity, a connection
//! limit, one task per session, and the realms.

use crate::config::Config;
use crate::identity::Identity;
use crate::realm::{self, RealmHandle, RealmOptions};
use crate::users::Users;
use anyhow::{Context, Result};
use domain::RealmKind;
use protocol::RealmId;
use rustls::pki_types::CertificateDer;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;
use tokio::sync::Semaphore;
use tracing::{info, warn};

/// What sessions share.
pub struct Shared {
    /// Configuration.
    pub config: Config,
    /// Accounts (re-read on start only).
    pub users: RwLock<Users>,
    /// Open realms by name.
    pub realms: RwLock<BTreeMap<RealmId, RealmHandle>>,
    /// Counters for `/metrics`.
    pub metrics: Arc<crate::metrics::Metrics>,
    ledger_key: ed25519_dalek::SigningKey,
}

impl Shared {
    fn realm_options(&self) -> RealmOptions {
        RealmOptions {
            snapshot_threshold: self.config.snapshot_threshold,
            snapshot_every: self.config.snapshot_every,
            checkpoint_every: self.config.checkpoint_every,
            checkpoint_interval: Duration::from_secs(self.config.checkpoint_interval_s),
            segment_max_bytes: self.config.segment_max_bytes,
            subscriber_queue: self.config.subscriber_queue,
        }
    }

    /// Opens a realm if it is not open yet.
    pub fn open_realm(&self, id: RealmId, kind: RealmKind) -> Result<()> {
        let mut realms = self
            .realms
            .write()
            .map_err(|_| anyhow::anyhow!("realm table poisoned"))?;
        if realms.contains_key(&id) {
            return Ok(());
        }
        let handle = realm::start(
            &self.config.data,
            id.clone(),
            kind,
            self.ledger_key.clone(),
            self.realm_options(),
            self.metrics.clone(),
        )?;
        realms.insert(id, handle);
        Ok(())
    }
}

impl Shared {
    /// Closes a drill realm: pending decisions are written, the realm stops
    /// and is marked closed so it stays closed across restarts. Returns
    /// false if it was not open.
    pub fn close_realm(&self, id: &RealmId) -> Result<bool> {
        let handle = self
            .realms
            .write()
            .map_err(|_| anyhow::anyhow!("realm table poisoned"))?
            .remove(id);
        let Some(mut handle) = handle else {
            return Ok(false);
        };
        handle.stop();
        let marker = realm::realm_dir(&self.config.data, id).join("closed");
        std::fs::write(&marker, b"closed\n")?;
        std::fs::File::open(&marker)?.sync_all()?;
        info!(realm = %id.0, "drill realm closed");
        Ok(true)
    }
}

/// Entry point.
pub struct Server;

/// A running relay.
pub struct ServerHandle {
    /// Where it listens.
    pub local_addr: SocketAddr,
    /// SHA-256 fingerprint of its certificate.
    pub fingerprint: String,
    endpoint: quinn::Endpoint,
    shared: Arc<Shared>,
    accept: tokio::task::JoinHandle<()>,
    metrics_task: Option<tokio::task::JoinHandle<()>>,
}

impl Server {
    /// Opens the data directory (creating keys on first start), recovers
    /// every realm and starts listening.
    pub async fn start(config: Config) -> Result<ServerHandle> {
        std::fs::create_dir_all(&config.data)
            .with_context(|| format!("cannot create {}", config.data.display()))?;
        let (mut identity, created) = Identity::load_or_create(&config.data)?;
        match (&config.tls_cert, &config.tls_key) {
            (Some(cert), Some(key)) => identity.use_pem(cert, key)?,
            (None, None) => {}
            _ => anyhow::bail!("tls_cert and tls_key must be given together"),
        }
        if created {
            info!("new relay identity created in {}", config.data.display());
        }
        let fingerprint = identity.fingerprint();
        let users = Users::load(&config.data)?;
        let shared = Arc::new(Shared {
            config: config.clone(),
            users: RwLock::new(users),
            realms: RwLock::new(BTreeMap::new()),
            metrics: Arc::default(),
            ledger_key: identity.ledger_key.clone(),
        });
        let metrics_task = config
            .metrics_listen
            .map(|addr| tokio::spawn(crate::metrics::serve(addr, shared.metrics.clone())));
        shared.open_realm(RealmId::live(), RealmKind::Live)?;
        let realms_dir = config.data.join("realms");
        for entry in std::fs::read_dir(&realms_dir)?.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let closed = entry.path().join("closed").exists();
            if name.starts_with("drill-") && realm::valid_name(&name) && !closed {
                shared.open_realm(RealmId(name), RealmKind::Drill)?;
            }
        }

        let endpoint = quinn::Endpoint::server(server_config(&identity, &config)?, config.listen)
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let local_addr = endpoint.local_addr()?;
        info!(%local_addr, %fingerprint, "relay listening");
        let accept = tokio::spawn(accept_loop(endpoint.clone(), shared.clone()));
        Ok(ServerHandle {
            local_addr,
            fingerprint,
            endpoint,
            shared,
            accept,
            metrics_task,
        })
    }
}

fn server_config(identity: &Identity, config: &Config) -> Result<quinn::ServerConfig> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut tls = rustls::ServerConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])?
        .with_no_client_auth()
        .with_single_cert(
            identity
                .cert_chain
                .iter()
                .map(|c| CertificateDer::from(c.clone()))
                .collect(),
            identity.key.clone_key(),
        )?;
    tls.alpn_protocols = vec![protocol::ALPN.to_vec()];
    let crypto = quinn::crypto::rustls::QuicServerConfig::try_from(tls)?;
    let mut sc = quinn::ServerConfig::with_crypto(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport
        .max_idle_timeout(Some(quinn::IdleTimeout::try_from(Duration::from_secs(
            config.idle_timeout_s,
        ))?))
        .keep_alive_interval(Some(Duration::from_secs(5)))
        .max_concurrent_bidi_streams(4u32.into())
        .max_concurrent_uni_streams(0u32.into());
    sc.transport_config(Arc::new(transport));
    Ok(sc)
}

async fn accept_loop(endpoint: quinn::Endpoint, shared: Arc<Shared>) {
    let limit = Arc::new(Semaphore::new(shared.config.max_connections));
    let next_session = AtomicU64::new(1);
    while let Some(incoming) = endpoint.accept().await {
        let Ok(permit) = limit.clone().try_acquire_owned() else {
            warn!(
                "connection limit reached, refusing {}",
                incoming.remote_address()
            );
            incoming.refuse();
            continue;
        };
        let shared = shared.clone();
        let session = next_session.fetch_add(1, Ordering::Relaxed);
        tokio::spawn(async move {
            match incoming.await {
                Ok(conn) => crate::session::run(conn, shared, session).await,
                Err(e) => tracing::debug!("handshake failed: {e}"),
            }
            drop(permit);
        });
    }
}

impl ServerHandle {
    /// Seq of a realm's last durable decision.
    pub fn last_seq(&self, realm: &RealmId) -> Option<u64> {
        self.shared
            .realms
            .read()
            .ok()
            .and_then(|r| r.get(realm).map(RealmHandle::last_seq))
    }

    /// Stops accepting, closes connections, writes what is pending and
    /// closes every realm's log.
    pub async fn shutdown(self) {
        self.endpoint.close(0u32.into(), b"relay shutting down");
        self.accept.abort();
        if let Some(m) = &self.metrics_task {
            m.abort();
        }
        let shared = self.shared.clone();
        let _ = tokio::task::spawn_blocking(move || {
            if let Ok(mut realms) = shared.realms.write() {
                for r in realms.values_mut() {
                    r.stop();
                }
            }
        })
        .await;
        self.endpoint.wait_idle().await;
    }
}
