//! The relay command line for process tests (kill -9, SIGTERM, verify).

fn main() -> std::process::ExitCode {
    relay::cli::main()
}
