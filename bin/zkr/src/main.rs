//! The `zkr` binary: a thin wrapper around [`zkr_cli`].

fn main() -> std::process::ExitCode {
    zkr_cli::run()
}
