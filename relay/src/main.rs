//! The relay: single writer of shared state (see docs/architecture in the
//! README). The QUIC server, realms and the decision ledger are built on
//! the domain and protocol crates.

fn main() -> std::process::ExitCode {
    eprintln!(
        "relay {}: the QUIC server is not built yet; `cargo xtask demo` runs the console on the built-in world",
        env!("CARGO_PKG_VERSION")
    );
    std::process::ExitCode::FAILURE
}
