//! Append, reopen and verify throughput of the ledger.
//!
//! `cargo run --release -p ledger --example ledger_bench -- DIR N` appends N
//! records of 200-byte payloads in batches of 64 (one fsync per batch) into
//! DIR, which must be empty or absent, then reopens and verifies it.

use std::error::Error;
use std::fs;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use ed25519_dalek::SigningKey;
use ledger::{Ledger, LedgerOptions, verify};

/// Payload bytes per record.
const PAYLOAD: usize = 200;
/// Records per group commit.
const BATCH: u64 = 64;

fn main() -> Result<(), Box<dyn Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [dir, n] = args.as_slice() else {
        return Err("usage: ledger_bench DIR N".into());
    };
    let dir = PathBuf::from(dir);
    let n: u64 = n.parse()?;
    if dir.exists() && fs::read_dir(&dir)?.next().is_some() {
        return Err(format!("{} must be empty or absent", dir.display()).into());
    }
    let key = SigningKey::from_bytes(&[42; 32]);

    let (mut ledger, _) = Ledger::open(&dir, key.clone(), LedgerOptions::default())?;
    let payloads: Vec<Vec<u8>> = (0..BATCH)
        .map(|i| (0..PAYLOAD).map(|j| (i as usize * 31 + j) as u8).collect())
        .collect();
    let start = Instant::now();
    let mut written = 0;
    while written < n {
        let k = (n - written).min(BATCH);
        let batch: Vec<(i64, &[u8])> = payloads[..k as usize]
            .iter()
            .enumerate()
            .map(|(i, p)| {
                (
                    1_700_000_000_000 + (written + i as u64) as i64,
                    p.as_slice(),
                )
            })
            .collect();
        ledger.append_batch(&batch)?;
        written += k;
    }
    let append = start.elapsed();
    drop(ledger);

    let disk: u64 = fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().starts_with("seg-"))
        .filter_map(|e| e.metadata().ok())
        .map(|m| m.len())
        .sum();

    let start = Instant::now();
    let (ledger, _) = Ledger::open(&dir, key.clone(), LedgerOptions::default())?;
    let reopen = start.elapsed();
    drop(ledger);

    let start = Instant::now();
    let report = verify(&dir, &key.verifying_key())?;
    let verified = start.elapsed();

    let mb = |bytes: u64, t: Duration| bytes as f64 / 1e6 / t.as_secs_f64();
    let rate = |t: Duration| n as f64 / t.as_secs_f64();
    println!("records: {n} x {PAYLOAD} B payload, batches of {BATCH}, {disk} B on disk");
    println!(
        "append: {:.3} s, {:.0} records/s, {:.1} MB/s payload, {:.1} MB/s on disk, {:.0} commits/s",
        append.as_secs_f64(),
        rate(append),
        mb(n * PAYLOAD as u64, append),
        mb(disk, append),
        n.div_ceil(BATCH) as f64 / append.as_secs_f64(),
    );
    println!(
        "reopen (recovery scan): {:.3} s, {:.0} records/s",
        reopen.as_secs_f64(),
        rate(reopen)
    );
    println!(
        "verify: {:.3} s, {:.0} records/s, {:.1} MB/s; {} segments, {} checkpoints",
        verified.as_secs_f64(),
        rate(verified),
        mb(disk, verified),
        report.segments,
        report.checkpoints,
    );
    Ok(())
}
