//! The dashboards and the SLOs, from one definition, written for both stacks:
//!
//! - each dashboard as Grafana JSON (`deploy/observability/grafana/dashboards/`, for the
//!   container stack, provisioned from files) and as a Prometheus console template
//!   (`deploy/observability/consoles/`, which the native Prometheus serves at
//!   `/consoles/<name>.html`), with the same queries, so the two cannot drift;
//! - each SLO as recording rules and multi-window, multi-burn-rate alerts
//!   (`deploy/observability/prometheus/rules/slos.yml`), a `promtool test rules` file
//!   that makes every alert fire on a burn and stay quiet without one
//!   (`deploy/observability/prometheus/tests/slos.test.yml`), and a dashboard.
//!
//! Every query uses fixed `[5m]` windows, which both Grafana and the console templates
//! understand.

use std::fmt::Write as _;

use serde_json::{Value, json};

use super::{Files, HEADER};

/// A dashboard: panels of queries.
struct Dashboard {
    /// The file name, the Grafana uid and the console page's name.
    name: String,
    title: String,
    description: &'static str,
    panels: Vec<Panel>,
}

struct Panel {
    title: &'static str,
    /// Grafana's unit (`reqps`, `s`, `percentunit`, `ms`).
    unit: &'static str,
    queries: Vec<Query>,
}

struct Query {
    expr: String,
    /// The series' legend, Grafana's `{{label}}` syntax.
    legend: &'static str,
    /// Whether Grafana shows the query's exemplars (the span metrics' trace ids).
    exemplars: bool,
}

fn query(expr: impl Into<String>, legend: &'static str) -> Query {
    Query {
        expr: expr.into(),
        legend,
        exemplars: false,
    }
}

/// A service level objective for one journey of the shop.
#[derive(Debug)]
pub struct Slo {
    pub name: &'static str,
    pub title: &'static str,
    /// Which requests make the journey (labels of `localmart_requests_total`).
    pub selector: &'static str,
    /// The share of requests that must not fail with a 5xx.
    pub availability: f64,
    /// The share of requests that must be served within `threshold_seconds`, a bucket
    /// boundary of `localmart_request_duration_seconds`.
    pub latency: f64,
    pub threshold_seconds: f64,
}

/// The journeys' objectives. A search is a listing with a text (`GET /v1/products?q=`);
/// the Catalog counts it apart, as the route `/v1/products?q`, so browsing's regex (which
/// Prometheus anchors) leaves it out.
pub const SLOS: &[Slo] = &[
    Slo {
        name: "browse",
        title: "Browse the catalog",
        selector: r#"service="catalog", protocol="http", method="GET", route=~"/v1/products|/v1/products/\\{product_id\\}|/v1/categories""#,
        availability: 0.995,
        latency: 0.99,
        threshold_seconds: 0.25,
    },
    Slo {
        name: "search",
        title: "Search the catalog",
        selector: r#"service="catalog", protocol="http", method="GET", route="/v1/products?q""#,
        availability: 0.995,
        latency: 0.99,
        threshold_seconds: 0.5,
    },
    Slo {
        name: "add_to_cart",
        title: "Add to cart",
        selector: r#"service="cart", protocol="http", method="POST", route="/v1/carts/{cart_id}/lines""#,
        availability: 0.995,
        latency: 0.99,
        threshold_seconds: 0.5,
    },
    Slo {
        name: "post_review",
        title: "Post a review",
        selector: r#"service="reviews", protocol="http", method="POST", route="/v1/products/{product_id}/reviews""#,
        availability: 0.99,
        latency: 0.95,
        threshold_seconds: 1.0,
    },
];

/// The burn-rate windows (Google's SRE workbook): a fast burn pages when the last hour
/// and the last five minutes both burn 14.4 times the budget's rate (2 % of a 30-day
/// budget in an hour); a slow burn opens a ticket at 6 times over six hours and 30 min.
const BURNS: &[Burn] = &[
    Burn {
        speed: "Fast",
        long: "1h",
        short: "5m",
        factor: 14.4,
        severity: "page",
        wait: "2m",
    },
    Burn {
        speed: "Slow",
        long: "6h",
        short: "30m",
        factor: 6.0,
        severity: "ticket",
        wait: "15m",
    },
];

struct Burn {
    speed: &'static str,
    long: &'static str,
    short: &'static str,
    factor: f64,
    severity: &'static str,
    wait: &'static str,
}

/// Every window a rule needs, the burns' and the dashboards'.
const WINDOWS: &[&str] = &["5m", "30m", "1h", "6h"];

fn dashboards() -> Vec<Dashboard> {
    let rate = |filter: &str| {
        format!("sum by (service, route) (rate(localmart_requests_total{{{filter}}}[5m]))")
    };
    let mut dashboards = vec![
        Dashboard {
            name: "overview".to_owned(),
            title: "LocalMart: services".to_owned(),
            description: "Rate, errors and duration of every route of every service, and how near each service is to its limits.",
            panels: vec![
                Panel {
                    title: "Requests per second, by service and route",
                    unit: "reqps",
                    queries: vec![query(rate("job=\"localmart\""), "{{service}} {{route}}")],
                },
                Panel {
                    title: "Share of requests failing with a 5xx",
                    unit: "percentunit",
                    // Zero rather than no series where nothing failed.
                    queries: vec![query(
                        format!(
                            "({failed} or 0 * {all}) / {all}",
                            failed = rate("job=\"localmart\", status=~\"5..\""),
                            all = rate("job=\"localmart\""),
                        ),
                        "{{service}} {{route}}",
                    )],
                },
                Panel {
                    title: "95th percentile duration, by service and route",
                    unit: "s",
                    queries: vec![query(
                        "histogram_quantile(0.95, sum by (le, service, route) \
                         (rate(localmart_request_duration_seconds_bucket{job=\"localmart\"}[5m])))",
                        "{{service}} {{route}}",
                    )],
                },
                Panel {
                    title: "Requests in flight, by service and protocol",
                    unit: "short",
                    queries: vec![query(
                        "sum by (service, protocol) (localmart_requests_in_flight{job=\"localmart\"})",
                        "{{service}} {{protocol}}",
                    )],
                },
                Panel {
                    title: "Saturation: the share of each limit in use (requests in flight, pool connections)",
                    unit: "percentunit",
                    queries: vec![
                        query(
                            "sum by (service) (localmart_requests_in_flight{job=\"localmart\", protocol=\"http\"}) \
                             / sum by (service) (localmart_requests_in_flight_limit{job=\"localmart\", protocol=\"http\"})",
                            "{{service}} requests in flight",
                        ),
                        query(
                            "sum by (service, pool) (localmart_pool_connections{job=\"localmart\", state=\"in_use\"}) \
                             / sum by (service, pool) (localmart_pool_max_connections{job=\"localmart\"})",
                            "{{service}} {{pool}} connections",
                        ),
                    ],
                },
            ],
        },
        Dashboard {
            name: "rest-vs-grpc".to_owned(),
            title: "LocalMart: the Catalog over REST and gRPC".to_owned(),
            description: "The Catalog's product lookups over both protocols: REST GET /v1/products/{product_id} beside the gRPC ValidateProducts the Cart calls.",
            panels: vec![
                Panel {
                    title: "Lookups per second, by protocol",
                    unit: "reqps",
                    queries: vec![query(
                        "sum by (protocol) (rate(localmart_requests_total{service=\"catalog\", \
                         route=~\"/v1/products/\\\\{product_id\\\\}|/localmart.catalog.v1.CatalogService/ValidateProducts\"}[5m]))",
                        "{{protocol}}",
                    )],
                },
                Panel {
                    title: "Median and 99th percentile duration, by protocol",
                    unit: "s",
                    queries: ["0.5", "0.99"]
                        .into_iter()
                        .map(|q| {
                            query(
                                format!(
                                    "histogram_quantile({q}, sum by (le, protocol) \
                                     (rate(localmart_request_duration_seconds_bucket{{service=\"catalog\", \
                                     route=~\"/v1/products/\\\\{{product_id\\\\}}|/localmart.catalog.v1.CatalogService/ValidateProducts\"}}[5m])))"
                                ),
                                if q == "0.5" { "{{protocol}} median" } else { "{{protocol}} p99" },
                            )
                        })
                        .collect(),
                },
                Panel {
                    title: "The Cart's gRPC calls as the Cart sees them (span metrics), 95th percentile",
                    unit: "ms",
                    queries: vec![Query {
                        exemplars: true,
                        ..query(
                            "histogram_quantile(0.95, sum by (le, span_name) \
                             (rate(traces_span_metrics_duration_milliseconds_bucket{service_name=\"cart\", \
                             span_kind=\"SPAN_KIND_CLIENT\", rpc_system=\"grpc\"}[5m])))",
                            "{{span_name}}",
                        )
                    }],
                },
            ],
        },
        Dashboard {
            name: "datastores".to_owned(),
            title: "LocalMart: datastores".to_owned(),
            description: "Every call to PostgreSQL, Redis and the MongoDB-wire store, from the services' client spans; the exemplars open the traces.",
            panels: vec![
                Panel {
                    title: "Calls per second, by service and operation",
                    unit: "reqps",
                    queries: vec![query(
                        "sum by (service_name, db_system_name, span_name) \
                         (rate(traces_span_metrics_calls_total{span_kind=\"SPAN_KIND_CLIENT\", db_system_name!=\"\"}[5m]))",
                        "{{service_name}} {{db_system_name}} {{span_name}}",
                    )],
                },
                Panel {
                    title: "95th percentile duration, by service and operation",
                    unit: "ms",
                    queries: vec![Query {
                        exemplars: true,
                        ..query(
                            "histogram_quantile(0.95, sum by (le, service_name, db_system_name, span_name) \
                             (rate(traces_span_metrics_duration_milliseconds_bucket{span_kind=\"SPAN_KIND_CLIENT\", db_system_name!=\"\"}[5m])))",
                            "{{service_name}} {{db_system_name}} {{span_name}}",
                        )
                    }],
                },
                Panel {
                    title: "Connection pools: connections in use and idle (Redis is one multiplexed connection, no pool)",
                    unit: "short",
                    queries: vec![query(
                        "sum by (service, pool, state) (localmart_pool_connections{job=\"localmart\"})",
                        "{{service}} {{pool}} {{state}}",
                    )],
                },
                Panel {
                    title: "Catalog cache: products read from memory and from PostgreSQL",
                    unit: "reqps",
                    queries: vec![
                        query("sum(rate(localmart_catalog_cache_hits_total[5m]))", "from memory"),
                        query("sum(rate(localmart_catalog_cache_misses_total[5m]))", "from PostgreSQL"),
                    ],
                },
            ],
        },
        Dashboard {
            name: "business".to_owned(),
            title: "LocalMart: the shop".to_owned(),
            description: "What shoppers do, counted by the services where it happens (a change repeated under its idempotency key counts once).",
            panels: vec![
                Panel {
                    title: "Carts created, lines added and reviews posted per minute",
                    unit: "short",
                    queries: vec![
                        query("sum(rate(localmart_carts_created_total[5m])) * 60", "carts created"),
                        query("sum(rate(localmart_cart_lines_added_total[5m])) * 60", "lines added"),
                        query("sum(rate(localmart_reviews_posted_total[5m])) * 60", "reviews posted"),
                    ],
                },
                Panel {
                    title: "Ratings of the reviews posted in the last hour",
                    unit: "short",
                    queries: vec![query(
                        "sum by (rating) (increase(localmart_reviews_posted_total[1h]))",
                        "{{rating}} stars",
                    )],
                },
            ],
        },
        browser_dashboard(),
    ];
    dashboards.extend(SLOS.iter().map(slo_dashboard));
    dashboards
}

/// What shoppers' browsers measure. Each page view reports its Web Vitals once, as a
/// histogram series of its own (the page is the writer) holding one observation; so the
/// quantiles sum the series seen in the last hour, each at its largest.
fn browser_dashboard() -> Dashboard {
    let vital = |name: &str| {
        query(
            format!(
                "histogram_quantile(0.75, sum by (le, localmart_route) \
                 (max_over_time(localmart_browser_{name}_bucket[1h])))"
            ),
            "{{localmart_route}}",
        )
    };
    Dashboard {
        name: "browser".to_owned(),
        title: "LocalMart: the browser".to_owned(),
        description: "The storefront as shoppers' browsers see it: Web Vitals by the route a page was loaded on (75th percentile over the page views of the last hour; good is LCP under 2.5 s, CLS under 0.1, INP under 200 ms), and the user actions as the browser times them.",
        panels: vec![
            Panel {
                title: "Largest Contentful Paint, 75th percentile",
                unit: "ms",
                queries: vec![vital("lcp_milliseconds")],
            },
            Panel {
                title: "Cumulative Layout Shift, 75th percentile",
                unit: "short",
                queries: vec![vital("cls")],
            },
            Panel {
                title: "Interaction to Next Paint, 75th percentile",
                unit: "ms",
                queries: vec![vital("inp_milliseconds")],
            },
            Panel {
                title: "Page views measured in the last hour",
                unit: "short",
                queries: vec![query(
                    "sum by (localmart_route) (max_over_time(localmart_browser_cls_count[1h]))",
                    "{{localmart_route}}",
                )],
            },
            Panel {
                title: "Page loads, route changes and user actions, as the browser times them (its spans), 95th percentile",
                unit: "ms",
                queries: vec![Query {
                    exemplars: true,
                    ..query(
                        "histogram_quantile(0.95, sum by (le, span_name) \
                         (rate(traces_span_metrics_duration_milliseconds_bucket{service_name=\"storefront\", \
                         span_kind=\"SPAN_KIND_INTERNAL\"}[5m])))",
                        "{{span_name}}",
                    )
                }],
            },
        ],
    }
}

fn slo_dashboard(slo: &Slo) -> Dashboard {
    let name = slo.name;
    Dashboard {
        name: format!("slo-{}", name.replace('_', "-")),
        title: format!("LocalMart SLO: {}", slo.title),
        description: "The journey's error and latency ratios against its objectives, and how fast each burns its budget.",
        panels: vec![
            Panel {
                title: "Share of requests failing (5xx), and the budget",
                unit: "percentunit",
                queries: vec![
                    query(
                        format!("slo:sli_error:ratio_rate5m{{slo=\"{name}\"}}"),
                        "failing, 5 min",
                    ),
                    query(
                        format!("slo:sli_error:ratio_rate1h{{slo=\"{name}\"}}"),
                        "failing, 1 h",
                    ),
                    query(
                        format!("slo:objective:error_budget{{slo=\"{name}\"}}"),
                        "budget",
                    ),
                ],
            },
            Panel {
                title: "Share of requests slower than the threshold, and the budget",
                unit: "percentunit",
                queries: vec![
                    query(
                        format!("slo:sli_latency:ratio_rate5m{{slo=\"{name}\"}}"),
                        "slow, 5 min",
                    ),
                    query(
                        format!("slo:sli_latency:ratio_rate1h{{slo=\"{name}\"}}"),
                        "slow, 1 h",
                    ),
                    query(
                        format!("slo:objective:latency_budget{{slo=\"{name}\"}}"),
                        "budget",
                    ),
                ],
            },
            Panel {
                title: "Burn rate over the last hour (14.4 pages)",
                unit: "short",
                queries: vec![
                    query(
                        format!(
                            "slo:sli_error:ratio_rate1h{{slo=\"{name}\"}} / on (slo) slo:objective:error_budget{{slo=\"{name}\"}}"
                        ),
                        "errors",
                    ),
                    query(
                        format!(
                            "slo:sli_latency:ratio_rate1h{{slo=\"{name}\"}} / on (slo) slo:objective:latency_budget{{slo=\"{name}\"}}"
                        ),
                        "latency",
                    ),
                ],
            },
        ],
    }
}

/// Adds every file this module writes to `files`.
pub fn generate(files: &mut Files) -> anyhow::Result<()> {
    let root = std::path::Path::new("deploy/observability");
    let grafana = root.join("grafana/dashboards");
    let consoles = root.join("consoles");
    files.own_dir(&grafana);
    files.own_dir(&consoles);
    files.own_dir(root.join("prometheus/rules"));
    files.own_dir(root.join("prometheus/tests"));
    let dashboards = dashboards();
    for dashboard in &dashboards {
        let json = serde_json::to_string_pretty(&grafana_dashboard(dashboard))? + "\n";
        files.add(grafana.join(format!("{}.json", dashboard.name)), json);
        files.add(
            consoles.join(format!("{}.html", dashboard.name)),
            console(dashboard),
        );
    }
    files.add(consoles.join("index.html"), console_index(&dashboards));
    files.add(root.join("prometheus/rules/slos.yml"), rules());
    files.add(root.join("prometheus/tests/slos.test.yml"), rule_tests());
    Ok(())
}

fn grafana_dashboard(dashboard: &Dashboard) -> Value {
    let panels: Vec<Value> = dashboard
        .panels
        .iter()
        .enumerate()
        .map(|(n, panel)| {
            let targets: Vec<Value> = panel
                .queries
                .iter()
                .enumerate()
                .map(|(i, q)| {
                    json!({
                        "datasource": {"type": "prometheus", "uid": "prometheus"},
                        "expr": q.expr,
                        "legendFormat": q.legend,
                        "exemplar": q.exemplars,
                        "refId": char::from(b'A' + u8::try_from(i).unwrap_or(0)).to_string(),
                    })
                })
                .collect();
            json!({
                "id": n + 1,
                "type": "timeseries",
                "title": panel.title,
                "datasource": {"type": "prometheus", "uid": "prometheus"},
                "gridPos": {"h": 8, "w": 24, "x": 0, "y": n * 8},
                "fieldConfig": {"defaults": {"unit": panel.unit}, "overrides": []},
                "options": {"legend": {"displayMode": "list", "placement": "bottom"}},
                "targets": targets,
            })
        })
        .collect();
    json!({
        "uid": dashboard.name,
        "title": dashboard.title,
        "description": format!("{} Generated by cargo xtask codegen; do not edit.", dashboard.description),
        "tags": ["localmart"],
        "timezone": "utc",
        "schemaVersion": 39,
        "refresh": "10s",
        "time": {"from": "now-1h", "to": "now"},
        "panels": panels,
    })
}

/// A console template: the library's head, a graph per query set, the library's tail.
fn console(dashboard: &Dashboard) -> String {
    let mut html = format!(
        "{{{{/* {HEADER} */}}}}\n{{{{ template \"localmart_head\" \"{title}\" }}}}\n<h1>{title}</h1>\n<p>{description}</p>\n",
        title = html_text(&dashboard.title),
        description = html_text(dashboard.description),
    );
    for (n, panel) in dashboard.panels.iter().enumerate() {
        let exprs: Vec<String> = panel.queries.iter().map(|q| js_string(&q.expr)).collect();
        let names: Vec<String> = panel
            .queries
            .iter()
            .map(|q| js_string(&legend_template(q.legend)))
            .collect();
        let _ = write!(
            html,
            "<h2>{title}</h2>\n<div id=\"panel{n}\"></div>\n<script>\nnew PromConsole.Graph({{\n  node: document.querySelector(\"#panel{n}\"),\n  expr: [{exprs}],\n  name: [{names}],\n  yAxisFormatter: {formatter},\n  yHoverFormatter: {formatter},\n  duration: 3600,\n}});\n</script>\n",
            title = html_text(panel.title),
            exprs = exprs.join(", "),
            names = names.join(", "),
            formatter = match panel.unit {
                "percentunit" => "PromConsole.NumberFormatter.humanize",
                _ => "PromConsole.NumberFormatter.humanizeNoSmallPrefix",
            },
        );
    }
    html.push_str("{{ template \"localmart_tail\" }}\n");
    html
}

fn console_index(dashboards: &[Dashboard]) -> String {
    let mut html = format!(
        "{{{{/* {HEADER} */}}}}\n{{{{ template \"localmart_head\" \"LocalMart\" }}}}\n<h1>LocalMart dashboards</h1>\n<p>The same queries as the Grafana dashboards of the container stack.</p>\n<ul>\n"
    );
    for dashboard in dashboards {
        let _ = writeln!(
            html,
            "<li><a href=\"{name}.html\">{title}</a>: {description}</li>",
            name = dashboard.name,
            title = html_text(&dashboard.title),
            description = html_text(dashboard.description),
        );
    }
    html.push_str("</ul>\n{{ template \"localmart_tail\" }}\n");
    html
}

/// Grafana's `{{label}}` legend as the console graph's name template (a Go template the
/// page fills in per series: `[[ label ]]`).
fn legend_template(legend: &str) -> String {
    legend.replace("{{", "[[ ").replace("}}", " ]]")
}

fn js_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn html_text(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The recording rules and the alerts of every SLO.
fn rules() -> String {
    let mut yaml = format!(
        "# {HEADER}\n# The SLOs of xtask/src/codegen/observability.rs: recording rules for each\n# journey's error and latency ratios, and multi-window, multi-burn-rate alerts.\ngroups:\n"
    );
    for slo in SLOS {
        let name = slo.name;
        let le = format_le(slo.threshold_seconds);
        let _ = write!(yaml, "  - name: slo-{name}\n    rules:\n");
        let _ = write!(
            yaml,
            "      - record: slo:objective:error_budget\n        expr: vector({budget})\n        labels: {{slo: {name}}}\n      - record: slo:objective:latency_budget\n        expr: vector({latency_budget})\n        labels: {{slo: {name}}}\n",
            budget = round(1.0 - slo.availability),
            latency_budget = round(1.0 - slo.latency),
        );
        for window in WINDOWS {
            let total = format!(
                "sum(rate(localmart_requests_total{{{}}}[{window}]))",
                slo.selector
            );
            let failed = format!(
                "sum(rate(localmart_requests_total{{{}, status=~\"5..\"}}[{window}]))",
                slo.selector
            );
            let fast = format!(
                "sum(rate(localmart_request_duration_seconds_bucket{{{}, le=\"{le}\"}}[{window}]))",
                slo.selector
            );
            let all = format!(
                "sum(rate(localmart_request_duration_seconds_count{{{}}}[{window}]))",
                slo.selector
            );
            let _ = write!(
                yaml,
                "      - record: slo:sli_error:ratio_rate{window}\n        expr: {}\n        labels: {{slo: {name}}}\n      - record: slo:sli_latency:ratio_rate{window}\n        expr: {}\n        labels: {{slo: {name}}}\n",
                yaml_string(&format!("({failed} or vector(0)) / {total}")),
                yaml_string(&format!("1 - ({fast} / {all})")),
            );
        }
        for sli in ["error", "latency"] {
            for burn in BURNS {
                let alert = alert_name(slo, sli, burn);
                let threshold = format!(
                    "({} * slo:objective:{sli}_budget{{slo=\"{name}\"}})",
                    burn.factor
                );
                let expr = format!(
                    "slo:sli_{sli}:ratio_rate{long}{{slo=\"{name}\"}} > {threshold}\nand\nslo:sli_{sli}:ratio_rate{short}{{slo=\"{name}\"}} > {threshold}",
                    long = burn.long,
                    short = burn.short,
                );
                let what = if sli == "error" {
                    "failing"
                } else {
                    "too slow"
                };
                let _ = write!(
                    yaml,
                    "      - alert: {alert}\n        expr: |\n{expr}\n        for: {wait}\n        labels: {{slo: {name}, severity: {severity}}}\n        annotations:\n          summary: {summary}\n          runbook_url: {runbook}\n",
                    expr = indent(&expr, 10),
                    wait = burn.wait,
                    severity = burn.severity,
                    summary = yaml_string(&format!(
                        "{} is {what}: its budget burns {}x over {} and {}",
                        slo.title, burn.factor, burn.long, burn.short
                    )),
                    runbook = yaml_string(&format!("docs/runbooks.md#{}", alert.to_lowercase())),
                );
            }
        }
    }
    yaml
}

/// The `promtool test rules` file: for each SLO, an hour and a half of traffic where
/// every request fails and is slow makes both fast-burn alerts fire, and the same
/// traffic healthy makes none.
fn rule_tests() -> String {
    let mut yaml = format!(
        "# {HEADER}\n# promtool test rules for the SLO alerts of slos.yml.\nrule_files:\n  - ../rules/slos.yml\nevaluation_interval: 1m\ntests:\n"
    );
    for slo in SLOS {
        let labels = test_labels(slo);
        let le = format_le(slo.threshold_seconds);
        for (case, failing) in [("burning", true), ("healthy", false)] {
            // 100 requests a minute, for 90 minutes.
            let status = if failing { "500" } else { "200" };
            let fast_bucket = if failing { "0+0x90" } else { "0+100x90" };
            let _ = write!(
                yaml,
                "  # {title}: {case}.\n  - interval: 1m\n    input_series:\n      - series: 'localmart_requests_total{{{labels}, status=\"{status}\"}}'\n        values: '0+100x90'\n      - series: 'localmart_request_duration_seconds_bucket{{{labels}, status=\"{status}\", le=\"{le}\"}}'\n        values: '{fast_bucket}'\n      - series: 'localmart_request_duration_seconds_count{{{labels}, status=\"{status}\"}}'\n        values: '0+100x90'\n    alert_rule_test:\n",
                title = slo.title,
            );
            for sli in ["error", "latency"] {
                let alert = alert_name(slo, sli, &BURNS[0]);
                if failing {
                    let _ = write!(
                        yaml,
                        "      - eval_time: 80m\n        alertname: {alert}\n        exp_alerts:\n          - exp_labels: {{slo: {name}, severity: {severity}}}\n            exp_annotations:\n              summary: {summary}\n              runbook_url: {runbook}\n",
                        name = slo.name,
                        severity = BURNS[0].severity,
                        summary = yaml_string(&format!(
                            "{} is {}: its budget burns {}x over {} and {}",
                            slo.title,
                            if sli == "error" {
                                "failing"
                            } else {
                                "too slow"
                            },
                            BURNS[0].factor,
                            BURNS[0].long,
                            BURNS[0].short
                        )),
                        runbook =
                            yaml_string(&format!("docs/runbooks.md#{}", alert.to_lowercase())),
                    );
                } else {
                    let _ = write!(
                        yaml,
                        "      - eval_time: 80m\n        alertname: {alert}\n        exp_alerts: []\n"
                    );
                }
            }
        }
    }
    yaml
}

/// The labels of one series of a journey, from its selector's `=` matchers (a `=~`
/// matcher's first alternative).
fn test_labels(slo: &Slo) -> String {
    slo.selector
        .split(", ")
        .map(|matcher| {
            if let Some((label, pattern)) = matcher.split_once("=~") {
                let first = pattern
                    .trim_matches('"')
                    .split('|')
                    .next()
                    .unwrap_or_default();
                format!("{label}=\"{}\"", first.replace("\\\\", ""))
            } else {
                matcher.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SloAddToCartErrorBudgetFastBurn`: the alert of one SLO, SLI and burn.
fn alert_name(slo: &Slo, sli: &str, burn: &Burn) -> String {
    let camel: String = slo
        .name
        .split('_')
        .map(|word| word[..1].to_uppercase() + &word[1..])
        .collect();
    let sli = if sli == "error" { "Errors" } else { "Latency" };
    format!("Slo{camel}{sli}{}Burn", burn.speed)
}

/// Every alert name, for the runbook check.
pub fn alert_names() -> Vec<String> {
    let mut names = Vec::new();
    for slo in SLOS {
        for sli in ["error", "latency"] {
            for burn in BURNS {
                names.push(alert_name(slo, sli, burn));
            }
        }
    }
    names
}

/// A bucket boundary as the histogram writes its `le` label (`0.25`, `1.0`).
fn format_le(seconds: f64) -> String {
    if seconds.fract() == 0.0 {
        format!("{seconds:.1}")
    } else {
        seconds.to_string()
    }
}

/// A ratio without float noise (`0.005`, not `0.0050000000000000044`).
fn round(value: f64) -> String {
    format!("{:.6}", value)
        .trim_end_matches('0')
        .trim_end_matches('.')
        .to_owned()
}

fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_default()
}

fn indent(text: &str, spaces: usize) -> String {
    let pad = " ".repeat(spaces);
    text.lines()
        .map(|line| format!("{pad}{line}"))
        .collect::<Vec<_>>()
        .join("\n")
}
