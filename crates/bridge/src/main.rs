//! `bridge`: the field-radio gateway (see `docs/bridge.md`).

fn main() -> anyhow::Result<()> {
    bridge::cli::main()
}
