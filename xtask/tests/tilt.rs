//! The Tiltfile, evaluated by a Starlark interpreter (Tilt itself cannot be installed here:
//! it needs a cluster, and its Go module does not `go install`) with each Tilt function it
//! calls replaced by one that records what it was given. The recorded resource graph must
//! build every LocalMart image from the Dockerfile, deploy the k3d overlay, forward the shop
//! and the UIs, and make every LocalMart workload, and each that the rendered manifests
//! hold, wait for the contract gates: a Tiltfile that lets a deploy past a failing gate
//! fails here.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value as Json;
use starlark::environment::{GlobalsBuilder, Module};
use starlark::eval::Evaluator;
use starlark::starlark_module;
use starlark::syntax::{AstModule, Dialect};
use starlark::values::Value;
use starlark::values::dict::DictRef;
use starlark::values::none::NoneType;
use starlark::values::tuple::UnpackTuple;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// One call of a Tilt function: its positional arguments and its keyword arguments, as JSON.
#[derive(Debug, Clone)]
struct Call {
    function: &'static str,
    args: Vec<Json>,
    kwargs: BTreeMap<String, Json>,
}

thread_local! {
    /// The calls of the Tiltfile being evaluated on this thread. (A thread's own, rather
    /// than the evaluator's `extra`, whose derive writes unsafe code the workspace forbids.)
    static RECORDED: RefCell<Vec<Call>> = const { RefCell::new(Vec::new()) };
}

fn json(value: Value) -> anyhow::Result<Json> {
    Ok(serde_json::from_str(&value.to_json()?)?)
}

fn record(
    function: &'static str,
    args: &UnpackTuple<Value>,
    kwargs: &DictRef,
) -> anyhow::Result<()> {
    let call = Call {
        function,
        args: args
            .items
            .iter()
            .map(|value| json(*value))
            .collect::<Result<_, _>>()?,
        kwargs: kwargs
            .iter()
            .map(|(key, value)| {
                Ok((
                    key.unpack_str().unwrap_or_default().to_owned(),
                    json(value)?,
                ))
            })
            .collect::<anyhow::Result<_>>()?,
    };
    RECORDED.with(|recorded| recorded.borrow_mut().push(call));
    Ok(())
}

/// The Tilt functions the Tiltfile uses, each recording its call.
#[starlark_module]
fn tilt(builder: &mut GlobalsBuilder) {
    fn allow_k8s_contexts<'v>(
        #[starlark(args)] args: UnpackTuple<Value<'v>>,
        #[starlark(kwargs)] kwargs: DictRef<'v>,
    ) -> anyhow::Result<NoneType> {
        record("allow_k8s_contexts", &args, &kwargs)?;
        Ok(NoneType)
    }

    fn local_resource<'v>(
        #[starlark(args)] args: UnpackTuple<Value<'v>>,
        #[starlark(kwargs)] kwargs: DictRef<'v>,
    ) -> anyhow::Result<NoneType> {
        record("local_resource", &args, &kwargs)?;
        Ok(NoneType)
    }

    fn docker_build<'v>(
        #[starlark(args)] args: UnpackTuple<Value<'v>>,
        #[starlark(kwargs)] kwargs: DictRef<'v>,
    ) -> anyhow::Result<NoneType> {
        record("docker_build", &args, &kwargs)?;
        Ok(NoneType)
    }

    /// Stands for the YAML kustomize renders: the directory, so that k8s_yaml records it.
    fn kustomize<'v>(
        #[starlark(args)] args: UnpackTuple<Value<'v>>,
        #[starlark(kwargs)] kwargs: DictRef<'v>,
    ) -> anyhow::Result<String> {
        record("kustomize", &args, &kwargs)?;
        let dir = args
            .items
            .first()
            .and_then(|value| value.unpack_str())
            .unwrap_or_default();
        Ok(format!("kustomize:{dir}"))
    }

    fn k8s_yaml<'v>(
        #[starlark(args)] args: UnpackTuple<Value<'v>>,
        #[starlark(kwargs)] kwargs: DictRef<'v>,
    ) -> anyhow::Result<NoneType> {
        record("k8s_yaml", &args, &kwargs)?;
        Ok(NoneType)
    }

    fn k8s_resource<'v>(
        #[starlark(args)] args: UnpackTuple<Value<'v>>,
        #[starlark(kwargs)] kwargs: DictRef<'v>,
    ) -> anyhow::Result<NoneType> {
        record("k8s_resource", &args, &kwargs)?;
        Ok(NoneType)
    }
}

/// Evaluates `source` as a Tiltfile and returns its recorded calls.
fn evaluate(source: &str) -> Vec<Call> {
    let ast = AstModule::parse("Tiltfile", source.to_owned(), &Dialect::Extended)
        .unwrap_or_else(|error| panic!("the Tiltfile does not parse: {error}"));
    let globals = GlobalsBuilder::standard().with(tilt).build();
    RECORDED.with(|recorded| recorded.borrow_mut().clear());
    Module::with_temp_heap(|module| {
        let mut eval = Evaluator::new(&module);
        eval.eval_module(ast, &globals).map(|_| ())
    })
    .unwrap_or_else(|error| panic!("the Tiltfile does not evaluate: {error}"));
    RECORDED.with(|recorded| recorded.take())
}

fn tiltfile() -> String {
    std::fs::read_to_string(root().join("Tiltfile")).expect("a Tiltfile at the root")
}

fn calls<'a>(recorded: &'a [Call], function: &str) -> impl Iterator<Item = &'a Call> {
    recorded
        .iter()
        .filter(move |call| call.function == function)
}

/// The names of the workloads the k3d overlay renders (Deployments, StatefulSets, Jobs).
fn workloads() -> BTreeSet<String> {
    let output = Command::new("kustomize")
        .args(["build", "--load-restrictor", "LoadRestrictionsNone"])
        .arg(root().join("deploy/k3d"))
        .output()
        .expect("kustomize on PATH (make deps installs it)");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = String::from_utf8(output.stdout).expect("UTF-8");
    serde_yaml::Deserializer::from_str(&text)
        .filter_map(|document| {
            let object = <serde_yaml::Value as serde::Deserialize>::deserialize(document).ok()?;
            let kind = object["kind"].as_str()?;
            ["Deployment", "StatefulSet", "Job"]
                .contains(&kind)
                .then(|| object["metadata"]["name"].as_str().map(str::to_owned))
                .flatten()
        })
        .collect()
}

/// Each k8s_resource's name and its resource_deps.
fn dependencies(recorded: &[Call]) -> BTreeMap<String, Vec<String>> {
    calls(recorded, "k8s_resource")
        .map(|call| {
            let name = call
                .args
                .first()
                .and_then(Json::as_str)
                .expect("a workload");
            let deps = call
                .kwargs
                .get("resource_deps")
                .and_then(Json::as_array)
                .map_or_else(Vec::new, |deps| {
                    deps.iter()
                        .filter_map(Json::as_str)
                        .map(str::to_owned)
                        .collect()
                });
            (name.to_owned(), deps)
        })
        .collect()
}

/// LocalMart's own workloads: the services, the edge and the seeds.
const OURS: &[&str] = &[
    "catalog",
    "cart",
    "reviews",
    "edge",
    "catalog-seed",
    "reviews-seed",
];

/// Every problem with the resource graph a Tiltfile records.
fn problems(recorded: &[Call]) -> Vec<String> {
    let mut problems = Vec::new();
    // The contract gates: `cargo xtask contracts`, on the host.
    let gates = calls(recorded, "local_resource")
        .find(|call| call.args.first().and_then(Json::as_str) == Some("contracts"));
    match gates {
        Some(gates)
            if gates.kwargs.get("cmd").and_then(Json::as_str) == Some("cargo xtask contracts") => {}
        _ => problems
            .push("no `contracts` local_resource running `cargo xtask contracts`".to_owned()),
    }
    // Every image, from the one Dockerfile, by its target.
    let built: BTreeMap<String, (Option<String>, Option<String>)> = calls(recorded, "docker_build")
        .map(|call| {
            let image = call
                .args
                .first()
                .and_then(Json::as_str)
                .unwrap_or_default()
                .to_owned();
            let field = |name: &str| {
                call.kwargs
                    .get(name)
                    .and_then(Json::as_str)
                    .map(str::to_owned)
            };
            (image, (field("dockerfile"), field("target")))
        })
        .collect();
    for target in ["catalog", "cart", "reviews", "edge"] {
        let image = format!("localmart-registry.localhost:5005/localmart-{target}");
        match built.get(&image) {
            Some((Some(dockerfile), Some(built_target)))
                if dockerfile == "deploy/docker/Dockerfile" && built_target == target => {}
            other => problems.push(format!(
                "{image} is not built from the Dockerfile's {target} target: {other:?}"
            )),
        }
    }
    // The k3d overlay.
    let deployed: Vec<&str> = calls(recorded, "k8s_yaml")
        .filter_map(|call| call.args.first().and_then(Json::as_str))
        .collect();
    if deployed != ["kustomize:deploy/k3d"] {
        problems.push(format!(
            "k8s_yaml deploys {deployed:?}, not the k3d overlay"
        ));
    }
    // Every workload has a resource, and LocalMart's wait for the gates.
    let deps = dependencies(recorded);
    for workload in workloads() {
        match deps.get(&workload) {
            None => problems.push(format!("no k8s_resource for {workload}")),
            Some(deps)
                if OURS.contains(&workload.as_str())
                    && !deps.iter().any(|dep| dep == "contracts") =>
            {
                problems.push(format!("{workload} does not wait for the contract gates"));
            }
            Some(_) => {}
        }
    }
    // The shop and the UIs, on the native stack's ports.
    let forwarded: BTreeSet<String> = calls(recorded, "k8s_resource")
        .filter_map(|call| call.kwargs.get("port_forwards").and_then(Json::as_array))
        .flatten()
        .filter_map(|forward| forward.as_str().map(str::to_owned))
        .collect();
    for forward in ["18000:18000", "19090:9090", "19093:9093", "13000:3000"] {
        if !forwarded.contains(forward) {
            problems.push(format!("no port forward {forward}"));
        }
    }
    problems
}

#[test]
fn every_image_manifest_and_port_forward_is_there_and_every_deploy_waits_for_the_gates() {
    let recorded = evaluate(&tiltfile());
    assert_eq!(problems(&recorded), Vec::<String>::new());
}

#[test]
fn a_deploy_that_no_longer_waits_for_the_gates_is_caught() {
    let source = tiltfile();
    let loosened = source.replacen(
        "k8s_resource('cart', resource_deps=['contracts', ",
        "k8s_resource('cart', resource_deps=[",
        1,
    );
    assert_ne!(
        loosened, source,
        "the cart's resource is written as this test expects"
    );
    assert_eq!(
        problems(&evaluate(&loosened)),
        ["cart does not wait for the contract gates"]
    );
}
