//! One authenticated connection to the relay.

use crate::pin::{PinVerifier, Trust};
use domain::Command;
use protocol::{
    ClientMessage, CommandId, CommandOutcome, FrameDecoder, Hello, Limits, PROTOCOL_VERSION,
    RealmId, Seq, ServerMessage, Welcome,
};
use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{mpsc, oneshot};

/// Where and as whom to connect.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    /// Relay address.
    pub addr: SocketAddr,
    /// How to trust its certificate.
    pub trust: Trust,
    /// User name.
    pub user: String,
    /// Token from `relay user add`.
    pub token: String,
    /// This console/bridge/tool instance.
    pub device: String,
    /// Software name and version.
    pub client: String,
}

/// Why a session could not be opened or used.
#[derive(Debug, Error)]
pub enum ClientError {
    /// QUIC or TLS set-up failed.
    #[error("cannot set up the connection: {0}")]
    Setup(String),
    /// The connection failed or was closed.
    #[error("connection: {0}")]
    Connection(String),
    /// The relay refused the hello.
    #[error("relay refused: {code:?}: {message}")]
    Refused {
        /// Kind.
        code: protocol::ErrorCode,
        /// Detail.
        message: String,
    },
    /// The relay sent something that does not decode.
    #[error("bad data from the relay: {0}")]
    Protocol(String),
    /// No answer in time.
    #[error("timed out")]
    Timeout,
}

/// Opens a QUIC connection to the relay with the configured certificate
/// trust, without speaking the protocol (for tools and tests).
pub async fn raw_connection(cfg: &ClientConfig) -> Result<quinn::Connection, ClientError> {
    Ok(open(cfg).await?.1)
}

async fn open(cfg: &ClientConfig) -> Result<(quinn::Endpoint, quinn::Connection), ClientError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier: Arc<dyn rustls::client::danger::ServerCertVerifier> = match &cfg.trust {
        Trust::CaFile { ca, .. } => ca_verifier(ca, provider.clone())?,
        trust => Arc::new(PinVerifier::new(
            trust,
            &cfg.addr.to_string(),
            provider.clone(),
        )),
    };
    let server_name = match &cfg.trust {
        Trust::CaFile { server_name, .. } => server_name.clone(),
        _ => "relay".to_owned(),
    };
    let mut tls = rustls::ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(&[&rustls::version::TLS13])
        .map_err(|e| ClientError::Setup(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth();
    tls.alpn_protocols = vec![protocol::ALPN.to_vec()];
    let crypto = quinn::crypto::rustls::QuicClientConfig::try_from(tls)
        .map_err(|e| ClientError::Setup(e.to_string()))?;
    let mut qc = quinn::ClientConfig::new(Arc::new(crypto));
    let mut transport = quinn::TransportConfig::default();
    transport
        .keep_alive_interval(Some(Duration::from_secs(5)))
        .max_idle_timeout(Some(
            quinn::IdleTimeout::try_from(Duration::from_secs(30))
                .map_err(|e| ClientError::Setup(e.to_string()))?,
        ));
    qc.transport_config(Arc::new(transport));
    let bind: SocketAddr = if cfg.addr.is_ipv6() {
        SocketAddr::from((std::net::Ipv6Addr::UNSPECIFIED, 0))
    } else {
        SocketAddr::from((std::net::Ipv4Addr::UNSPECIFIED, 0))
    };
    let mut endpoint =
        quinn::Endpoint::client(bind).map_err(|e| ClientError::Setup(e.to_string()))?;
    endpoint.set_default_client_config(qc);
    let conn = endpoint
        .connect(cfg.addr, &server_name)
        .map_err(|e| ClientError::Setup(e.to_string()))?
        .await
        .map_err(|e| ClientError::Connection(e.to_string()))?;
    Ok((endpoint, conn))
}

/// Standard WebPKI verification against the CAs in a PEM file.
fn ca_verifier(
    ca: &std::path::Path,
    provider: Arc<rustls::crypto::CryptoProvider>,
) -> Result<Arc<dyn rustls::client::danger::ServerCertVerifier>, ClientError> {
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let mut roots = rustls::RootCertStore::empty();
    let certs = CertificateDer::pem_file_iter(ca)
        .map_err(|e| ClientError::Setup(format!("cannot read {}: {e}", ca.display())))?;
    for cert in certs {
        let cert = cert.map_err(|e| ClientError::Setup(format!("{}: {e}", ca.display())))?;
        roots
            .add(cert)
            .map_err(|e| ClientError::Setup(format!("{}: {e}", ca.display())))?;
    }
    let verifier =
        rustls::client::WebPkiServerVerifier::builder_with_provider(Arc::new(roots), provider)
            .build()
            .map_err(|e| ClientError::Setup(e.to_string()))?;
    Ok(verifier)
}

type Waiters = Arc<Mutex<HashMap<CommandId, oneshot::Sender<CommandOutcome>>>>;

/// An authenticated session. Decisions, snapshots and notices arrive through
/// [`Session::next_message`]; command results go to whoever awaits them.
pub struct Session {
    endpoint: quinn::Endpoint,
    conn: quinn::Connection,
    send: tokio::sync::Mutex<quinn::SendStream>,
    incoming: mpsc::UnboundedReceiver<ServerMessage>,
    waiters: Waiters,
    next_id: AtomicU64,
    welcome: Welcome,
}

async fn write(send: &mut quinn::SendStream, msg: &ClientMessage) -> Result<(), ClientError> {
    let bytes = protocol::encode(msg, Limits::FROM_CLIENT)
        .map_err(|e| ClientError::Protocol(e.to_string()))?;
    send.write_all(&bytes)
        .await
        .map_err(|e| ClientError::Connection(e.to_string()))
}

impl Session {
    /// Connects, checks the certificate, says hello and waits for the welcome.
    pub async fn connect(cfg: &ClientConfig) -> Result<Session, ClientError> {
        let (endpoint, conn) = open(cfg).await?;
        let (mut send, recv) = conn
            .open_bi()
            .await
            .map_err(|e| ClientError::Connection(e.to_string()))?;
        write(
            &mut send,
            &ClientMessage::Hello(Hello {
                protocol_version: PROTOCOL_VERSION,
                client: cfg.client.clone(),
                user: cfg.user.clone(),
                token: cfg.token.clone(),
                device: cfg.device.clone(),
            }),
        )
        .await?;
        let waiters: Waiters = Arc::default();
        let (tx, mut incoming) = mpsc::unbounded_channel();
        tokio::spawn(read_loop(recv, tx, waiters.clone()));
        let first = tokio::time::timeout(Duration::from_secs(10), incoming.recv())
            .await
            .map_err(|_| ClientError::Timeout)?;
        let welcome = match first {
            Some(ServerMessage::Welcome(w)) => w,
            Some(ServerMessage::Error { code, message }) => {
                return Err(ClientError::Refused { code, message });
            }
            Some(other) => {
                return Err(ClientError::Protocol(format!(
                    "expected welcome, got {other:?}"
                )));
            }
            None => return Err(ClientError::Connection("closed before welcome".into())),
        };
        Ok(Session {
            endpoint,
            conn,
            send: tokio::sync::Mutex::new(send),
            incoming,
            waiters,
            next_id: AtomicU64::new(1),
            welcome,
        })
    }

    /// Connects, retrying with exponential backoff (0.2 s doubling to 5 s)
    /// up to `attempts` times.
    pub async fn connect_with_backoff(
        cfg: &ClientConfig,
        attempts: u32,
    ) -> Result<Session, ClientError> {
        let mut delay = Duration::from_millis(200);
        let mut last = ClientError::Timeout;
        for _ in 0..attempts.max(1) {
            match Session::connect(cfg).await {
                Ok(s) => return Ok(s),
                Err(e @ ClientError::Refused { .. }) => return Err(e),
                Err(e) => last = e,
            }
            tokio::time::sleep(delay).await;
            delay = (delay * 2).min(Duration::from_secs(5));
        }
        Err(last)
    }

    /// The relay's welcome (role, realms).
    pub fn welcome(&self) -> &Welcome {
        &self.welcome
    }

    /// Sends any message.
    pub async fn send(&self, msg: &ClientMessage) -> Result<(), ClientError> {
        write(&mut *self.send.lock().await, msg).await
    }

    /// Subscribes to a realm after `from_seq`.
    pub async fn subscribe(&self, realm: &RealmId, from_seq: Seq) -> Result<(), ClientError> {
        self.send(&ClientMessage::Subscribe {
            realm: realm.clone(),
            from_seq,
        })
        .await
    }

    /// Sends a command and waits for its outcome (accepted once durable).
    pub async fn command(
        &self,
        realm: &RealmId,
        command: Command,
    ) -> Result<CommandOutcome, ClientError> {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        let (tx, rx) = oneshot::channel();
        if let Ok(mut w) = self.waiters.lock() {
            w.insert(id, tx);
        }
        self.send(&ClientMessage::Command {
            id,
            realm: realm.clone(),
            command: Box::new(command),
        })
        .await?;
        tokio::time::timeout(Duration::from_secs(30), rx)
            .await
            .map_err(|_| ClientError::Timeout)?
            .map_err(|_| ClientError::Connection("closed before the result".into()))
    }

    /// The next decision, snapshot or notice; `None` when the connection ends.
    pub async fn next_message(&mut self) -> Option<ServerMessage> {
        self.incoming.recv().await
    }

    /// Why the connection closed, if it has.
    pub fn close_reason(&self) -> Option<String> {
        self.conn.close_reason().map(|r| r.to_string())
    }

    /// Closes the connection.
    pub async fn close(self) {
        if let Ok(mut s) = self.send.try_lock() {
            let _ = s.finish();
        }
        self.conn.close(0u32.into(), b"bye");
        self.endpoint.wait_idle().await;
    }
}

async fn read_loop(
    mut recv: quinn::RecvStream,
    tx: mpsc::UnboundedSender<ServerMessage>,
    waiters: Waiters,
) {
    let mut decoder = FrameDecoder::new(Limits::FROM_RELAY);
    let mut buf = vec![0u8; 64 * 1024];
    'stream: loop {
        let n = match recv.read(&mut buf).await {
            Ok(Some(n)) => n,
            _ => break,
        };
        decoder.push(&buf[..n]);
        loop {
            match decoder.next_message::<ServerMessage>() {
                Ok(Some(ServerMessage::CommandResult { id, outcome })) => {
                    let waiter = waiters.lock().ok().and_then(|mut w| w.remove(&id));
                    if let Some(w) = waiter {
                        let _ = w.send(outcome);
                    }
                }
                Ok(Some(msg)) => {
                    if tx.send(msg).is_err() {
                        break 'stream;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    tracing::warn!("bad frame from relay: {e}");
                    break 'stream;
                }
            }
        }
    }
    // Nobody will answer the commands still waiting.
    if let Ok(mut w) = waiters.lock() {
        w.clear();
    }
}
