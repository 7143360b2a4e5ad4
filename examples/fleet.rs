//! Writes a generated fleet snapshot to stdout, for trying `plan` and `check` at scale:
//! `cargo run --release --example fleet -- 100000 [SEED] > fleet.json`.

use std::io::Write;
use std::process::ExitCode;

use avx_upgrade::catalog::Catalog;
use avx_upgrade::sim::fleet::{FleetSpec, generate};

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let parse =
        |text: Option<String>, default: u64| text.map_or(Ok(default), |text| text.parse::<u64>());
    let (Ok(gateways), Ok(seed)) = (parse(args.next(), 200), parse(args.next(), 1)) else {
        eprintln!("error: usage: fleet [GATEWAYS] [SEED], both whole numbers");
        return ExitCode::from(2);
    };
    let spec = FleetSpec {
        gateways: usize::try_from(gateways).unwrap_or(usize::MAX),
        seed,
        last_backup: Some(jiff::Timestamp::now()),
        ..FleetSpec::default()
    };
    let written = Catalog::builtin()
        .map_err(|error| error.to_string())
        .and_then(|catalog| generate(&spec, &catalog).map_err(|error| error.to_string()))
        .and_then(|fleet| fleet.to_json().map_err(|error| error.to_string()))
        .and_then(|json| writeln!(std::io::stdout(), "{json}").map_err(|error| error.to_string()));
    match written {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::from(2)
        }
    }
}
