//! Typed input of the console: the filter query, pasted text and the filter picker (the `:`
//! command line is `command`'s).

use crossterm::event::{Event, KeyCode, KeyEvent};
use tui_input::backend::crossterm::EventHandler;
use tui_input::{Input, InputRequest};

use crate::filter::Query;
use crate::filter::query::Field;
use crate::filter::vocabulary::status_word;
use crate::ops::Job;

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

/// Opens the picker: each field's values as the table shows them, with their counts.
pub(super) fn open_picker(app: &mut App) {
    let fleet = &app.fleet;
    let fields = [
        (Field::Cloud, fleet.values(|g, _| g.cloud.name())),
        (Field::Region, fleet.values(|g, _| &*g.region)),
        (Field::Type, fleet.values(|g, _| g.gw_type.name())),
        (Field::Role, fleet.values(|g, _| g.role.name())),
        (Field::State, fleet.values(|g, live| live.shown_state(g))),
        (
            Field::Status,
            fleet.values(|_, live| status_word(live.update_status())),
        ),
        (Field::Version, fleet.values(|g, _| g.software_version)),
        (
            Field::Account,
            fleet.values(|g, _| g.account.as_deref().unwrap_or("")),
        ),
    ];
    let entries: Vec<(Field, String, usize)> = fields
        .into_iter()
        .flat_map(|(field, values)| {
            values
                .into_iter()
                .filter(move |(value, _)| is_term(field, value))
                .map(move |(value, count)| (field, value, count))
        })
        .collect();
    if entries.is_empty() {
        app.info("no gateways to pick from yet");
        return;
    }
    app.focus = Focus::Overlay(Overlay::Picker(Picker { entries, cursor: 0 }));
}

/// Whether `field:value` is one filter term that the filter takes: a gateway with no account,
/// or a word the controller sent that the filter does not know, cannot be picked.
fn is_term(field: Field, value: &str) -> bool {
    !value.contains(char::is_whitespace) && Query::parse(&format!("{field}:{value}")).is_ok()
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
