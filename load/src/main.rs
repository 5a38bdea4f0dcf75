//! `make load`: shoppers' journeys against a running LocalMart (see the library's docs).

use std::io::{IsTerminal, Write};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use load::{Journey, Plan, Progress};

/// Shoppers' journeys against a running LocalMart, through its edge, at a fixed rate.
#[derive(Debug, Parser)]
#[command(name = "load", after_help = journeys_help())]
struct Args {
    /// The edge the shop is served on.
    #[arg(long, env = "LOAD_EDGE", default_value = "http://127.0.0.1:18000")]
    edge: String,
    /// Journeys started a second, however slowly the shop answers.
    #[arg(long, default_value_t = 10.0)]
    rate: f64,
    /// How long to start journeys for, such as 30s or 2m.
    #[arg(long, default_value = "1m", value_parser = humantime::parse_duration)]
    duration: Duration,
    /// Distinct shoppers the journeys are shared among.
    #[arg(long, default_value_t = 200)]
    shoppers: u32,
    /// Seeds the choices of journeys, shoppers and products, to repeat a run.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Journeys in flight beyond which no more are started (they are counted).
    #[arg(long, default_value_t = 2000)]
    max_in_flight: usize,
}

fn journeys_help() -> String {
    let mut help = String::from("Journeys, with their share of the visits:\n");
    for (journey, weight) in Journey::WEIGHTS {
        help.push_str(&format!("  {weight:>3} %  {journey}\n"));
    }
    help
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    let plan = Plan {
        edge: args.edge,
        rate: args.rate,
        duration: args.duration,
        shoppers: args.shoppers,
        seed: args.seed,
        max_in_flight: args.max_in_flight,
    };
    eprintln!(
        "load: {} journeys a second for {} against {}, {} shoppers",
        plan.rate,
        humantime::format_duration(plan.duration),
        plan.edge,
        plan.shoppers
    );
    let on_terminal = std::io::stderr().is_terminal();
    let report = load::run(&plan, |progress| show(progress, on_terminal)).await;
    if on_terminal {
        eprintln!();
    }
    match report {
        Ok(report) => {
            print!("{report}");
            if report.failures() > 0 {
                ExitCode::FAILURE
            } else {
                ExitCode::SUCCESS
            }
        }
        Err(error) => {
            eprintln!("load: {error:#}");
            ExitCode::FAILURE
        }
    }
}

/// The progress line: rewritten in place on a terminal, one every ten seconds in a log.
fn show(progress: Progress, on_terminal: bool) {
    let seconds = progress.elapsed.as_secs();
    let line = format!(
        "{seconds:>4} s  started {}  finished {}  failed {}  in flight {}",
        progress.started, progress.finished, progress.failed, progress.in_flight
    );
    let mut stderr = std::io::stderr().lock();
    if on_terminal {
        let _ = write!(stderr, "\r{line}\x1b[K");
    } else if seconds.is_multiple_of(10) {
        let _ = writeln!(stderr, "{line}");
    }
    let _ = stderr.flush();
}
