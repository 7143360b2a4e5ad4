//! The faults the simulated controller can inject, each one a behaviour real controllers show
//! (controller-api.md §6), chosen with `--faults flaky,stuck,gw-fail=0.2,...`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Every fault, with what it does; `avx-upgrade sim --help` and the README show this list.
pub const FAULT_HELP: &str = "\
flaky            random 502/503 answers and connection resets on reads (F14)
restart          a longer 503 window during a platform upgrade's restart, with dropped connections (F1)
expire           sessions expire after 15 s idle (F2)
stuck            a platform upgrade freezes at 99% and never completes (F4, F5)
gw-fail=P        each gateway operation fails (upgrade_fail) with probability P, 0..1 (F9)
config-fail      a replaced gateway (rollback, image upgrade) ends in config_fail (F10)
no-op=P          each gateway job says complete but changes nothing, with probability P, 0..1
slow=MS          every answer comes MS milliseconds late (the call itself is handled at once)
slow-status=SECS list_gateway_upgrade_status answers SECS seconds late (such as 2.5), with the state at that moment; other calls are not delayed
late-start=SECS  a platform upgrade starts SECS simulated seconds after it is accepted; until then platform_upgrade_status reads as before it
sync-drop        a synchronous upgrade or upgrade_platform call has its connection dropped at the restart instead of answered";

/// The set of injected faults. The default injects none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Faults {
    pub flaky: bool,
    pub long_restart: bool,
    pub short_sessions: bool,
    pub stuck: bool,
    /// Probability in 0..=1 that a gateway job fails.
    pub gateway_failure: f64,
    pub config_fail: bool,
    /// Probability in 0..=1 that a gateway job ends `complete` without changing the gateway.
    pub no_op: f64,
    pub latency: Duration,
    /// How late `list_gateway_upgrade_status` answers (`slow-status`), on top of `latency`.
    pub status_latency: Duration,
    /// Simulated time between accepting a platform upgrade and starting its task.
    pub late_start: Duration,
    /// A synchronous platform upgrade's connection is dropped at the restart, not answered.
    pub sync_drop: bool,
}

/// A `--faults` list that names an unknown fault or gives a bad value.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid fault \"{fault}\": {problem}; the faults are flaky, restart, expire, stuck, gw-fail=P, config-fail, no-op=P, slow=MS, slow-status=SECS, late-start=SECS, sync-drop"
)]
pub struct FaultError {
    fault: String,
    problem: String,
}

impl FromStr for Faults {
    type Err = FaultError;

    /// Parses a comma-separated list; an empty list injects nothing.
    fn from_str(list: &str) -> Result<Self, Self::Err> {
        let mut faults = Faults::default();
        for item in list
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            faults.add(item)?;
        }
        Ok(faults)
    }
}

impl Faults {
    fn add(&mut self, item: &str) -> Result<(), FaultError> {
        let error = |problem: &str| FaultError {
            fault: item.to_owned(),
            problem: problem.to_owned(),
        };
        let (name, value) = match item.split_once('=') {
            Some((name, value)) => (name, Some(value)),
            None => (item, None),
        };
        match (name, value) {
            ("flaky", None) => self.flaky = true,
            ("restart", None) => self.long_restart = true,
            ("expire", None) => self.short_sessions = true,
            ("stuck", None) => self.stuck = true,
            ("config-fail", None) => self.config_fail = true,
            ("sync-drop", None) => self.sync_drop = true,
            ("gw-fail", Some(value)) => self.gateway_failure = probability(value, error)?,
            ("no-op", Some(value)) => self.no_op = probability(value, error)?,
            ("slow", Some(value)) => {
                let millis: u64 = value
                    .parse()
                    .map_err(|_| error("expected milliseconds such as 250"))?;
                self.latency = Duration::from_millis(millis);
            }
            ("slow-status", Some(value)) => self.status_latency = seconds(value, error)?,
            ("late-start", Some(value)) => {
                let seconds: u64 = value
                    .parse()
                    .map_err(|_| error("expected simulated seconds such as 120"))?;
                self.late_start = Duration::from_secs(seconds);
            }
            ("gw-fail" | "no-op" | "slow" | "slow-status" | "late-start", None) => {
                return Err(error("this fault needs a value"));
            }
            ("flaky" | "restart" | "expire" | "stuck" | "config-fail" | "sync-drop", Some(_)) => {
                return Err(error("this fault takes no value"));
            }
            _ => return Err(error("unknown fault")),
        }
        Ok(())
    }
}

/// A probability in 0..=1 from a fault's value.
fn probability(value: &str, error: impl Fn(&str) -> FaultError) -> Result<f64, FaultError> {
    let probability: f64 = value
        .parse()
        .map_err(|_| error("expected a probability such as 0.2"))?;
    if !(0.0..=1.0).contains(&probability) {
        return Err(error("the probability must be between 0 and 1"));
    }
    Ok(probability)
}

/// A delay in seconds, fractions allowed, from a fault's value.
fn seconds(value: &str, error: impl Fn(&str) -> FaultError) -> Result<Duration, FaultError> {
    let expected = || error("expected seconds such as 2.5");
    let seconds: f64 = value.parse().map_err(|_| expected())?;
    Duration::try_from_secs_f64(seconds).map_err(|_| expected())
}

impl fmt::Display for Faults {
    /// The list back in `--faults` syntax, or `none`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut names: Vec<String> = Vec::new();
        let flags = [
            (self.flaky, "flaky"),
            (self.long_restart, "restart"),
            (self.short_sessions, "expire"),
            (self.stuck, "stuck"),
            (self.config_fail, "config-fail"),
            (self.sync_drop, "sync-drop"),
        ];
        names.extend(
            flags
                .iter()
                .filter(|(on, _)| *on)
                .map(|(_, name)| (*name).to_owned()),
        );
        if self.gateway_failure > 0.0 {
            names.push(format!("gw-fail={}", self.gateway_failure));
        }
        if self.no_op > 0.0 {
            names.push(format!("no-op={}", self.no_op));
        }
        if !self.latency.is_zero() {
            names.push(format!("slow={}", self.latency.as_millis()));
        }
        if !self.status_latency.is_zero() {
            names.push(format!("slow-status={}", self.status_latency.as_secs_f64()));
        }
        if !self.late_start.is_zero() {
            names.push(format!("late-start={}", self.late_start.as_secs()));
        }
        if names.is_empty() {
            f.write_str("none")
        } else {
            f.write_str(&names.join(","))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_parses_and_prints_back() {
        let faults: Faults =
            "flaky, restart,expire,stuck,gw-fail=0.25,config-fail,no-op=0.5,slow=40,slow-status=2.5,late-start=90,sync-drop"
                .parse()
                .expect("valid");
        assert!(
            faults.flaky
                && faults.long_restart
                && faults.short_sessions
                && faults.stuck
                && faults.config_fail
                && faults.sync_drop
        );
        assert_eq!(faults.gateway_failure, 0.25);
        assert_eq!(faults.latency, Duration::from_millis(40));
        assert_eq!(faults.late_start, Duration::from_secs(90));
        assert_eq!(faults.status_latency, Duration::from_millis(2500));
        assert_eq!(
            faults.to_string(),
            "flaky,restart,expire,stuck,config-fail,sync-drop,gw-fail=0.25,no-op=0.5,slow=40,slow-status=2.5,late-start=90"
        );
        assert_eq!("".parse::<Faults>(), Ok(Faults::default()));
        assert_eq!(Faults::default().to_string(), "none");
    }

    #[test]
    fn bad_faults_say_what_is_wrong() {
        for (list, problem) in [
            ("gremlins", "unknown fault"),
            ("gw-fail=2", "between 0 and 1"),
            ("gw-fail=often", "probability"),
            ("no-op=3", "between 0 and 1"),
            ("slow", "needs a value"),
            ("stuck=1", "takes no value"),
            ("slow=-5", "milliseconds"),
            ("late-start", "needs a value"),
            ("late-start=soon", "simulated seconds"),
            ("sync-drop=1", "takes no value"),
            ("slow-status", "needs a value"),
            ("slow-status=-1", "seconds such as 2.5"),
            ("slow-status=later", "seconds such as 2.5"),
            ("slow-status=inf", "seconds such as 2.5"),
        ] {
            let error = list.parse::<Faults>().expect_err(list).to_string();
            assert!(error.contains(problem) && error.contains(list), "{error}");
        }
    }
}
