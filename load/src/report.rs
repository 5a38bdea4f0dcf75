//! What a run measured: per journey, how many finished and failed and how long they took.

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use crate::journeys::Journey;

/// The outcomes of one journey's visits.
#[derive(Debug, Default)]
pub struct Outcomes {
    /// How long each visit that finished took.
    times: Vec<Duration>,
    /// Failures, by what failed, with how many times.
    failures: BTreeMap<String, u64>,
}

impl Outcomes {
    pub fn finished(&mut self, took: Duration) {
        self.times.push(took);
    }

    pub fn failed(&mut self, why: String) {
        *self.failures.entry(why).or_default() += 1;
    }

    pub fn failures(&self) -> u64 {
        self.failures.values().sum()
    }

    /// The time that `quantile` (0 to 1) of the finished visits took at most, by nearest
    /// rank; none before a visit finished.
    pub fn quantile(&self, quantile: f64) -> Option<Duration> {
        let mut times = self.times.clone();
        times.sort_unstable();
        let rank = (quantile * times.len() as f64).ceil() as usize;
        times.get(rank.clamp(1, times.len().max(1)) - 1).copied()
    }
}

/// A whole run: every journey's outcomes, what was started, and for how long.
#[derive(Debug, Default)]
pub struct Report {
    pub journeys: BTreeMap<Journey, Outcomes>,
    /// Visits not started because too many were already in flight (the shop fell behind).
    pub not_started: u64,
    /// Visits still in flight well after the run ended, and given up on.
    pub unfinished: u64,
    pub elapsed: Duration,
}

impl Report {
    pub fn finished(&self) -> u64 {
        self.journeys.values().map(|o| o.times.len() as u64).sum()
    }

    /// Visits that failed or never finished.
    pub fn failures(&self) -> u64 {
        self.journeys.values().map(Outcomes::failures).sum::<u64>() + self.unfinished
    }
}

fn millis(time: Option<Duration>) -> String {
    time.map_or_else(
        || "-".to_owned(),
        |t| format!("{:.1}", t.as_secs_f64() * 1e3),
    )
}

impl fmt::Display for Report {
    /// A table, one row a journey, then every distinct failure.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "| {:<22} | {:>6} | {:>6} | {:>7} | {:>8} | {:>8} | {:>8} | {:>8} |",
            "journey", "done", "failed", "per s", "p50 ms", "p95 ms", "p99 ms", "max ms"
        )?;
        writeln!(
            f,
            "|{:-<24}|{:->8}|{:->8}|{:->9}|{:->10}|{:->10}|{:->10}|{:->10}|",
            "", "", "", "", "", "", "", ""
        )?;
        let seconds = self.elapsed.as_secs_f64().max(f64::EPSILON);
        for (journey, outcomes) in &self.journeys {
            writeln!(
                f,
                "| {:<22} | {:>6} | {:>6} | {:>7.1} | {:>8} | {:>8} | {:>8} | {:>8} |",
                journey.to_string(),
                outcomes.times.len(),
                outcomes.failures(),
                outcomes.times.len() as f64 / seconds,
                millis(outcomes.quantile(0.50)),
                millis(outcomes.quantile(0.95)),
                millis(outcomes.quantile(0.99)),
                millis(outcomes.quantile(1.0)),
            )?;
        }
        writeln!(
            f,
            "{} journeys finished and {} failed in {:.1} s",
            self.finished(),
            self.failures(),
            seconds
        )?;
        if self.not_started > 0 {
            writeln!(
                f,
                "{} journeys were not started: too many were still in flight",
                self.not_started
            )?;
        }
        if self.unfinished > 0 {
            writeln!(
                f,
                "{} journeys had not finished well after the end",
                self.unfinished
            )?;
        }
        for (journey, outcomes) in &self.journeys {
            for (why, count) in &outcomes.failures {
                writeln!(f, "  {journey}: {count} x {why}")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn outcomes(millis: impl IntoIterator<Item = u64>) -> Outcomes {
        let mut outcomes = Outcomes::default();
        for m in millis {
            outcomes.finished(Duration::from_millis(m));
        }
        outcomes
    }

    #[test]
    fn quantiles_are_nearest_rank_over_the_finished_visits() {
        let hundred = outcomes((1..=100).rev());
        assert_eq!(hundred.quantile(0.5), Some(Duration::from_millis(50)));
        assert_eq!(hundred.quantile(0.99), Some(Duration::from_millis(99)));
        assert_eq!(hundred.quantile(1.0), Some(Duration::from_millis(100)));
        assert_eq!(outcomes([7]).quantile(0.5), Some(Duration::from_millis(7)));
        assert_eq!(outcomes([]).quantile(0.5), None);
    }

    #[test]
    fn the_summary_has_a_row_per_journey_and_names_each_failure() {
        let mut report = Report {
            elapsed: Duration::from_secs(2),
            ..Report::default()
        };
        report.journeys.insert(Journey::Search, outcomes([10, 20]));
        let mut cart = outcomes([30]);
        cart.failed("add a product: the cart service is not available".to_owned());
        report.journeys.insert(Journey::Cart, cart);
        let table = report.to_string();
        assert!(
            table.contains("| search                 |      2 |      0 |     1.0 |"),
            "{table}"
        );
        assert!(
            table.contains("| fill a cart            |      1 |      1 |"),
            "{table}"
        );
        assert!(
            table.contains("3 journeys finished and 1 failed in 2.0 s"),
            "{table}"
        );
        assert!(
            table.contains("fill a cart: 1 x add a product: the cart service"),
            "{table}"
        );
    }
}
