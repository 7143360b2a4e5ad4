//! Writes the change record of the controller's last finished operation or rollout, for the
//! console's report key: read from the journal, rendered as one self-contained HTML file in
//! `STATE_DIR/reports/ID.html`, written atomically ([`crate::save`]).

use std::path::{Path, PathBuf};

use crate::journal::{self, OperationId};
use crate::report;

/// Where the report of the last finished operation or rollout on `controller` was written.
pub fn write_last(state_dir: &Path, controller: &str) -> Result<PathBuf, String> {
    let path = journal::file_for(state_dir, controller).map_err(|error| error.to_string())?;
    let (lines, _) = journal::history::history(&path, None).map_err(|error| error.to_string())?;
    let last = lines
        .iter()
        .rev()
        .find(|line| line.ended.is_some())
        .ok_or("no finished operation in this controller's journal yet: nothing to report")?;
    let id: OperationId = last.id.parse()?;
    let (story, _) =
        journal::history::change_story(&path, &id).map_err(|error| error.to_string())?;
    let story = story.ok_or_else(|| format!("{id} is no longer in the journal"))?;
    let html = report::html::render(&report::build::change_record(&story));
    let file = state_dir.join("reports").join(format!("{id}.html"));
    crate::save::atomically(&file, &html)
        .map_err(|error| format!("cannot write the report {}: {error}", file.display()))?;
    Ok(file)
}
