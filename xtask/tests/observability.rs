//! The telemetry stack's configuration under `deploy/observability/`, checked by each
//! tool's own checker and held to the rule that the native and the container collectors
//! run the same pipelines. Needs `localmart-otelcol`, `promtool` and `amtool` on PATH
//! (`make test` installs and puts them there).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_yaml::Value;

fn observability() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../deploy/observability")
}

fn yaml(path: &Path) -> Value {
    let text =
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()));
    serde_yaml::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
}

fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_mapping()
        .map(|map| {
            map.keys()
                .filter_map(|key| key.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Runs `program` with `args`; its success, and what it said.
fn run(program: &str, args: &[&str], envs: &[(&str, &str)]) -> (bool, String) {
    let output = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .output()
        .unwrap_or_else(|err| panic!("running {program} (installed by `make deps`): {err}"));
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), said)
}

/// The addresses the collector's configuration reads from its environment, as the native
/// stack sets them (the values only need to be well formed here).
const COLLECTOR_ENV: &[(&str, &str)] = &[
    ("OTLP_GRPC_ENDPOINT", "127.0.0.1:14317"),
    ("OTLP_HTTP_ENDPOINT", "127.0.0.1:14318"),
    ("COLLECTOR_METRICS_HOST", "127.0.0.1"),
    ("COLLECTOR_METRICS_PORT", "18888"),
    ("COLLECTOR_PROMETHEUS_ENDPOINT", "127.0.0.1:18889"),
    ("ZIPKIN_SPANS_URL", "http://127.0.0.1:19411/api/v2/spans"),
    (
        "VICTORIALOGS_OTLP_URL",
        "http://127.0.0.1:19428/insert/opentelemetry/v1/logs",
    ),
];

fn validate_collector(configs: &[&Path]) -> (bool, String) {
    let mut args = vec!["validate".to_owned()];
    for config in configs {
        args.push(format!("--config={}", config.display()));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run("localmart-otelcol", &args, COLLECTOR_ENV)
}

#[test]
fn the_native_and_container_collectors_differ_only_in_their_exporters() {
    let dir = observability().join("collector");
    let pipelines = yaml(&dir.join("pipelines.yaml"));
    let shared = keys(&pipelines["service"]["pipelines"]);
    assert_eq!(
        shared,
        ["logs", "metrics", "traces"].map(str::to_owned).into()
    );
    for name in ["exporters-native.yaml", "exporters-containers.yaml"] {
        let exporters = yaml(&dir.join(name));
        assert_eq!(
            keys(&exporters),
            ["exporters", "service"].map(str::to_owned).into(),
            "{name} may name exporters and nothing else"
        );
        assert_eq!(
            keys(&exporters["service"]),
            ["pipelines".to_owned()].into(),
            "{name}"
        );
        assert_eq!(
            keys(&exporters["service"]["pipelines"]),
            shared,
            "{name}: the same pipelines"
        );
        let mut used = BTreeSet::new();
        for pipeline in &shared {
            let listed = &exporters["service"]["pipelines"][pipeline.as_str()];
            assert_eq!(
                keys(listed),
                ["exporters".to_owned()].into(),
                "{name}: {pipeline}"
            );
            used.extend(
                listed["exporters"]
                    .as_sequence()
                    .expect("a list")
                    .iter()
                    .map(|id| id.as_str().expect("an exporter id").to_owned()),
            );
        }
        // Every trace goes to the span metrics too, whichever the trace store.
        let traces = &exporters["service"]["pipelines"]["traces"]["exporters"];
        assert!(
            traces
                .as_sequence()
                .is_some_and(|list| list.iter().any(|id| id == "spanmetrics")),
            "{name}: traces must feed spanmetrics"
        );
        used.remove("spanmetrics");
        assert_eq!(
            used,
            keys(&exporters["exporters"]),
            "{name}: every exporter is used, none is missing"
        );
    }
}

#[test]
fn the_collector_validates_the_native_and_the_container_configuration() {
    let dir = observability().join("collector");
    for exporters in ["exporters-native.yaml", "exporters-containers.yaml"] {
        let (ok, said) = validate_collector(&[&dir.join("pipelines.yaml"), &dir.join(exporters)]);
        assert!(ok, "pipelines.yaml with {exporters}:\n{said}");
    }
    // The checker does refuse: a pipeline that names an exporter nobody defined.
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let broken = scratch.path().join("broken.yaml");
    std::fs::write(
        &broken,
        "service:\n  pipelines:\n    logs:\n      exporters: [nowhere]\n",
    )
    .expect("written");
    let (ok, said) = validate_collector(&[
        &dir.join("pipelines.yaml"),
        &dir.join("exporters-native.yaml"),
        &broken,
    ]);
    assert!(
        !ok && said.contains("nowhere"),
        "validate accepted an unknown exporter:\n{said}"
    );
}

#[test]
fn prometheus_and_alertmanager_accept_their_configuration() {
    // Prometheus's native configuration with the stack's addresses filled in, as up.sh
    // writes it.
    let template =
        std::fs::read_to_string(observability().join("prometheus/prometheus-native.yml"))
            .expect("the template");
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let mut config = template.replace("${LOCALMART_ROOT}", &root.display().to_string());
    for name in [
        "LOCALMART_ALERTMANAGER_ADDR",
        "CATALOG_HTTP_ADDR",
        "CART_HTTP_ADDR",
        "REVIEWS_HTTP_ADDR",
        "LOCALMART_COLLECTOR_PROMETHEUS_ADDR",
        "LOCALMART_PROMETHEUS_ADDR",
        "LOCALMART_VICTORIALOGS_ADDR",
    ] {
        config = config.replace(&format!("${{{name}}}"), "127.0.0.1:1");
    }
    config = config.replace("${LOCALMART_COLLECTOR_METRICS_PORT}", "1");
    let unfilled = regex_lite::Regex::new(r"\$\{\w+\}").expect("a pattern");
    assert!(
        !unfilled.is_match(&config),
        "a name the test does not fill in:\n{config}"
    );
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let rendered = scratch.path().join("prometheus.yml");
    std::fs::write(&rendered, config).expect("written");
    let (ok, said) = run(
        "promtool",
        &["check", "config", rendered.to_str().expect("UTF-8")],
        &[],
    );
    assert!(ok, "promtool check config:\n{said}");

    let alertmanager = observability().join("alertmanager/alertmanager.yml");
    let (ok, said) = run(
        "amtool",
        &["check-config", alertmanager.to_str().expect("UTF-8")],
        &[],
    );
    assert!(ok, "amtool check-config:\n{said}");
}

#[test]
fn the_slo_rules_load_and_their_alerts_fire_only_on_a_burn() {
    let rules = observability().join("prometheus/rules/slos.yml");
    let (ok, said) = run(
        "promtool",
        &["check", "rules", rules.to_str().expect("UTF-8")],
        &[],
    );
    assert!(ok, "promtool check rules:\n{said}");
    // The unit tests name the rules file relative to themselves.
    let tests = observability().join("prometheus/tests/slos.test.yml");
    let output = Command::new("promtool")
        .args(["test", "rules", "slos.test.yml"])
        .current_dir(tests.parent().expect("a directory"))
        .output()
        .expect("promtool (installed by `make deps`)");
    assert!(
        output.status.success(),
        "promtool test rules:\n{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn every_alert_has_a_runbook_section() {
    let runbooks = std::fs::read_to_string(observability().join("../../docs/runbooks.md"))
        .expect("docs/runbooks.md");
    let sections: BTreeSet<&str> = runbooks
        .lines()
        .filter_map(|line| line.strip_prefix("## "))
        .collect();
    let alerts = xtask::codegen::observability::alert_names();
    assert!(!alerts.is_empty());
    for alert in alerts {
        assert!(
            sections.contains(alert.as_str()),
            "docs/runbooks.md has no section `## {alert}`"
        );
    }
}

#[test]
fn the_container_prometheus_has_the_native_ones_jobs_and_passes_promtool() {
    let dir = observability().join("prometheus");
    let jobs = |name: &str| -> Vec<(String, Vec<String>)> {
        yaml(&dir.join(name))["scrape_configs"]
            .as_sequence()
            .expect("scrape configs")
            .iter()
            .map(|job| {
                let labels = job["static_configs"]
                    .as_sequence()
                    .expect("static configs")
                    .iter()
                    .map(|config| format!("{:?}", config["labels"]))
                    .collect();
                (
                    job["job_name"].as_str().expect("a job name").to_owned(),
                    labels,
                )
            })
            .collect()
    };
    let native: Vec<_> = jobs("prometheus-native.yml");
    let containers: Vec<_> = jobs("prometheus-containers.yml");
    // The native stack also scrapes VictoriaLogs, which the container stack replaces by Loki.
    let native_without_logs: Vec<_> = native
        .into_iter()
        .map(|(job, labels)| {
            (
                job,
                labels
                    .into_iter()
                    .filter(|l| !l.contains("victorialogs"))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    assert_eq!(
        native_without_logs, containers,
        "the same jobs, services and components"
    );
    let config = dir.join("prometheus-containers.yml");
    let (ok, said) = run(
        "promtool",
        &["check", "config", config.to_str().expect("UTF-8")],
        &[],
    );
    assert!(ok, "promtool check config:\n{said}");
}

#[test]
fn grafana_links_metrics_traces_and_logs_and_has_every_datasource_the_dashboards_use() {
    let provisioning = observability().join("grafana/provisioning");
    let datasources = yaml(&provisioning.join("datasources/datasources.yaml"));
    let by_uid: std::collections::BTreeMap<String, Value> = datasources["datasources"]
        .as_sequence()
        .expect("datasources")
        .iter()
        .map(|source| {
            (
                source["uid"].as_str().expect("a uid").to_owned(),
                source.clone(),
            )
        })
        .collect();
    assert_eq!(
        by_uid.keys().map(String::as_str).collect::<Vec<_>>(),
        ["loki", "prometheus", "tempo"]
    );
    // Exemplars open traces; traces open their logs; log lines open their trace.
    let prometheus = &by_uid["prometheus"]["jsonData"]["exemplarTraceIdDestinations"][0];
    assert_eq!(prometheus["datasourceUid"], "tempo");
    assert_eq!(
        prometheus["name"], "trace_id",
        "the exemplars' label, as the span metrics write it"
    );
    assert_eq!(
        by_uid["tempo"]["jsonData"]["tracesToLogsV2"]["datasourceUid"],
        "loki"
    );
    assert_eq!(
        by_uid["loki"]["jsonData"]["derivedFields"][0]["datasourceUid"],
        "tempo"
    );

    let dashboards = observability().join("grafana/dashboards");
    let mut count = 0;
    for entry in std::fs::read_dir(&dashboards).expect("the dashboards") {
        let path = entry.expect("an entry").path();
        let dashboard: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("readable")).expect("JSON");
        for panel in dashboard["panels"].as_array().expect("panels") {
            for target in panel["targets"].as_array().expect("targets") {
                let uid = target["datasource"]["uid"].as_str().expect("a datasource");
                assert!(
                    by_uid.contains_key(uid),
                    "{}: datasource {uid} is not provisioned",
                    path.display()
                );
                assert!(target["expr"].as_str().is_some_and(|expr| !expr.is_empty()));
            }
        }
        count += 1;
    }
    assert!(
        count >= 5,
        "the dashboards are written by `cargo xtask codegen`"
    );
}

/// Zipkin keeps its traces in the JVM's heap, so the spans it is told to keep must fit
/// there. Zipkin 3.5.1's memory storage took about 630 bytes a span (measured: 350,000
/// spans of the Catalog's requests held 222 MB of old generation); with 500,000 spans in
/// a 256 MiB heap it ran out of memory under `make bench-telemetry` and restarted, losing
/// every trace. Counted here at 1 KiB a span, the spans may fill at most 70 % of the heap.
#[test]
fn the_spans_zipkin_keeps_fit_in_its_heap() {
    let conf = std::fs::read_to_string(observability().join("../native/supervisord.conf"))
        .expect("supervisord.conf");
    let program = conf
        .split("[program:")
        .find(|section| section.starts_with("zipkin]"))
        .expect("a zipkin program");
    let heap_mib: u64 = program
        .split_once("-Xmx")
        .and_then(|(_, rest)| rest.split_once('m'))
        .and_then(|(mib, _)| mib.parse().ok())
        .expect("-Xmx<N>m on zipkin's command");
    let spans: u64 = program
        .split_once("MEM_MAX_SPANS=\"")
        .and_then(|(_, rest)| rest.split_once('"'))
        .and_then(|(spans, _)| spans.parse().ok())
        .expect("MEM_MAX_SPANS in zipkin's environment");
    assert!(
        spans * 1024 <= heap_mib * 1024 * 1024 * 7 / 10,
        "{spans} spans do not fit in 70 % of a {heap_mib} MiB heap"
    );
}

/// The port of a `host:port`, `http://host:port/...` or `0.0.0.0:port` address.
fn port_of(address: &str) -> u16 {
    let after_scheme = address.split_once("://").map_or(address, |(_, rest)| rest);
    let host_port = after_scheme.split('/').next().unwrap_or_default();
    host_port
        .rsplit_once(':')
        .and_then(|(_, port)| port.parse().ok())
        .unwrap_or_else(|| panic!("no port in {address}"))
}

/// Loki and Tempo cannot run on the development machines (no images, no binaries), so
/// their configuration is checked by structure: each listens where the collector sends and
/// Grafana asks, Loki keeps OTLP's attributes (structured metadata, which needs the TSDB
/// index of schema v13) so that a line's `trace_id` links to Tempo, and both keep seven
/// days, as the native stores do.
#[test]
fn loki_and_tempo_listen_where_the_collector_sends_and_grafana_asks() {
    let exporters = yaml(&observability().join("collector/exporters-containers.yaml"));
    let datasources =
        yaml(&observability().join("grafana/provisioning/datasources/datasources.yaml"));
    let datasource = |uid: &str| -> String {
        datasources["datasources"]
            .as_sequence()
            .expect("datasources")
            .iter()
            .find(|source| source["uid"] == uid)
            .and_then(|source| source["url"].as_str())
            .unwrap_or_else(|| panic!("a {uid} datasource with a url"))
            .to_owned()
    };

    let loki = yaml(&observability().join("loki/loki.yaml"));
    let loki_port = loki["server"]["http_listen_port"]
        .as_u64()
        .expect("Loki's port");
    let logs = exporters["exporters"]["otlphttp/logs"]["logs_endpoint"]
        .as_str()
        .expect("the logs exporter");
    assert!(logs.starts_with("http://loki:"), "{logs}");
    assert!(logs.ends_with("/otlp/v1/logs"), "Loki's OTLP path: {logs}");
    assert_eq!(u64::from(port_of(logs)), loki_port);
    assert_eq!(u64::from(port_of(&datasource("loki"))), loki_port);
    assert_eq!(loki["limits_config"]["allow_structured_metadata"], true);
    let schema = &loki["schema_config"]["configs"][0];
    assert_eq!(schema["store"], "tsdb");
    assert_eq!(schema["schema"], "v13");
    assert_eq!(loki["limits_config"]["retention_period"], "168h");
    assert_eq!(loki["compactor"]["retention_enabled"], true);

    let tempo = yaml(&observability().join("tempo/tempo.yaml"));
    let tempo_port = tempo["server"]["http_listen_port"]
        .as_u64()
        .expect("Tempo's port");
    assert_eq!(u64::from(port_of(&datasource("tempo"))), tempo_port);
    let traces = exporters["exporters"]["otlp/traces"]["endpoint"]
        .as_str()
        .expect("the traces exporter");
    assert!(traces.starts_with("tempo:"), "{traces}");
    let receiver = tempo["distributor"]["receivers"]["otlp"]["protocols"]["grpc"]["endpoint"]
        .as_str()
        .expect("Tempo's OTLP/gRPC receiver");
    assert_eq!(port_of(receiver), port_of(traces));
    assert_eq!(tempo["compactor"]["compaction"]["block_retention"], "168h");
}
