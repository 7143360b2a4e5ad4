//! What Linux says about a running process: its peak resident memory (`VmHWM`) and the CPU
//! time it has used (`utime + stime`).

use std::time::Duration;

use color_eyre::eyre::{OptionExt, Result, WrapErr};

/// Clock ticks per second in `/proc/PID/stat` (USER_HZ, 100 on every mainstream Linux).
const TICKS_PER_SECOND: u64 = 100;

/// The process's peak resident set size, in KiB.
pub fn peak_rss_kib(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .wrap_err_with(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))
        .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_eyre("no VmHWM line in /proc/PID/status")
}

/// The CPU time (user + system) the process has used so far.
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .wrap_err_with(|| format!("reading /proc/{pid}/stat"))?;
    // The command name, in parentheses, may hold spaces: the fields start after its `)`.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // After the name: state is field 3 of the man page, utime 14 and stime 15.
    let tick = |index: usize| fields.get(index).and_then(|text| text.parse::<u64>().ok());
    let (Some(user), Some(system)) = (tick(11), tick(12)) else {
        return Err(color_eyre::eyre::eyre!("unreadable /proc/{pid}/stat"));
    };
    Ok(Duration::from_millis(
        (user + system) * 1000 / TICKS_PER_SECOND,
    ))
}
