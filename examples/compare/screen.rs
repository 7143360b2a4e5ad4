//! Reading figures off a captured screen: the numbers written before a word (`100000 rows`,
//! `5/100000 shown`), with or without thousands separators.

/// Every number that ends right before `word` (after optional spaces), separators dropped.
pub fn numbers_before(screen: &str, word: &str) -> Vec<String> {
    screen
        .match_indices(word)
        .filter_map(|(at, _)| last_number(screen[..at].trim_end()))
        .collect()
}

/// The number (digits, `,` and `/` allowed inside) that `text` ends with.
fn last_number(text: &str) -> Option<String> {
    let start = text
        .rfind(|c: char| !(c.is_ascii_digit() || c == ',' || c == '/'))
        .map_or(0, |at| {
            at + text[at..].chars().next().map_or(1, char::len_utf8)
        });
    let number: String = text[start..].chars().filter(|c| *c != ',').collect();
    (!number.is_empty() && number.starts_with(|c: char| c.is_ascii_digit())).then_some(number)
}

/// `true` when `screen` shows `expected` right before `word`, e.g. `100000 rows`.
pub fn shows_count(screen: &str, expected: &str, word: &str) -> bool {
    numbers_before(screen, word)
        .iter()
        .any(|number| number == expected)
}
