//! `avx-upgrade completions bash|zsh|fish` and `avx-upgrade man`: shell completions and the
//! manual page, generated from the same command-line definition the program parses
//! (`clap_complete`, `clap_mangen`), so they never disagree with it.

use clap::{Args, ValueEnum};
use clap_complete::Shell;

use crate::cli::{InputError, Outcome};

#[derive(Debug, Args)]
pub struct CompletionsArgs {
    /// The shell: bash, zsh or fish.
    #[arg(value_enum)]
    pub shell: CompletionShell,
}

/// The shells completions are written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum CompletionShell {
    Bash,
    Zsh,
    Fish,
}

impl From<CompletionShell> for Shell {
    fn from(shell: CompletionShell) -> Shell {
        match shell {
            CompletionShell::Bash => Shell::Bash,
            CompletionShell::Zsh => Shell::Zsh,
            CompletionShell::Fish => Shell::Fish,
        }
    }
}

/// The completion script of `command` for `args.shell`.
pub fn completions(
    args: &CompletionsArgs,
    mut command: clap::Command,
) -> Result<(Outcome, String), InputError> {
    let mut out = Vec::new();
    let name = command.get_name().to_owned();
    clap_complete::generate(Shell::from(args.shell), &mut command, name, &mut out);
    text(out)
}

/// The manual page of `command`, in roff (`avx-upgrade man | man -l -`).
pub fn man(command: clap::Command) -> Result<(Outcome, String), InputError> {
    let mut out = Vec::new();
    clap_mangen::Man::new(command)
        .render(&mut out)
        .map_err(|error| InputError(format!("cannot write the manual page: {error}")))?;
    text(out)
}

fn text(bytes: Vec<u8>) -> Result<(Outcome, String), InputError> {
    String::from_utf8(bytes)
        .map(|text| (Outcome::Clear, text))
        .map_err(|error| InputError(format!("the generated text is not UTF-8: {error}")))
}
