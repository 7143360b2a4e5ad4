//! Typed input of the console: the filter query, pasted text and the filter picker (the `:`
//! command line is `command`'s).

use crossterm::event::{Event, KeyCode, KeyEvent};
use tui_input::backend::crossterm::EventHandler;
use tui_input::{Input, InputRequest};

use crate::filter::query::Field;
use crate::ops::Job;
use crate::snapshot::Gateway;

use crate::tui::message::Command;
use crate::tui::state::{App, Focus, Overlay, Picker, Prompt};
use crate::tui::update::revalidate_target;

pub(super) fn prompt_key(app: &mut App, key: &KeyEvent) -> Vec<Job> {
    let Focus::Prompt(prompt) = &mut app.focus else {
        return Vec::new();
    };
    match prompt {
        Prompt::Query(input) => match key.code {
            KeyCode::Esc => {
                app.focus = Focus::Window;
                app.query_error = None;
                set_filter(app, "");
            }
            KeyCode::Enter if app.query_error.is_none() => app.focus = Focus::Window,
            KeyCode::Enter => {}
            _ => {
                input.handle_event(&Event::Key(*key));
                let text = input.value().to_owned();
                set_filter(app, &text);
            }
        },
        Prompt::Command(_) => return super::command::key(app, key),
    }
    Vec::new()
}

/// Pasted text goes into the filter being typed or the Target Release Version being edited,
/// and nowhere else: a confirmation refuses it, and it is never read as keys.
pub(super) fn on_paste(app: &mut App, text: &str) {
    match &mut app.focus {
        Focus::Prompt(Prompt::Query(input)) => {
            insert(input, text);
            let value = input.value().to_owned();
            set_filter(app, &value);
        }
        // The `:` command line takes typed commands only.
        Focus::Prompt(Prompt::Command(_)) => {}
        Focus::Target => {
            insert(&mut app.platform.input, text);
            revalidate_target(app);
        }
        Focus::Overlay(Overlay::Confirm(dialog)) => dialog.refuse_paste(),
        Focus::Overlay(Overlay::Ask(dialog)) => dialog.refuse_paste(),
        Focus::Window | Focus::Overlay(_) => ignore_paste(app),
    }
}

/// Says where a paste would go.
fn ignore_paste(app: &mut App) {
    let filter = app.keymap.key_for(Command::Filter);
    let target = app.keymap.key_for(Command::EditTarget);
    app.info(format!(
        "pasted text is ignored here: paste into the filter ({filter}) or the Target Release Version ({target})"
    ));
}

/// Inserts pasted `text` at the cursor: line breaks and tabs become spaces, other control
/// characters are dropped, so a paste never ends the input.
fn insert(input: &mut Input, text: &str) {
    let typed = text
        .chars()
        .map(|c| if c.is_whitespace() { ' ' } else { c })
        .filter(|c| !c.is_control());
    for c in typed {
        input.handle(InputRequest::InsertChar(c));
    }
}

pub(super) fn set_filter(app: &mut App, text: &str) {
    app.query_error = app.fleet.set_filter(text).err().map(|error| error.0);
}

/// Reads one field of a gateway, for the picker.
type Pick = fn(&Gateway) -> &str;

pub(super) fn open_picker(app: &mut App) {
    let fleet = &app.fleet;
    let mut entries = Vec::new();
    let fields: [(Field, Pick); 4] = [
        (Field::Cloud, |g| g.cloud.name()),
        (Field::Type, |g| g.gw_type.name()),
        (Field::Role, |g| g.role.name()),
        (Field::Region, |g| g.region.as_str()),
    ];
    for (field, pick) in fields {
        entries.extend(
            fleet
                .values(pick)
                .into_iter()
                .map(|(value, count)| (field, value, count)),
        );
    }
    if entries.is_empty() {
        app.info("no gateways to pick from yet");
        return;
    }
    app.focus = Focus::Overlay(Overlay::Picker(Picker { entries, cursor: 0 }));
}

/// Adds the picker's entry to the filter (the same key twice means OR).
pub(super) fn pick(app: &mut App, keep_open: bool) {
    let Some(Overlay::Picker(picker)) = app.overlay() else {
        return;
    };
    let Some((field, value, _)) = picker.entries.get(picker.cursor) else {
        return;
    };
    let term = format!("{field}:{value}");
    let current = app.fleet.query().text().to_owned();
    if current.split_whitespace().any(|word| word == term) {
        app.info(format!("{term} is already in the filter"));
    } else {
        let text = format!("{current} {term}").trim().to_owned();
        set_filter(app, &text);
        app.info(format!("filter: {text}"));
    }
    if !keep_open {
        app.focus = Focus::Window;
    }
}
