//! The `kasa` admin CLI. All logic lives in `kasa_terminal::cli`.

use clap::Parser;

fn main() {
    let cli = kasa_terminal::cli::Cli::parse();
    std::process::exit(kasa_terminal::cli::main_with(cli));
}
