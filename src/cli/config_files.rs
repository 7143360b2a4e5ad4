//! `avx-upgrade config sample | path`: the sample config file (built in, so a user with only the
//! binary has it) and where the config file is read from.

use clap::Subcommand;

use crate::cli::{InputError, Outcome};

/// The sample config, as shipped in `assets/config.sample.toml`.
pub const SAMPLE: &str = include_str!("../../assets/config.sample.toml");

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Print the sample config file, with every setting explained
    /// (`avx-upgrade config sample > "$(avx-upgrade config path)"` to start from it).
    Sample,
    /// Print where the config file is read from.
    Path,
}

pub fn run(command: &ConfigCommand) -> Result<(Outcome, String), InputError> {
    match command {
        ConfigCommand::Sample => Ok((Outcome::Clear, SAMPLE.to_owned())),
        ConfigCommand::Path => {
            let path = crate::config::default_path()
                .ok_or_else(|| InputError(crate::paths::NO_CONFIG_DIR.to_owned()))?;
            Ok((Outcome::Clear, format!("{}\n", path.display())))
        }
    }
}
