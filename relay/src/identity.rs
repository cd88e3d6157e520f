//! Keys in the data directory: the TLS certificate clients pin, and the
//! ed25519 key that signs ledger checkpoints. Created on first start.

use anyhow::{Context, Result};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

/// The relay's TLS certificate chain and key, and its checkpoint signing key.
pub struct Identity {
    /// Certificate chain, leaf first (DER).
    pub cert_chain: Vec<Vec<u8>>,
    /// The leaf's private key (DER, PKCS#8 unless loaded from PEM).
    pub key: rustls::pki_types::PrivateKeyDer<'static>,
    /// Signs ledger checkpoints.
    pub ledger_key: ed25519_dalek::SigningKey,
}

fn tls_dir(data: &Path) -> PathBuf {
    data.join("tls")
}

/// Writes a secret file readable only by the owner, durably.
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    let mut opts = fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        opts.mode(0o600);
    }
    let mut f = opts
        .open(path)
        .with_context(|| format!("cannot create {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

impl Identity {
    /// Loads the identity from `data`, creating keys and certificate if absent.
    /// Returns whether it was created now.
    pub fn load_or_create(data: &Path) -> Result<(Identity, bool)> {
        let dir = tls_dir(data);
        let (cert_path, key_path, ledger_path) = (
            dir.join("cert.der"),
            dir.join("key.der"),
            data.join("ledger.key"),
        );
        let mut created = false;
        fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
        if !cert_path.exists() {
            let names = vec!["localhost".to_string(), "relay".to_string()];
            let ck =
                rcgen::generate_simple_self_signed(names).context("cannot make a certificate")?;
            write_private(&key_path, &ck.signing_key.serialize_der())?;
            write_private(&cert_path, ck.cert.der())?;
            created = true;
        }
        if !ledger_path.exists() {
            let mut seed = [0u8; 32];
            getrandom::fill(&mut seed).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
            write_private(&ledger_path, &seed)?;
            created = true;
        }
        let cert_der = fs::read(&cert_path)?;
        let key_der = fs::read(&key_path)?;
        let key = rustls::pki_types::PrivateKeyDer::Pkcs8(key_der.into());
        let seed: [u8; 32] = fs::read(&ledger_path)?
            .try_into()
            .map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", ledger_path.display()))?;
        Ok((
            Identity {
                cert_chain: vec![cert_der],
                key,
                ledger_key: ed25519_dalek::SigningKey::from_bytes(&seed),
            },
            created,
        ))
    }

    /// Replaces the self-signed certificate with an operator-issued chain
    /// and key (PEM files), for clients that trust the operator's CA.
    pub fn use_pem(&mut self, cert: &Path, key: &Path) -> Result<()> {
        use rustls::pki_types::pem::PemObject;
        use rustls::pki_types::{CertificateDer, PrivateKeyDer};
        let chain: Vec<Vec<u8>> = CertificateDer::pem_file_iter(cert)
            .with_context(|| format!("cannot read {}", cert.display()))?
            .map(|c| c.map(|c| c.to_vec()))
            .collect::<Result<_, _>>()
            .with_context(|| format!("{} is not a PEM certificate chain", cert.display()))?;
        if chain.is_empty() {
            anyhow::bail!("{} holds no certificate", cert.display());
        }
        self.key = PrivateKeyDer::from_pem_file(key)
            .with_context(|| format!("{} is not a PEM private key", key.display()))?;
        self.cert_chain = chain;
        Ok(())
    }

    /// SHA-256 of the leaf certificate, as clients pin it ("AB:CD:…").
    pub fn fingerprint(&self) -> String {
        self.cert_chain
            .first()
            .map(|c| fingerprint(c))
            .unwrap_or_default()
    }
}

pub use protocol::fingerprint;

/// The checkpoint verifying key stored in a data directory.
pub fn ledger_verifying_key(data: &Path) -> Result<ed25519_dalek::VerifyingKey> {
    let path = data.join("ledger.key");
    let seed: [u8; 32] = fs::read(&path)
        .with_context(|| format!("cannot read {}", path.display()))?
        .try_into()
        .map_err(|_| anyhow::anyhow!("{} is not a 32-byte key", path.display()))?;
    Ok(ed25519_dalek::SigningKey::from_bytes(&seed).verifying_key())
}
