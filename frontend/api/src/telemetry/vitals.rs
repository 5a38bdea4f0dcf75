//! Web Vitals, from the browser's performance entries, as web.dev defines them:
//!
//! - **LCP**, Largest Contentful Paint: when the largest element of the page was painted
//!   (the last `largest-contentful-paint` entry; the browser stops reporting at the first
//!   input);
//! - **CLS**, Cumulative Layout Shift: the largest session window of layout shifts not
//!   caused by input (shifts at most 1 s apart, a window at most 5 s long);
//! - **INP**, Interaction to Next Paint: the slowest interaction, or with 50 and more
//!   interactions one in fifty skipped (the 98th percentile).
//!
//! A page reports each once, when it is hidden or left: one observation a page view in
//! the histograms below. The buckets hold web.dev's "good" and "poor" thresholds.

use std::collections::BTreeMap;

use super::Value;
use super::otlp::Histogram;

pub const LCP: &str = "localmart.browser.lcp";
pub const CLS: &str = "localmart.browser.cls";
pub const INP: &str = "localmart.browser.inp";

/// Milliseconds; good up to 2.5 s, poor from 4 s.
const LCP_BOUNDS: &[f64] = &[
    500.0, 1000.0, 1500.0, 2000.0, 2500.0, 3000.0, 4000.0, 6000.0, 10000.0,
];
/// A score; good up to 0.1, poor from 0.25.
const CLS_BOUNDS: &[f64] = &[0.01, 0.05, 0.1, 0.15, 0.25, 0.5, 1.0];
/// Milliseconds; good up to 200 ms, poor from 500 ms.
const INP_BOUNDS: &[f64] = &[50.0, 100.0, 200.0, 300.0, 500.0, 1000.0, 2000.0];

/// What one page has measured so far.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Vitals {
    largest_paint: Option<f64>,
    /// Layout shifts without recent input: (start, score), in the order they came.
    shifts: Vec<(f64, f64)>,
    /// The longest event of each interaction, by interaction id.
    interactions: BTreeMap<u64, f64>,
}

impl Vitals {
    /// A `largest-contentful-paint` entry at `start` ms.
    pub fn largest_paint(&mut self, start: f64) {
        self.largest_paint = Some(start);
    }

    /// A `layout-shift` entry.
    pub fn layout_shift(&mut self, start: f64, score: f64, had_recent_input: bool) {
        if !had_recent_input {
            self.shifts.push((start, score));
        }
    }

    /// An `event` or `first-input` entry of interaction `id` (0 for events that are no
    /// interaction, such as a mouse moving), lasting `duration` ms.
    pub fn event(&mut self, id: u64, duration: f64) {
        if id != 0 {
            let longest = self.interactions.entry(id).or_insert(duration);
            *longest = longest.max(duration);
        }
    }

    pub fn lcp(&self) -> Option<f64> {
        self.largest_paint
    }

    pub fn cls(&self) -> f64 {
        let mut largest: f64 = 0.0;
        let mut window = 0.0;
        let mut window_start = f64::NEG_INFINITY;
        let mut previous = f64::NEG_INFINITY;
        for &(start, score) in &self.shifts {
            if start - previous > 1000.0 || start - window_start > 5000.0 {
                window = 0.0;
                window_start = start;
            }
            window += score;
            previous = start;
            largest = largest.max(window);
        }
        largest
    }

    pub fn inp(&self) -> Option<f64> {
        let mut durations: Vec<f64> = self.interactions.values().copied().collect();
        durations.sort_by(|a, b| b.total_cmp(a));
        let skipped = (durations.len() / 50).min(durations.len().saturating_sub(1));
        durations.get(skipped).copied()
    }

    /// The histograms a page reports, each with the one value it measured (CLS always;
    /// LCP and INP when there was a paint or an interaction), labelled by the route the
    /// page was loaded on (its template: no ids, no search text).
    pub fn histograms(&self, route: &str) -> Vec<Histogram> {
        let attributes = vec![("localmart.route".to_owned(), Value::Str(route.to_owned()))];
        let histogram = |name, unit, description, bounds, value: Option<f64>| {
            value.map(|value| {
                let mut histogram =
                    Histogram::new(name, unit, description, bounds, attributes.clone());
                histogram.observe(value);
                histogram
            })
        };
        [
            histogram(
                LCP,
                "ms",
                "Largest Contentful Paint of a page view",
                LCP_BOUNDS,
                self.lcp(),
            ),
            histogram(
                CLS,
                "1",
                "Cumulative Layout Shift of a page view",
                CLS_BOUNDS,
                Some(self.cls()),
            ),
            histogram(
                INP,
                "ms",
                "Interaction to Next Paint of a page view",
                INP_BOUNDS,
                self.inp(),
            ),
        ]
        .into_iter()
        .flatten()
        .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lcp_is_the_last_largest_paint() {
        let mut vitals = Vitals::default();
        assert_eq!(vitals.lcp(), None);
        vitals.largest_paint(300.0);
        vitals.largest_paint(1200.0);
        assert_eq!(vitals.lcp(), Some(1200.0));
    }

    #[test]
    fn cls_is_the_largest_session_window_of_shifts_without_input() {
        let mut vitals = Vitals::default();
        assert!(vitals.cls().abs() < f64::EPSILON, "no shift, no score");
        // One window: 0.1 + 0.05 (0.5 s apart); a shift after input does not count.
        vitals.layout_shift(100.0, 0.1, false);
        vitals.layout_shift(600.0, 0.05, false);
        vitals.layout_shift(700.0, 0.5, true);
        // A gap of more than 1 s starts another window: 0.08 + 0.08 + 0.08.
        vitals.layout_shift(2000.0, 0.08, false);
        vitals.layout_shift(2900.0, 0.08, false);
        vitals.layout_shift(3800.0, 0.08, false);
        assert!((vitals.cls() - 0.24).abs() < 1e-9, "{}", vitals.cls());
    }

    #[test]
    fn a_session_window_ends_after_five_seconds() {
        let mut vitals = Vitals::default();
        for step in 0..8 {
            vitals.layout_shift(f64::from(step) * 900.0, 0.1, false);
        }
        // Shifts at 0..=4.5 s make one window of 6; the two after start another.
        assert!((vitals.cls() - 0.6).abs() < 1e-9, "{}", vitals.cls());
    }

    #[test]
    fn inp_is_the_slowest_interaction_skipping_one_in_fifty() {
        let mut vitals = Vitals::default();
        vitals.event(0, 900.0);
        assert_eq!(vitals.inp(), None, "a pointer moving is no interaction");
        // An interaction's events (pointerdown, pointerup, click) count as its longest.
        vitals.event(7, 40.0);
        vitals.event(7, 120.0);
        vitals.event(8, 64.0);
        assert_eq!(vitals.inp(), Some(120.0));
        for id in 100..150 {
            vitals.event(id, 16.0);
        }
        assert_eq!(
            vitals.inp(),
            Some(64.0),
            "with 52 interactions, the slowest is skipped"
        );
    }

    #[test]
    fn a_page_reports_what_it_measured_labelled_by_its_route() {
        let mut vitals = Vitals::default();
        let names = |vitals: &Vitals| -> Vec<&str> {
            vitals
                .histograms("/product/:id")
                .iter()
                .map(|h| h.name)
                .collect()
        };
        assert_eq!(names(&vitals), [CLS]);
        vitals.largest_paint(800.0);
        vitals.event(3, 48.0);
        assert_eq!(names(&vitals), [LCP, CLS, INP]);
        let lcp = &vitals.histograms("/product/:id")[0];
        assert_eq!(lcp.count(), 1);
        assert_eq!(
            lcp.attributes,
            [(
                "localmart.route".to_owned(),
                Value::Str("/product/:id".to_owned())
            )]
        );
    }
}
