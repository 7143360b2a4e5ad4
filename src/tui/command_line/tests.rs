//! The command line's parser, completion and history, without a console.

use super::*;

fn no_gateways(_: &str) -> Vec<String> {
    Vec::new()
}

#[test]
fn every_command_and_short_name_parses_and_nothing_else_does() {
    for spec in COMMANDS {
        let argument = match spec.takes {
            Takes::Nothing | Takes::Query | Takes::Policy => "",
            Takes::SortColumn => " name desc",
            Takes::Columns => " name,cloud",
            Takes::MarkSet => " failed",
            Takes::Gateway => " spoke-1",
        };
        for name in std::iter::once(&spec.name).chain(spec.short) {
            let line = format!(":{name}{argument}");
            assert!(parse(&line).is_ok(), "{line}: {:?}", parse(&line));
        }
    }
    let error = parse(":frobnicate").expect_err("unknown");
    assert!(error.contains("unknown command :frobnicate"), "{error}");
    assert!(
        error.contains("cols") && error.contains("readonly"),
        "{error}"
    );
    let error = parse(":refresh now").expect_err("extra words");
    assert!(error.contains(":refresh takes nothing"), "{error}");
    assert_eq!(parse("  "), Ok(Line::Empty));
}

#[test]
fn arguments_are_read_with_their_errors() {
    assert_eq!(
        parse(":filter cloud:aws role:primary"),
        Ok(Line::Filter("cloud:aws role:primary".into()))
    );
    assert_eq!(parse(":filter"), Ok(Line::Filter(String::new())));
    assert_eq!(
        parse("sort current desc"),
        Ok(Line::Sort(ColumnId::Current, Order::Descending))
    );
    assert_eq!(
        parse(":sort cloud"),
        Ok(Line::Sort(ColumnId::Cloud, Order::Ascending))
    );
    let error = parse(":sort image").expect_err("not sortable");
    assert!(error.contains("cannot be sorted by image"), "{error}");
    let error = parse(":sort cloud upwards").expect_err("bad order");
    assert!(error.contains("asc or desc"), "{error}");
    let error = parse(":sort").expect_err("no column");
    assert!(error.contains("account"), "{error}");
    assert_eq!(parse(":cols"), Ok(Line::Columns(None)));
    assert_eq!(
        parse(":cols auto"),
        Ok(Line::Columns(Some(ColumnChoice::Auto)))
    );
    assert_eq!(
        parse(":cols name,cloud,role,current,target"),
        Ok(Line::Columns(Some(ColumnChoice::Chosen(vec![
            ColumnId::Name,
            ColumnId::Cloud,
            ColumnId::Role,
            ColumnId::Current,
            ColumnId::Target,
        ]))))
    );
    assert!(parse(":cols name,colour").is_err());
    for set in MarkSet::iter() {
        assert_eq!(parse(&format!(":mark {}", set.name())), Ok(Line::Mark(set)));
    }
    let error = parse(":mark broken").expect_err("unknown set");
    assert!(
        error.contains(":mark failed|lagging|unhealthy|all|none"),
        "{error}"
    );
    assert_eq!(parse(":readonly"), Ok(Line::Readonly));
    assert_eq!(parse(":q"), Ok(Line::Run(Command::Quit)));
    assert_eq!(parse(":report"), Ok(Line::Run(Command::WriteReport)));
    assert!(parse(":skip").is_err());
}

#[test]
fn tab_completes_names_then_values() {
    let done = complete("co", &no_gateways);
    assert_eq!(done.line, "cols ");
    let several = complete("s", &no_gateways);
    assert_eq!(several.line, "s");
    assert_eq!(several.candidates, ["skip", "sort", "support"]);
    assert_eq!(complete("sor", &no_gateways).line, "sort ");
    assert_eq!(complete("sort cu", &no_gateways).line, "sort current ");
    assert_eq!(
        complete("sort current d", &no_gateways).line,
        "sort current desc "
    );
    assert_eq!(complete("mark la", &no_gateways).line, "mark lagging ");
    assert_eq!(
        complete("cols name,clo", &no_gateways).line,
        "cols name,cloud "
    );
    let images = complete("cols name,targ", &no_gateways);
    assert_eq!(images.line, "cols name,target");
    assert_eq!(images.candidates, ["target", "target-image"]);
    // A filter key keeps the cursor on it, ready for its value.
    assert_eq!(complete("filter clo", &no_gateways).line, "filter cloud:");
    let gateways = |prefix: &str| {
        ["spoke-1", "spoke-2", "transit-1"]
            .iter()
            .filter(|name| name.starts_with(prefix))
            .map(|name| (*name).to_owned())
            .collect()
    };
    assert_eq!(complete("skip tr", &gateways).line, "skip transit-1 ");
    assert_eq!(complete("skip sp", &gateways).line, "skip spoke-");
    assert!(complete("refresh x", &no_gateways).candidates.is_empty());
    assert_eq!(complete("nothing", &no_gateways).line, "nothing");
}

#[test]
fn the_history_walks_back_and_forth_and_keeps_no_repeats() {
    let mut history = History::default();
    assert_eq!(history.older(None), None);
    history.push(":cols name");
    history.push(":cols name");
    history.push("  ");
    history.push(":mark failed");
    assert_eq!(history.older(None), Some((1, ":mark failed")));
    assert_eq!(history.older(Some(1)), Some((0, ":cols name")));
    assert_eq!(history.older(Some(0)), None);
    assert_eq!(history.newer(0), Some((1, ":mark failed")));
    assert_eq!(history.newer(1), None);
    for i in 0..HISTORY_LIMIT + 10 {
        history.push(&format!(":filter {i}"));
    }
    assert_eq!(history.lines.len(), HISTORY_LIMIT);
}

/// The help lists each command on one line of an 80-column screen: its name and usage in 24
/// columns, what it does in 50.
#[test]
fn every_command_fits_one_help_line() {
    for spec in COMMANDS {
        let command = format!(":{} {}", spec.name, spec.usage);
        assert!(
            command.trim_end().chars().count() <= HELP_COMMAND_WIDTH,
            "{command}"
        );
        assert!(spec.describe.chars().count() <= 50, "{}", spec.describe);
    }
}
