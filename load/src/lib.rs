//! Shoppers' journeys against a running LocalMart, through its edge, as `make load` runs
//! them: an open-loop generator (journeys start at the planned rate however slowly the
//! shop answers, so a slow shop shows as long journeys, not as fewer of them), each journey
//! made of the storefront's own calls, and a summary per journey at the end.
//!
//! On a loopback edge every simulated shopper connects from an address of its own
//! (127.77.x.y), so the edge's per-client limits apply to each shopper, as they would to
//! real shoppers, rather than to the generator as a whole.

mod journeys;
mod report;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use storefront_api::Api;
use tokio::task::JoinSet;

pub use journeys::{Journey, Shop, Shopper};
pub use report::{Outcomes, Report};

/// How a run goes.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The edge's origin, such as `http://127.0.0.1:18000`.
    pub edge: String,
    /// Journeys started a second.
    pub rate: f64,
    /// How long journeys are started for.
    pub duration: Duration,
    /// Distinct shoppers the journeys are shared among.
    pub shoppers: u32,
    /// Seeds the choice of journeys, shoppers and products, so a run can be repeated.
    pub seed: u64,
    /// Journeys in flight beyond which no more are started (and those are counted).
    pub max_in_flight: usize,
}

/// Where a run is, for a progress line.
#[derive(Clone, Copy, Debug, Default)]
pub struct Progress {
    pub elapsed: Duration,
    pub started: u64,
    pub finished: u64,
    pub failed: u64,
    pub in_flight: usize,
}

/// How long journeys still in flight at the end may take to finish before they count as
/// failed.
const DRAIN: Duration = Duration::from_secs(30);

/// Runs `plan` against the shop, calling `progress` about once a second.
pub async fn run(plan: &Plan, mut progress: impl FnMut(Progress)) -> Result<Report> {
    if !(plan.rate > 0.0 && plan.rate.is_finite()) {
        bail!("the rate must be a positive number of journeys a second");
    }
    if plan.shoppers == 0 || plan.shoppers > 65_000 {
        bail!("the number of shoppers must be from 1 to 65000");
    }
    let shop = Api::behind_edge(&plan.edge, client(None)?);
    let shop = Arc::new(Shop::read(&shop).await.with_context(|| {
        format!(
            "reading the shop at {} (is it running? `make up` starts it)",
            plan.edge
        )
    })?);
    let own_addresses = is_loopback(&plan.edge);
    let shoppers = (1..=plan.shoppers)
        .map(|n| {
            let source = own_addresses.then(|| shopper_address(n));
            Ok(Arc::new(Shopper::new(Api::behind_edge(
                &plan.edge,
                client(source)?,
            ))))
        })
        .collect::<Result<Vec<_>>>()?;

    let mut rng = fastrand::Rng::with_seed(plan.seed);
    let mut report = Report::default();
    let mut tasks = JoinSet::new();
    let mut status = Progress::default();
    let start = Instant::now();
    let mut ticks = tokio::time::interval(Duration::from_secs_f64(1.0 / plan.rate));
    let mut next_progress = Duration::from_secs(1);
    loop {
        let tick = ticks.tick().await;
        if tick.duration_since(start.into()) >= plan.duration {
            break;
        }
        while let Some(done) = tasks.try_join_next() {
            record(&mut report, &mut status, done);
        }
        if tasks.len() >= plan.max_in_flight {
            report.not_started += 1;
        } else {
            let journey = Journey::at(rng.u32(..Journey::total_weight()));
            let shopper = Arc::clone(&shoppers[rng.usize(..shoppers.len())]);
            let shop = Arc::clone(&shop);
            let mut choices = fastrand::Rng::with_seed(rng.u64(..));
            tasks.spawn(async move {
                let began = Instant::now();
                let visited = shopper.visit(journey, &shop, &mut choices).await;
                (journey, began.elapsed(), visited)
            });
            status.started += 1;
        }
        status.elapsed = start.elapsed();
        if status.elapsed >= next_progress {
            status.in_flight = tasks.len();
            progress(status);
            next_progress += Duration::from_secs(1);
        }
    }
    let drained = tokio::time::timeout(DRAIN, async {
        while let Some(done) = tasks.join_next().await {
            record(&mut report, &mut status, done);
        }
    })
    .await;
    if drained.is_err() {
        report.unfinished = tasks.len() as u64;
        tasks.abort_all();
    }
    report.elapsed = start.elapsed();
    status.elapsed = report.elapsed;
    status.in_flight = 0;
    progress(status);
    Ok(report)
}

type Visit = (Journey, Duration, Result<()>);

fn record(report: &mut Report, status: &mut Progress, done: Result<Visit, tokio::task::JoinError>) {
    let (journey, took, visited) = match done {
        Ok(visit) => visit,
        // A journey that panicked is a bug of the generator's; it says so on stderr.
        Err(_) => return,
    };
    let outcomes = report.journeys.entry(journey).or_default();
    match visited {
        Ok(()) => {
            outcomes.finished(took);
            status.finished += 1;
        }
        Err(error) => {
            outcomes.failed(format!("{error:#}"));
            status.failed += 1;
        }
    }
}

/// A client like the generated one's (15 s to connect and to answer), connecting from
/// `source` when given.
fn client(source: Option<IpAddr>) -> Result<reqwest::Client> {
    let wait = Duration::from_secs(15);
    let builder = reqwest::Client::builder()
        .connect_timeout(wait)
        .timeout(wait)
        .local_address(source);
    builder.build().context("building an HTTP client")
}

/// Shopper `n`'s own loopback address: 127.77.0.1, 127.77.0.2, ...
fn shopper_address(n: u32) -> IpAddr {
    let base = u32::from(Ipv4Addr::new(127, 77, 0, 0));
    IpAddr::V4(Ipv4Addr::from(base + n))
}

/// Whether the edge is at a loopback IPv4 address, which any 127/8 address can reach.
fn is_loopback(edge: &str) -> bool {
    let host = reqwest::Url::parse(edge)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned));
    host.and_then(|host| host.parse::<Ipv4Addr>().ok())
        .is_some_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shoppers_on_a_loopback_edge_each_have_an_address() {
        assert_eq!(shopper_address(1).to_string(), "127.77.0.1");
        assert_eq!(shopper_address(300).to_string(), "127.77.1.44");
        assert!(is_loopback("http://127.0.0.1:18000"));
        assert!(!is_loopback("http://localhost:18000"));
        assert!(!is_loopback("http://shop.example:80"));
    }
}
