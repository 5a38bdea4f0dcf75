//! A closed-loop load generator for the benchmarks: N concurrent callers, each sending its
//! next request as soon as the last one is answered, for a fixed time after a warm-up.

use std::future::Future;
use std::time::{Duration, Instant};

use anyhow::Result;

#[derive(Debug, Clone)]
pub struct Stats {
    pub requests: usize,
    pub errors: usize,
    pub elapsed: Duration,
    pub p50: Duration,
    pub p99: Duration,
}

impl Stats {
    pub fn throughput(&self) -> f64 {
        self.requests as f64 / self.elapsed.as_secs_f64()
    }
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

/// Runs `call` from `concurrency` tasks for `duration`, after a warm-up of a fifth of it.
pub async fn measure<F, Fut>(concurrency: usize, duration: Duration, call: F) -> Stats
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    run(concurrency, duration / 5, call.clone()).await;
    run(concurrency, duration, call).await
}

async fn run<F, Fut>(concurrency: usize, duration: Duration, call: F) -> Stats
where
    F: Fn() -> Fut + Clone + Send + 'static,
    Fut: Future<Output = Result<()>> + Send,
{
    let started = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let call = call.clone();
            tokio::spawn(async move {
                let (mut latencies, mut errors) = (Vec::new(), 0);
                while started.elapsed() < duration {
                    let sent = Instant::now();
                    match call().await {
                        Ok(()) => latencies.push(sent.elapsed()),
                        Err(_) => errors += 1,
                    }
                }
                (latencies, errors)
            })
        })
        .collect();
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        if let Ok((task_latencies, task_errors)) = task.await {
            latencies.extend(task_latencies);
            errors += task_errors;
        }
    }
    let elapsed = started.elapsed();
    latencies.sort_unstable();
    let at = |q: f64| {
        let index = ((latencies.len().saturating_sub(1)) as f64 * q) as usize;
        latencies.get(index).copied().unwrap_or_default()
    };
    Stats {
        requests: latencies.len(),
        errors,
        elapsed,
        p50: at(0.50),
        p99: at(0.99),
    }
}

/// The header of the table [`row`] prints, as Markdown.
pub fn header(title: &str, concurrency: usize, duration: Duration) {
    println!(
        "\n{title}: {concurrency} concurrent callers, {} s per row, one machine",
        duration.as_secs()
    );
    println!(
        "| {:<34} | {:>9} | {:>8} | {:>8} | {:>7} | {:>6} |",
        "target", "req/s", "p50 ms", "p99 ms", "count", "errors"
    );
    println!(
        "|{}|{}|{}|{}|{}|{}|",
        "-".repeat(36),
        "-".repeat(11),
        "-".repeat(10),
        "-".repeat(10),
        "-".repeat(9),
        "-".repeat(8)
    );
}

pub fn row(name: &str, stats: &Stats) {
    println!(
        "| {name:<34} | {:>9.0} | {:>8.2} | {:>8.2} | {:>7} | {:>6} |",
        stats.throughput(),
        stats.p50.as_secs_f64() * 1000.0,
        stats.p99.as_secs_f64() * 1000.0,
        stats.requests,
        stats.errors,
    );
}
