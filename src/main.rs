//! The `avx-upgrade` binary: installs the error reporter and hands over to the library's CLI.

use std::process::ExitCode;

fn main() -> ExitCode {
    if let Err(error) = color_eyre::install() {
        eprintln!("warning: the error reporter could not be installed: {error}");
    }
    avx_upgrade::cli::main(std::env::args_os())
}
