//! Certificate pinning: the relay's self-signed certificate is trusted by
//! its SHA-256 fingerprint, given by the operator or remembered on first use.

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{CryptoProvider, verify_tls12_signature, verify_tls13_signature};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, Error, SignatureScheme};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// How the client decides to trust the relay.
#[derive(Debug, Clone)]
pub enum Trust {
    /// Only a certificate with this SHA-256 fingerprint ("AB:CD:…", as
    /// `relay fingerprint` prints it).
    Pinned(String),
    /// Trust on first use: remember the fingerprint per relay address in this
    /// file; refuse a different one later.
    FirstUse(PathBuf),
    /// A certificate issued for `server_name` by a CA in this PEM file.
    CaFile {
        /// PEM file with the CA certificate(s).
        ca: PathBuf,
        /// Name the relay's certificate is issued for.
        server_name: String,
    },
}

pub use protocol::fingerprint;

fn normalize(fp: &str) -> String {
    fp.chars()
        .filter(char::is_ascii_hexdigit)
        .map(|c| c.to_ascii_uppercase())
        .collect()
}

#[derive(Debug)]
pub(crate) struct PinVerifier {
    expected: Mutex<Option<String>>,
    /// Where to remember a first-use fingerprint, with the relay's key in it.
    remember: Option<(PathBuf, String)>,
    provider: Arc<CryptoProvider>,
}

impl PinVerifier {
    pub(crate) fn new(trust: &Trust, relay_key: &str, provider: Arc<CryptoProvider>) -> Self {
        let (expected, remember) = match trust {
            Trust::Pinned(fp) => (Some(normalize(fp)), None),
            Trust::CaFile { .. } => (None, None),
            Trust::FirstUse(path) => {
                let known = std::fs::read_to_string(path).unwrap_or_default();
                let fp = known.lines().find_map(|l| {
                    let (k, v) = l.split_once(' ')?;
                    (k == relay_key).then(|| normalize(v))
                });
                (fp, Some((path.clone(), relay_key.to_owned())))
            }
        };
        Self {
            expected: Mutex::new(expected),
            remember,
            provider,
        }
    }
}

impl ServerCertVerifier for PinVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, Error> {
        let seen = normalize(&fingerprint(end_entity));
        let mut expected = self
            .expected
            .lock()
            .map_err(|_| Error::General("pin store poisoned".into()))?;
        match expected.as_ref() {
            Some(fp) if *fp == seen => Ok(ServerCertVerified::assertion()),
            Some(_) => Err(Error::General(format!(
                "relay certificate fingerprint {} does not match the pinned one",
                fingerprint(end_entity)
            ))),
            None => {
                // First use: remember it so a later impostor is refused.
                if let Some((path, key)) = &self.remember {
                    let line = format!("{key} {}\n", fingerprint(end_entity));
                    use std::io::Write;
                    let written = std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)
                        .and_then(|mut f| f.write_all(line.as_bytes()).and_then(|_| f.sync_all()));
                    if let Err(e) = written {
                        return Err(Error::General(format!(
                            "cannot remember the relay fingerprint in {}: {e}",
                            path.display()
                        )));
                    }
                }
                *expected = Some(seen);
                Ok(ServerCertVerified::assertion())
            }
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}
