//! The bridge command line for process tests; same code as the `bridge` binary.

fn main() -> anyhow::Result<()> {
    bridge::cli::main()
}
