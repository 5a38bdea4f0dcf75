//! What the benchmarks share: their settings, the figures of a run ([`Stats`], read from
//! the load tools' reports by [`crate::tools`]), the CPU the servers spent, and the
//! tables they print.

use std::time::Duration;

use anyhow::Result;

#[derive(Debug, Clone)]
pub struct Stats {
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
    /// The CPU this process spent during the measured run, when the load came from a tool
    /// in a process of its own: then it is the servers' CPU, since the benches run the
    /// servers under test in their own process.
    pub server_cpu: Option<Duration>,
}

impl Stats {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }

    /// The servers' CPU per request, when it was measured.
    pub fn cpu_per_request(&self) -> Option<Duration> {
        let requests = u32::try_from(self.requests).ok().filter(|n| *n > 0)?;
        Some(self.server_cpu? / requests)
    }
}

/// The CPU (user and system) this process has used so far, from `/proc/self/stat`, in the
/// kernel's clock ticks of 10 ms (`USER_HZ` is 100 on Linux).
pub fn process_cpu() -> Result<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat")?;
    // The fields after the command name, which is in parentheses and may hold spaces.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // utime and stime are the 14th and 15th fields; the name is the 2nd.
    let ticks = |index: usize| -> Result<u64> {
        let field = fields
            .get(index - 3)
            .ok_or_else(|| anyhow::anyhow!("a short /proc/self/stat"))?;
        Ok(field.parse()?)
    };
    Ok(Duration::from_millis((ticks(14)? + ticks(15)?) * 10))
}

/// `BENCH_SECONDS` (default 5) and `BENCH_CONCURRENCY` (default 32).
pub fn settings() -> (Duration, usize) {
    let read = |name: &str, default: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    (
        Duration::from_secs(read("BENCH_SECONDS", 5)),
        usize::try_from(read("BENCH_CONCURRENCY", 32)).unwrap_or(32),
    )
}

/// The header of the table [`row`] prints, as Markdown.
pub fn header(title: &str, concurrency: usize, duration: Duration) {
    println!(
        "\n{title}: {concurrency} concurrent callers, {} s per row, one machine",
        duration.as_secs()
    );
    println!(
        "| {:<34} | {:>9} | {:>8} | {:>8} | {:>7} | {:>6} | {:>11} |",
        "target", "req/s", "p50 ms", "p99 ms", "count", "errors", "CPU us/req"
    );
    println!(
        "|{}|{}|{}|{}|{}|{}|{}|",
        "-".repeat(36),
        "-".repeat(11),
        "-".repeat(10),
        "-".repeat(10),
        "-".repeat(9),
        "-".repeat(8),
        "-".repeat(13)
    );
}

/// One row of the table: the CPU column is the servers' CPU per request, where measured.
pub fn row(name: &str, stats: &Stats) {
    let cpu = stats.cpu_per_request().map_or_else(
        || "-".to_owned(),
        |cpu| format!("{:.1}", cpu.as_secs_f64() * 1e6),
    );
    println!(
        "| {name:<34} | {:>9.0} | {:>8.2} | {:>8.2} | {:>7} | {:>6} | {cpu:>11} |",
        stats.throughput(),
        stats.p50.as_secs_f64() * 1000.0,
        stats.p99.as_secs_f64() * 1000.0,
        stats.requests,
        stats.errors,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Works until the counter has grown by 20 ms. A counter that did not grow would run
    /// into the deadline; a busy machine only makes it take longer.
    #[test]
    fn this_process_cpu_grows_as_it_works() {
        let before = process_cpu().expect("read");
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        let mut x = 0u64;
        loop {
            for _ in 0..1_000_000 {
                x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
            }
            let used = process_cpu().expect("read") - before;
            if used >= Duration::from_millis(20) {
                break;
            }
            assert!(
                std::time::Instant::now() < deadline,
                "{used:?} of CPU after 10 s of work"
            );
        }
    }
}
