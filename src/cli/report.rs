//! `avx-upgrade report ID`: the change record of one operation or rollout, read from this
//! machine's journals, as Markdown (for a ticket), one self-contained HTML file (for a change
//! board; it prints well) or JSON (for tools), to standard output or, atomically, to a file.

use std::path::{Path, PathBuf};

use clap::{Args, ValueEnum};

use crate::cli::history::{JournalArgs, journals, warn_about_bad_lines};
use crate::cli::{InputError, Outcome};
use crate::journal::OperationId;
use crate::journal::history::{ChangeStory, change_story};
use crate::report::{self, ChangeRecord};

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// The operation or rollout, as `avx-upgrade history` lists it (e.g. 20261201T041500Z-3f9a).
    pub id: String,
    /// md (to paste into a ticket), html (one self-contained file that prints well) or json.
    #[arg(long, value_enum, default_value_t = Format::Md)]
    pub format: Format,
    /// Write the report to FILE (replaced whole, never half-written) instead of standard output.
    #[arg(short = 'o', long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub journals: JournalArgs,
}

/// A report's format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Md,
    Html,
    Json,
}

impl Format {
    /// The report of `record` in this format.
    pub fn render(self, record: &ChangeRecord) -> String {
        match self {
            Format::Md => report::markdown::render(record),
            Format::Html => report::html::render(record),
            Format::Json => report::json::render(record),
        }
    }
}

pub fn run(args: &ReportArgs) -> Result<(Outcome, String), InputError> {
    let id: OperationId = args.id.parse().map_err(InputError)?;
    let story = find(&journals(&args.journals)?, &id)?;
    let text = args.format.render(&report::build::change_record(&story));
    let Some(path) = &args.output else {
        return Ok((Outcome::Clear, text));
    };
    write(path, &text)?;
    Ok((
        Outcome::Clear,
        format!("The change record of {id} is in {}\n", path.display()),
    ))
}

/// The story of `id` in the first journal that has it.
fn find(paths: &[PathBuf], id: &OperationId) -> Result<ChangeStory, InputError> {
    for path in paths {
        let (story, found) = change_story(path, id)?;
        if let Some(story) = story {
            warn_about_bad_lines(path, found.bad_line_count);
            return Ok(story);
        }
    }
    Err(InputError(format!(
        "no operation or rollout {id} in {}: `avx-upgrade history` lists what is recorded",
        match paths {
            [] => "any journal (none is recorded on this machine)".to_owned(),
            [one] => one.display().to_string(),
            _ => format!("{} journals", paths.len()),
        }
    )))
}

fn write(path: &Path, text: &str) -> Result<(), InputError> {
    crate::save::atomically(path, text).map_err(|error| {
        InputError(format!(
            "cannot write the report to {}: {error}; choose another file with -o",
            path.display()
        ))
    })
}
