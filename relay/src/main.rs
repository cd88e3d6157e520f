//! `relay`: serve, manage users, verify and export logs (see `relay::cli`).

fn main() -> std::process::ExitCode {
    relay::cli::main()
}
