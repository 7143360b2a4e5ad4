//! Unit tests of the parent module.

use super::*;
use crate::plan::finding::Code;
use crate::plan::request::Selection;
use crossterm::event::KeyModifiers;

fn at(millis: i64) -> Timestamp {
    Timestamp::from_millisecond(1_800_000_000_000 + millis).expect("time")
}

/// A moment when every dialog below takes keys.
fn later() -> Timestamp {
    at(1_000)
}

fn key(code: KeyCode) -> KeyEvent {
    KeyEvent::new(code, KeyModifiers::NONE)
}

fn names(count: usize) -> Vec<String> {
    (0..count).map(|i| format!("gw-{i}")).collect()
}

fn shown(names: Vec<String>) -> Named {
    Named {
        shown: names,
        hidden: Vec::new(),
    }
}

/// `request` changing `changes` gateways, none skipped.
fn scope(request: Request, changes: usize) -> Scope {
    Scope {
        request,
        changes,
        skipped: Vec::new(),
    }
}

fn on_screen(mut dialog: Confirm) -> Confirm {
    dialog.drawn(at(0));
    dialog
}

fn upgrade(count: usize) -> Confirm {
    let request = Request::SoftwareUpgrade {
        gateways: Selection::Named(names(count)),
        target: None,
    };
    on_screen(Confirm::new(
        scope(request, count),
        "7.1.2100".into(),
        shown(names(count)),
        &Report::default(),
    ))
}

fn rollback() -> Confirm {
    let request = Request::SoftwareRollback {
        gateways: Selection::Named(names(1)),
        target: None,
    };
    on_screen(Confirm::new(
        scope(request, 1),
        "7.0.2000".into(),
        shown(names(1)),
        &Report::default(),
    ))
}

#[test]
fn cancel_is_focused_and_enter_cancels() {
    let mut dialog = upgrade(3);
    assert_eq!(dialog.focus, Choice::Cancel);
    assert_eq!(
        dialog.handle_key(&key(KeyCode::Enter), later()),
        Outcome::Cancelled
    );
}

#[test]
fn y_confirms_a_small_upgrade_and_n_or_esc_cancel() {
    let answer = |code| upgrade(3).handle_key(&key(code), later());
    assert_eq!(answer(KeyCode::Char('y')), Outcome::Confirmed);
    assert_eq!(answer(KeyCode::Char('n')), Outcome::Cancelled);
    assert_eq!(answer(KeyCode::Esc), Outcome::Cancelled);
    let mut tabbed = upgrade(3);
    assert_eq!(
        tabbed.handle_key(&key(KeyCode::Tab), later()),
        Outcome::Open
    );
    assert_eq!(
        tabbed.handle_key(&key(KeyCode::Enter), later()),
        Outcome::Confirmed
    );
}

#[test]
fn keys_count_only_a_guard_after_the_dialog_is_first_drawn() {
    let request = Request::SoftwareUpgrade {
        gateways: Selection::Named(names(1)),
        target: None,
    };
    let mut dialog = Confirm::new(
        scope(request, 1),
        "7.1.2100".into(),
        shown(names(1)),
        &Report::default(),
    );
    let y = key(KeyCode::Char('y'));
    assert_eq!(dialog.handle_key(&y, later()), Outcome::Open, "never drawn");
    assert!(
        dialog
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("before this dialog")
    );
    dialog.drawn(at(100));
    dialog.drawn(at(150));
    assert_eq!(dialog.first_drawn, Some(at(100)), "the first frame counts");
    assert_eq!(
        dialog.handle_key(&y, at(250)),
        Outcome::Open,
        "150 ms on screen"
    );
    assert!(!dialog.takes_keys(at(299)));
    assert!(dialog.takes_keys(at(300)));
    dialog.drawn(at(50));
    assert_eq!(
        dialog.first_drawn,
        Some(at(50)),
        "a clock set back counts from the new time"
    );
    assert_eq!(dialog.handle_key(&y, at(300)), Outcome::Confirmed);
}

#[test]
fn more_than_ten_gateways_need_the_count_typed() {
    assert!(!upgrade(10).needs_typed_count());
    let mut dialog = upgrade(11);
    assert!(dialog.needs_typed_count());
    assert_eq!(
        dialog.handle_key(&key(KeyCode::Char('y')), later()),
        Outcome::Open
    );
    assert!(dialog.hint.as_deref().unwrap_or("").contains("Type 11,"));
    dialog.handle_key(&key(KeyCode::Char('1')), later());
    assert_eq!(
        dialog.handle_key(&key(KeyCode::Enter), later()),
        Outcome::Open,
        "1 is not 11"
    );
    dialog.handle_key(&key(KeyCode::Char('1')), later());
    assert_eq!(
        dialog.handle_key(&key(KeyCode::Enter), later()),
        Outcome::Confirmed
    );
}

#[test]
fn the_count_is_what_changes_hidden_included_and_the_skipped_are_apart() {
    let request = Request::SoftwareUpgrade {
        gateways: Selection::Named(names(12)[2..].to_vec()),
        target: None,
    };
    let named = Named {
        shown: names(12)[2..4].to_vec(),
        hidden: names(12)[4..].to_vec(),
    };
    let scope = Scope {
        request,
        changes: 10,
        skipped: names(2),
    };
    let dialog = Confirm::new(scope, "7.1.2100".into(), named, &Report::default());
    assert_eq!((dialog.gateways, dialog.skipped.len()), (10, 2));
    assert!(!dialog.needs_typed_count(), "10 change: y is enough");
    assert_eq!(dialog.typed_answer(), None);
}

fn platform_upgrade() -> Confirm {
    let request = Request::PlatformUpgrade { target: None };
    on_screen(Confirm::new(
        scope(request, 0),
        "7.2.5090".into(),
        Named::default(),
        &Report::default(),
    ))
}

#[test]
fn a_platform_upgrade_needs_its_full_target_version_typed() {
    let mut dialog = platform_upgrade();
    assert_eq!(dialog.typed_answer().as_deref(), Some("7.2.5090"));
    assert_eq!(
        dialog.handle_key(&key(KeyCode::Char('y')), later()),
        Outcome::Open,
        "y is not enough"
    );
    assert!(
        dialog
            .hint
            .as_deref()
            .unwrap_or("")
            .contains("Type 7.2.5090,"),
        "{:?}",
        dialog.hint
    );
    for c in "7.2".chars() {
        dialog.handle_key(&key(KeyCode::Char(c)), later());
    }
    assert_eq!(
        dialog.handle_key(&key(KeyCode::Enter), later()),
        Outcome::Open,
        "the train is not the version"
    );
    for c in ".5090".chars() {
        dialog.handle_key(&key(KeyCode::Char(c)), later());
    }
    assert_eq!(dialog.typed.value(), "7.2.5090");
    assert_eq!(
        dialog.handle_key(&key(KeyCode::Enter), later()),
        Outcome::Confirmed
    );
}

#[test]
fn disruptive_operations_need_the_count_even_for_one_gateway() {
    let mut dialog = rollback();
    assert!(dialog.needs_typed_count());
    assert_eq!(
        dialog.handle_key(&key(KeyCode::Char('y')), later()),
        Outcome::Open
    );
    dialog.handle_key(&key(KeyCode::Char('x')), later());
    assert_eq!(dialog.typed.value(), "", "only digits are typed");
    dialog.handle_key(&key(KeyCode::Char('1')), later());
    assert_eq!(
        dialog.handle_key(&key(KeyCode::Enter), later()),
        Outcome::Confirmed
    );
}

#[test]
fn a_blocked_request_cannot_be_confirmed() {
    let report = Report::new(vec![Finding::new(Code::TrainSkip, "skips a train")]);
    let request = Request::PlatformUpgrade { target: None };
    let mut dialog = on_screen(Confirm::new(
        scope(request, 0),
        "7.2.100".into(),
        Named::default(),
        &report,
    ));
    assert!(dialog.blocked());
    for code in [KeyCode::Char('y'), KeyCode::Tab, KeyCode::Enter] {
        assert_eq!(dialog.handle_key(&key(code), later()), Outcome::Open);
    }
    assert!(dialog.hint.is_some());
    assert_eq!(
        dialog.handle_key(&key(KeyCode::Esc), later()),
        Outcome::Cancelled
    );
}

#[test]
fn scrolling_stays_within_what_the_draw_allows() {
    let mut dialog = upgrade(3);
    dialog.scroll_max.set(4);
    dialog.handle_key(&key(KeyCode::PageDown), later());
    assert_eq!(dialog.scroll, 4);
    dialog.handle_key(&key(KeyCode::Up), later());
    assert_eq!(dialog.scroll, 3);
    dialog.scroll_by(-PAGE);
    assert_eq!(dialog.scroll, 0);
}
