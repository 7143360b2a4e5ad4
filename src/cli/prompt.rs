//! The password prompt: the terminal in raw mode (no echo, and Ctrl-C arrives as a key instead
//! of killing the process with echo still off), restored on every way out. Enter gives the
//! password; Ctrl-C and Ctrl-\ restore the terminal and end the process with 130 and 131, as
//! SIGINT and SIGQUIT would. (No signal handler is installed: tokio's could never be removed,
//! and Ctrl-C would then be ignored for the rest of a `status` or `snapshot` run.)

use std::io::Write;

use crossterm::event::{self, Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use crossterm::terminal;

use crate::cli::InputError;
use crate::secret::Secret;

/// The longest password read, in characters: far beyond any real one, and a bound on memory.
const MAX_LENGTH: usize = 4096;

/// How the prompt ended without a password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Interrupted {
    exit_code: u8,
}

/// Asks for a password on the terminal without echo. Ctrl-C or Ctrl-\ restores the terminal
/// and exits the process at once (nothing has been sent yet).
pub async fn hidden(prompt: &'static str) -> Result<Secret, InputError> {
    let reading = tokio::task::spawn_blocking(move || read_hidden(prompt));
    match reading.await {
        Ok(Ok(password)) => password,
        Ok(Err(interrupted)) => exit(interrupted),
        Err(error) => Err(InputError(format!("cannot read the password: {error}"))),
    }
}

/// Restores the terminal, ends the prompt's line and exits with the interruption's code.
fn exit(interrupted: Interrupted) -> ! {
    let _ = terminal::disable_raw_mode();
    let _ = writeln!(std::io::stderr());
    std::process::exit(i32::from(interrupted.exit_code))
}

/// Reads keys until Enter; the terminal is in raw mode only inside, and restored on return.
fn read_hidden(prompt: &str) -> Result<Result<Secret, InputError>, Interrupted> {
    let mut stderr = std::io::stderr();
    let _ = write!(stderr, "{prompt}");
    let _ = stderr.flush();
    if let Err(error) = terminal::enable_raw_mode() {
        return Ok(Err(InputError(format!(
            "cannot read the password: the terminal refused raw mode: {error}"
        ))));
    }
    let typed = read_keys();
    let _ = terminal::disable_raw_mode();
    let _ = writeln!(stderr);
    typed.map(|typed| typed.map(Secret::new))
}

fn read_keys() -> Result<Result<String, InputError>, Interrupted> {
    let mut typed = String::new();
    loop {
        let key = match event::read() {
            Ok(Event::Key(key)) if key.kind != KeyEventKind::Release => key,
            Ok(_) => continue,
            Err(error) => {
                return Ok(Err(InputError(format!(
                    "cannot read the password: {error}"
                ))));
            }
        };
        match edit(&mut typed, key) {
            Edit::More => {}
            Edit::Done => return Ok(Ok(typed)),
            Edit::Interrupted(exit_code) => return Err(Interrupted { exit_code }),
        }
    }
}

/// What one key does to the password being typed.
#[derive(Debug, PartialEq, Eq)]
enum Edit {
    More,
    Done,
    /// Ctrl-C (130) or Ctrl-\ (131).
    Interrupted(u8),
}

fn edit(typed: &mut String, key: KeyEvent) -> Edit {
    let control = key.modifiers.contains(KeyModifiers::CONTROL);
    match key.code {
        KeyCode::Enter => Edit::Done,
        KeyCode::Char('c') if control => Edit::Interrupted(130),
        KeyCode::Char('\\' | '4') if control => Edit::Interrupted(131),
        KeyCode::Char('u') if control => {
            typed.clear();
            Edit::More
        }
        KeyCode::Backspace => {
            typed.pop();
            Edit::More
        }
        KeyCode::Char(character) if !control && typed.chars().count() < MAX_LENGTH => {
            typed.push(character);
            Edit::More
        }
        _ => Edit::More,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn keys(typed: &mut String, codes: &[(KeyCode, KeyModifiers)]) -> Vec<Edit> {
        codes
            .iter()
            .map(|&(code, modifiers)| edit(typed, KeyEvent::new(code, modifiers)))
            .collect()
    }

    #[test]
    fn typing_editing_and_interrupting() {
        let none = KeyModifiers::NONE;
        let control = KeyModifiers::CONTROL;
        let mut typed = String::new();
        keys(
            &mut typed,
            &[
                (KeyCode::Char('p'), none),
                (KeyCode::Char('x'), none),
                (KeyCode::Backspace, none),
                (KeyCode::Char('w'), none),
            ],
        );
        assert_eq!(typed, "pw");
        assert_eq!(
            keys(&mut typed, &[(KeyCode::Char('u'), control)]),
            [Edit::More]
        );
        assert_eq!(typed, "");
        assert_eq!(
            keys(&mut typed, &[(KeyCode::Char('c'), control)]),
            [Edit::Interrupted(130)]
        );
        assert_eq!(
            keys(&mut typed, &[(KeyCode::Char('\\'), control)]),
            [Edit::Interrupted(131)]
        );
        assert_eq!(keys(&mut typed, &[(KeyCode::Enter, none)]), [Edit::Done]);
    }
}
