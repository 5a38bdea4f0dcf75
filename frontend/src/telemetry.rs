//! The storefront's telemetry in the browser (see `storefront_api::telemetry` for what is
//! recorded and how it is written): [`install`] puts the span recorder under `tracing`,
//! watches the page's performance entries for Web Vitals, and sends both to the edge's
//! `/otlp/` paths, which lead to the OpenTelemetry Collector. Spans go every few seconds
//! and when the page is hidden or left; the Web Vitals once, when the page is first hidden
//! or left. `navigator.sendBeacon` sends them, so they leave even as the page unloads.
//!
//! [`shown`] records a page load (from the navigation's start to the first frame of the
//! app) and every route change (to the first frame of the new route) as spans.
//!
//! Outside a browser (unit tests) all of it does nothing.

/// Where the edge takes OTLP/HTTP, same-origin: its paths lead to the collector's.
#[cfg(target_arch = "wasm32")]
const TRACES_PATH: &str = "/otlp/v1/traces";
#[cfg(target_arch = "wasm32")]
const METRICS_PATH: &str = "/otlp/v1/metrics";

#[cfg(target_arch = "wasm32")]
pub use browser::{install, shown};

/// Outside a browser there is nothing to watch or send to.
#[cfg(not(target_arch = "wasm32"))]
pub fn shown(_path: &str, _template: &'static str) {}

#[cfg(target_arch = "wasm32")]
mod browser {
    use std::cell::RefCell;

    use storefront_api::telemetry::vitals::Vitals;
    use storefront_api::telemetry::{FinishedSpan, Recorder, Value, from_millis, now, otlp};
    use tracing_subscriber::layer::SubscriberExt;
    use web_sys::js_sys::{Object, Reflect};
    use web_sys::wasm_bindgen::JsCast;
    use web_sys::wasm_bindgen::prelude::Closure;
    use web_sys::{
        PerformanceEntry, PerformanceObserver, PerformanceObserverEntryList, VisibilityState,
    };

    use super::{METRICS_PATH, TRACES_PATH};

    /// How often waiting spans are sent, in milliseconds.
    const SEND_EVERY: i32 = 5000;
    /// At most this many spans go in one request (the edge takes bodies of up to 64 KiB).
    const SPANS_PER_REQUEST: usize = 50;

    /// What the page keeps between the browser's callbacks.
    struct Page {
        recorder: Recorder,
        vitals: Vitals,
        /// This page's writer id for its metrics (`service.instance.id`).
        instance: String,
        /// The route template the page was loaded on: what its Web Vitals are labelled by.
        landing: &'static str,
        /// The address shown last, and its route template.
        shown: Option<(String, &'static str)>,
        vitals_sent: bool,
    }

    thread_local! {
        static PAGE: RefCell<Option<Page>> = const { RefCell::new(None) };
    }

    fn with_page<T>(work: impl FnOnce(&mut Page) -> T) -> Option<T> {
        PAGE.with(|page| page.borrow_mut().as_mut().map(work))
    }

    /// Starts recording, watching and sending. Called once, before the app starts.
    pub fn install() {
        let recorder = Recorder::default();
        let subscriber = tracing_subscriber::registry().with(recorder.clone());
        if tracing::subscriber::set_global_default(subscriber).is_err() {
            return;
        }
        let (trace_id, _) = storefront_api::trace::fresh_ids();
        let instance = trace_id.iter().map(|byte| format!("{byte:02x}")).collect();
        PAGE.with(|page| {
            *page.borrow_mut() = Some(Page {
                recorder,
                vitals: Vitals::default(),
                instance,
                landing: "",
                shown: None,
                vitals_sent: false,
            });
        });
        for (kind, threshold) in [
            ("largest-contentful-paint", None),
            ("layout-shift", None),
            // Every interaction the browser times (16 ms is the least it reports).
            ("event", Some(16.0)),
            ("first-input", None),
        ] {
            observe(kind, threshold);
        }
        let Some(window) = web_sys::window() else {
            return;
        };
        let send = Closure::<dyn FnMut()>::new(send_spans);
        let _ = window.set_interval_with_callback_and_timeout_and_arguments_0(
            send.as_ref().unchecked_ref(),
            SEND_EVERY,
        );
        send.forget();
        // Hidden (another tab, the phone locked) or left: perhaps the last chance to send.
        let hidden = Closure::<dyn FnMut()>::new(|| {
            let document = web_sys::window().and_then(|window| window.document());
            if document
                .is_none_or(|document| document.visibility_state() == VisibilityState::Hidden)
            {
                leaving();
            }
        });
        if let Some(document) = window.document() {
            let _ = document.add_event_listener_with_callback(
                "visibilitychange",
                hidden.as_ref().unchecked_ref(),
            );
        }
        hidden.forget();
        // Some browsers leave a page without hiding it first.
        let left = Closure::<dyn FnMut()>::new(leaving);
        let _ = window.add_event_listener_with_callback("pagehide", left.as_ref().unchecked_ref());
        left.forget();
    }

    fn leaving() {
        send_vitals();
        send_spans();
    }

    /// The app shows `path` (of the route `template`): the page's first address is a page
    /// load, from the navigation's start; every other one a route change, from now. Each
    /// lasts until the browser draws its next frame.
    pub fn shown(path: &str, template: &'static str) {
        let change = with_page(|page| {
            if page.shown.as_ref().is_some_and(|(shown, _)| shown == path) {
                return None;
            }
            let previous = page.shown.replace((path.to_owned(), template));
            let mut attributes = vec![route("localmart.route", template)];
            Some(match previous {
                None => {
                    page.landing = template;
                    ("page load", navigation_start(), attributes)
                }
                Some((_, from)) => {
                    attributes.push(route("localmart.route.from", from));
                    ("route change", now(), attributes)
                }
            })
        });
        let Some(Some((name, start, attributes))) = change else {
            return;
        };
        let drawn = Closure::once_into_js(move || {
            with_page(|page| {
                page.recorder
                    .keep(FinishedSpan::root(name, start, now(), attributes));
            });
        });
        if let Some(window) = web_sys::window() {
            let _ = window.request_animation_frame(drawn.unchecked_ref());
        }
    }

    fn route(key: &str, template: &str) -> (String, Value) {
        (key.to_owned(), Value::Str(template.to_owned()))
    }

    /// When the browser began loading the page, in Unix-epoch nanoseconds.
    fn navigation_start() -> u64 {
        web_sys::window()
            .and_then(|window| window.performance())
            .map_or_else(now, |performance| from_millis(performance.time_origin()))
    }

    /// Watches the performance entries of `kind`, those already there included.
    fn observe(kind: &str, duration_threshold: Option<f64>) {
        let seen = Closure::<dyn FnMut(PerformanceObserverEntryList)>::new(
            |entries: PerformanceObserverEntryList| {
                with_page(|page| {
                    for entry in entries.get_entries() {
                        measure(&mut page.vitals, &entry.unchecked_into());
                    }
                });
            },
        );
        let Ok(observer) = PerformanceObserver::new(seen.as_ref().unchecked_ref()) else {
            return;
        };
        seen.forget();
        // The options as a plain object: `type` and `durationThreshold` are newer than
        // web-sys's PerformanceObserverInit.
        let options = Object::new();
        let _ = Reflect::set(&options, &"type".into(), &kind.into());
        let _ = Reflect::set(&options, &"buffered".into(), &true.into());
        if let Some(threshold) = duration_threshold {
            let _ = Reflect::set(&options, &"durationThreshold".into(), &threshold.into());
        }
        // A browser that does not know the kind ignores it (with a warning in its
        // console); the vital is then not measured.
        observer.observe(options.unchecked_ref());
    }

    fn measure(vitals: &mut Vitals, entry: &PerformanceEntry) {
        let number = |name: &str| {
            Reflect::get(entry, &name.into())
                .ok()
                .and_then(|value| value.as_f64())
        };
        match entry.entry_type().as_str() {
            "largest-contentful-paint" => vitals.largest_paint(entry.start_time()),
            "layout-shift" => {
                let input = Reflect::get(entry, &"hadRecentInput".into())
                    .is_ok_and(|value| value.is_truthy());
                vitals.layout_shift(entry.start_time(), number("value").unwrap_or(0.0), input);
            }
            "event" | "first-input" => {
                // Interaction ids are small whole numbers.
                let id = number("interactionId").unwrap_or(0.0) as u64;
                vitals.event(id, entry.duration());
            }
            _ => {}
        }
    }

    /// Sends the spans waiting, in requests of a bounded size.
    fn send_spans() {
        let Some(spans) = with_page(|page| page.recorder.take()) else {
            return;
        };
        for batch in spans.chunks(SPANS_PER_REQUEST) {
            beacon(TRACES_PATH, &otlp::traces(batch));
        }
    }

    /// Sends the page's Web Vitals, the first time it is hidden or left.
    fn send_vitals() {
        let body = with_page(|page| {
            if page.vitals_sent || page.shown.is_none() {
                return None;
            }
            page.vitals_sent = true;
            let histograms = page.vitals.histograms(page.landing);
            Some(otlp::metrics(
                &page.instance,
                navigation_start(),
                now(),
                &histograms,
            ))
        });
        if let Some(Some(body)) = body {
            beacon(METRICS_PATH, &body);
        }
    }

    /// Queues `body` for `path`; the browser sends it even if the page is unloading. (The
    /// edge gives it the JSON content type the collector wants: a beacon's text is
    /// `text/plain`.)
    fn beacon(path: &str, body: &str) {
        if let Some(window) = web_sys::window() {
            let _ = window
                .navigator()
                .send_beacon_with_opt_str(path, Some(body));
        }
    }
}
