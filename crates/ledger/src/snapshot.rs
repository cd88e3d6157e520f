//! Snapshot files: `snapshots/snap-{seq:020}.bin`, a header binding the body
//! to a seq and its chain hash, then the opaque body.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};

use crate::files;
use crate::record::array;

/// First bytes of every snapshot file.
const MAGIC: [u8; 4] = *b"ECS1";
/// Magic, seq, chain hash at seq, SHA-256 of the body, body length.
const HEADER_LEN: usize = 4 + 8 + 32 + 32 + 8;

/// A failed file operation and the path it concerned.
pub(crate) type PathError = (PathBuf, io::Error);

/// Durably stores `body` as the snapshot at `seq`: temp file, fsync, rename, fsync directory.
pub(crate) fn write(
    ledger_dir: &Path,
    seq: u64,
    chain_hash: &[u8; 32],
    body: &[u8],
) -> Result<(), PathError> {
    let dir = ledger_dir.join(files::SNAPSHOT_DIR);
    if !dir.is_dir() {
        fs::create_dir_all(&dir).map_err(|e| (dir.clone(), e))?;
        files::sync_dir(ledger_dir).map_err(|e| (ledger_dir.to_path_buf(), e))?;
    }
    let name = files::snapshot_name(seq);
    let path = dir.join(&name);
    let tmp = dir.join(format!("{name}{}", files::TMP_SUFFIX));
    let mut header = [0u8; HEADER_LEN];
    header[0..4].copy_from_slice(&MAGIC);
    header[4..12].copy_from_slice(&seq.to_le_bytes());
    header[12..44].copy_from_slice(chain_hash);
    header[44..76].copy_from_slice(&Sha256::digest(body));
    header[76..84].copy_from_slice(&(body.len() as u64).to_le_bytes());
    let written = File::create(&tmp).and_then(|mut f| {
        f.write_all(&header)?;
        f.write_all(body)?;
        f.sync_all()
    });
    written.map_err(|e| (tmp.clone(), e))?;
    fs::rename(&tmp, &path).map_err(|e| (path.clone(), e))?;
    files::sync_dir(&dir).map_err(|e| (dir, e))
}

/// The chain hash and body of the snapshot at `path`, if it is intact and
/// really is the snapshot at `seq`; `None` for any failed check or read.
pub(crate) fn read_checked(path: &Path, seq: u64) -> Option<([u8; 32], Vec<u8>)> {
    let mut bytes = fs::read(path).ok()?;
    let header = bytes.get(..HEADER_LEN)?;
    let body_len = u64::from_le_bytes(array(&header[76..84]));
    let intact = header[0..4] == MAGIC
        && u64::from_le_bytes(array(&header[4..12])) == seq
        && body_len == (bytes.len() - HEADER_LEN) as u64
        && Sha256::digest(&bytes[HEADER_LEN..])[..] == header[44..76];
    if !intact {
        return None;
    }
    let chain_hash = array(&header[12..44]);
    let body = bytes.split_off(HEADER_LEN);
    Some((chain_hash, body))
}

/// Removes all but the newest `keep` snapshots.
pub(crate) fn prune(ledger_dir: &Path, keep: usize) -> Result<(), PathError> {
    let dir = ledger_dir.join(files::SNAPSHOT_DIR);
    let list = files::list_snapshots(&dir).map_err(|e| (dir.clone(), e))?;
    let excess = list.len().saturating_sub(keep.max(1));
    for (_, path) in list.into_iter().take(excess) {
        match fs::remove_file(&path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err((path, e)),
            _ => {}
        }
    }
    Ok(())
}

/// Removes temp files left by a snapshot write interrupted by a crash.
pub(crate) fn remove_temp_files(ledger_dir: &Path) -> Result<Vec<PathBuf>, PathError> {
    let dir = ledger_dir.join(files::SNAPSHOT_DIR);
    let entries = match fs::read_dir(&dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(e) => return Err((dir, e)),
    };
    let mut removed = Vec::new();
    for entry in entries {
        let path = entry.map_err(|e| (dir.clone(), e))?.path();
        let is_tmp = path
            .file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("snap-") && n.ends_with(files::TMP_SUFFIX));
        if is_tmp {
            fs::remove_file(&path).map_err(|e| (path.clone(), e))?;
            removed.push(path);
        }
    }
    Ok(removed)
}
