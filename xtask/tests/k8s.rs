//! The Kubernetes manifests (`deploy/k8s/base`, the `deploy/k3d` overlay), rendered by
//! kustomize and held to what they describe: every object passes the API's schemas
//! strictly (kubernetes-validate, offline, for a current Kubernetes); every environment
//! variable a LocalMart container is given is one its code reads; its probes are the
//! routes its code serves, on the port it listens on; every address it is given names a
//! Service and a port that exist; the NetworkPolicies allow exactly the calls of
//! ARCHITECTURE.md's "Who calls whom"; and Grafana gets every generated dashboard. Needs
//! `kustomize` and `kubernetes-validate` on PATH (`make test` installs them).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_yaml::Value;

/// The Kubernetes version the manifests are validated for.
const KUBERNETES: &str = "1.33.0";

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The objects kustomize renders for `dir` (the observability configuration comes from
/// outside it, hence the load restrictor).
fn render(dir: &str) -> (String, Vec<Value>) {
    let output = Command::new("kustomize")
        .args(["build", "--load-restrictor", "LoadRestrictionsNone"])
        .arg(root().join(dir))
        .output()
        .expect("kustomize on PATH (make deps installs it)");
    assert!(
        output.status.success(),
        "kustomize build {dir}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    let objects = serde_yaml::Deserializer::from_str(&text)
        .map(|document| Value::deserialize(document).expect("YAML"))
        .collect();
    (text, objects)
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> impl Iterator<Item = &'a Value> {
    objects.iter().filter(move |object| object["kind"] == kind)
}

fn name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().expect("a name")
}

#[test]
fn every_object_passes_the_apis_schemas_strictly() {
    for dir in ["deploy/k8s/base", "deploy/k3d"] {
        let (text, objects) = render(dir);
        assert!(
            objects.len() > 40,
            "{dir} renders {} objects",
            objects.len()
        );
        let file = tempfile::NamedTempFile::new().expect("a temporary file");
        std::fs::write(file.path(), text).expect("written");
        let output = Command::new("kubernetes-validate")
            .args(["--strict", "--quiet", "--kubernetes-version", KUBERNETES])
            .arg(file.path())
            .output()
            .expect("kubernetes-validate on PATH (make deps installs it)");
        assert!(
            output.status.success(),
            "{dir} does not validate against Kubernetes {KUBERNETES}:\n{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
    }
}

/// LocalMart's own containers: (workload name, container, the sources whose code reads
/// its environment).
fn our_containers(objects: &[Value]) -> Vec<(String, Value, Vec<PathBuf>)> {
    let mut found = Vec::new();
    for object in objects
        .iter()
        .filter(|object| object["kind"] == "Deployment" || object["kind"] == "Job")
    {
        for container in object["spec"]["template"]["spec"]["containers"]
            .as_sequence()
            .expect("containers")
        {
            let image = container["image"].as_str().expect("an image");
            let Some(service) = ["catalog", "cart", "reviews", "edge"]
                .into_iter()
                .find(|service| image.ends_with(&format!("localmart-{service}")))
            else {
                continue;
            };
            let sources = if service == "edge" {
                vec![
                    root().join("deploy/native/edge.sh"),
                    root().join("deploy/native/env.sh"),
                ]
            } else {
                vec![
                    root().join(format!("services/{service}/src")),
                    root().join("services/platform/src"),
                ]
            };
            found.push((name(object).to_owned(), container.clone(), sources));
        }
    }
    assert_eq!(found.len(), 6, "four Deployments and two seed Jobs");
    found
}

/// Every file under `path` (or `path` itself), as text.
fn read_all(path: &Path) -> String {
    if path.is_file() {
        return std::fs::read_to_string(path).expect("readable");
    }
    let mut text = String::new();
    for entry in std::fs::read_dir(path).expect("a directory") {
        text.push_str(&read_all(&entry.expect("an entry").path()));
    }
    text
}

/// A container's environment: its own variables and the ConfigMaps' it takes whole.
fn environment(container: &Value, objects: &[Value]) -> BTreeMap<String, Option<String>> {
    let mut env = BTreeMap::new();
    for from in container["envFrom"].as_sequence().into_iter().flatten() {
        let map = from["configMapRef"]["name"].as_str().expect("a ConfigMap");
        let config = of_kind(objects, "ConfigMap")
            .find(|object| name(object) == map)
            .unwrap_or_else(|| panic!("no ConfigMap {map}"));
        for (key, value) in config["data"].as_mapping().expect("data") {
            env.insert(
                key.as_str().expect("a key").to_owned(),
                value.as_str().map(str::to_owned),
            );
        }
    }
    for variable in container["env"].as_sequence().into_iter().flatten() {
        env.insert(
            variable["name"].as_str().expect("a name").to_owned(),
            variable["value"].as_str().map(str::to_owned),
        );
    }
    env
}

fn port_of(address: &str) -> u16 {
    address
        .trim_start_matches("http://")
        .rsplit_once(':')
        .and_then(|(_, port)| port.trim_end_matches('/').parse().ok())
        .unwrap_or_else(|| panic!("no port in {address}"))
}

#[test]
fn containers_get_what_their_code_reads_and_are_probed_where_it_serves() {
    let (_, objects) = render("deploy/k3d");
    let platform_http = std::fs::read_to_string(root().join("services/platform/src/http.rs"))
        .expect("the platform's HTTP module");
    let services: BTreeMap<&str, BTreeSet<u16>> = of_kind(&objects, "Service")
        .map(|service| {
            let ports = service["spec"]["ports"]
                .as_sequence()
                .expect("ports")
                .iter()
                .map(|port| u16::try_from(port["port"].as_u64().expect("a port")).expect("u16"))
                .collect();
            (name(service), ports)
        })
        .collect();

    for (workload, container, sources) in our_containers(&objects) {
        let code: String = sources.iter().map(|source| read_all(source)).collect();
        let env = environment(&container, &objects);
        for variable in env.keys() {
            assert!(
                code.contains(&format!("\"{variable}\""))
                    || code.contains(&format!("${variable}"))
                    || code.contains(&format!("${{{variable}")),
                "{workload} is given {variable}, which its code does not read"
            );
        }
        // Every address it is given is a Service's, on a port that Service has.
        for (variable, value) in &env {
            let Some(value) = value else { continue };
            let host = value
                .trim_start_matches("http://")
                .trim_start_matches("mongodb://")
                .split([':', '/'])
                .next()
                .unwrap_or_default();
            if host.is_empty() || host == "0.0.0.0" || !value.contains(':') {
                continue;
            }
            let ports = services
                .get(host)
                .unwrap_or_else(|| panic!("{workload}: {variable}={value} names no Service"));
            assert!(
                ports.contains(&port_of(value)),
                "{workload}: {variable}={value}, but Service {host} has ports {ports:?}"
            );
        }
        let Some(liveness) = container.get("livenessProbe") else {
            assert!(workload.ends_with("-seed"), "{workload} has no probes");
            continue;
        };
        if workload == "edge" {
            continue;
        }
        // A service's probes are the platform's routes, on the port its HTTP address says.
        let listens = env
            .iter()
            .find(|(variable, value)| {
                variable.ends_with("_HTTP_ADDR")
                    && value
                        .as_deref()
                        .is_some_and(|value| value.starts_with("0.0.0.0:"))
                    && variable.starts_with(&workload.to_uppercase())
            })
            .and_then(|(_, value)| value.as_deref())
            .map(port_of)
            .unwrap_or_else(|| panic!("{workload}: no {}_HTTP_ADDR", workload.to_uppercase()));
        let named_port = |probe: &Value| -> u16 {
            let port = probe["httpGet"]["port"].as_str().expect("a named port");
            container["ports"]
                .as_sequence()
                .expect("ports")
                .iter()
                .find(|declared| declared["name"] == port)
                .and_then(|declared| declared["containerPort"].as_u64())
                .and_then(|port| u16::try_from(port).ok())
                .unwrap_or_else(|| panic!("{workload}: no port named {port}"))
        };
        for (probe, path) in [
            (liveness, "/healthz"),
            (&container["readinessProbe"], "/readyz"),
        ] {
            assert_eq!(probe["httpGet"]["path"], path, "{workload}");
            assert!(
                platform_http.contains(&format!(".route(\n            \"{path}\""))
                    || platform_http.contains(&format!(".route(\"{path}\"")),
                "the platform serves no {path}"
            );
            assert_eq!(named_port(probe), listens, "{workload}'s {path} probe");
        }
        assert!(
            services
                .get(workload.as_str())
                .is_some_and(|ports| ports.contains(&listens)),
            "Service {workload} does not offer {listens}"
        );
    }
}

/// The calls ARCHITECTURE.md's "Who calls whom" lists: (caller, callee, port).
fn architecture_edges() -> BTreeSet<(String, String, u16)> {
    let text = std::fs::read_to_string(root().join("ARCHITECTURE.md")).expect("ARCHITECTURE.md");
    let section = text
        .split("## Who calls whom")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Who calls whom section");
    section
        .lines()
        .filter(|line| line.starts_with("| ") && !line.starts_with("| caller"))
        .map(|line| {
            let cells: Vec<&str> = line.split('|').map(str::trim).collect();
            (
                cells[1].to_owned(),
                cells[2].to_owned(),
                cells[3]
                    .parse()
                    .unwrap_or_else(|_| panic!("a port in {line}")),
            )
        })
        .collect()
}

#[test]
fn the_network_policies_allow_exactly_the_calls_of_the_architecture() {
    let (_, objects) = render("deploy/k8s/base");
    let mut allowed = BTreeSet::new();
    let mut deny_all = false;
    for policy in of_kind(&objects, "NetworkPolicy") {
        let spec = &policy["spec"];
        let Some(callee) = spec["podSelector"]["matchLabels"]["app.kubernetes.io/name"].as_str()
        else {
            // The one without a selector denies every pod's ingress.
            assert_eq!(spec["podSelector"], Value::Mapping(Default::default()));
            assert!(spec.get("ingress").is_none(), "{}", name(policy));
            deny_all = true;
            continue;
        };
        for rule in spec["ingress"].as_sequence().expect("ingress rules") {
            for from in rule["from"].as_sequence().expect("from") {
                let caller = if from.get("namespaceSelector").is_some() {
                    "ingress"
                } else {
                    from["podSelector"]["matchLabels"]["app.kubernetes.io/name"]
                        .as_str()
                        .expect("a caller")
                };
                for port in rule["ports"].as_sequence().expect("ports") {
                    let port = u16::try_from(port["port"].as_u64().expect("a port")).expect("u16");
                    allowed.insert((caller.to_owned(), callee.to_owned(), port));
                }
            }
        }
    }
    assert!(deny_all, "no policy denies ingress by default");
    let drawn = architecture_edges();
    let extra: Vec<_> = allowed.difference(&drawn).collect();
    let missing: Vec<_> = drawn.difference(&allowed).collect();
    assert!(
        extra.is_empty() && missing.is_empty(),
        "allowed but not in ARCHITECTURE.md: {extra:?}; in ARCHITECTURE.md but not allowed: {missing:?}"
    );
    // Every workload the policies name exists, labelled as they select it.
    let labelled: BTreeSet<&str> = objects
        .iter()
        .filter_map(|object| {
            object["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"].as_str()
        })
        .collect();
    for (caller, callee, _) in &drawn {
        for workload in [caller, callee] {
            assert!(
                workload == "ingress" || labelled.contains(workload.as_str()),
                "no workload is labelled {workload}"
            );
        }
    }
}

#[test]
fn grafana_gets_every_generated_dashboard() {
    let (_, objects) = render("deploy/k8s/base");
    let config = of_kind(&objects, "ConfigMap")
        .find(|object| {
            name(object).starts_with("grafana-dashboards-") && !name(object).contains("provider")
        })
        .expect("the dashboards' ConfigMap");
    let provided: BTreeSet<&str> = config["data"]
        .as_mapping()
        .expect("data")
        .keys()
        .map(|key| key.as_str().expect("a file name"))
        .collect();
    let generated: BTreeSet<String> =
        std::fs::read_dir(root().join("deploy/observability/grafana/dashboards"))
            .expect("the dashboards")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
    assert_eq!(
        provided,
        generated
            .iter()
            .map(String::as_str)
            .collect::<BTreeSet<_>>()
    );
}
