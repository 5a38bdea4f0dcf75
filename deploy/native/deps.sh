#!/usr/bin/env bash
# Installs what LocalMart needs on Debian 12, skipping whatever is already there
# (`deps.sh --bench`: and what only `make bench` needs):
# system packages with apt, Rust components with rustup, Python tools with pip in a
# virtual environment and npm tools with npm ci, each pinned and hashed (requirements.txt,
# npm/package-lock.json), Go tools by module version (checked against go.sum), cargo
# tools by version. Tools go to $LOCALMART_TOOLS (outside the checkout), so every clone
# shares them.
set -euo pipefail

tools=${LOCALMART_TOOLS:-$HOME/.cache/localmart/tools}
mkdir -p "$tools/bin"

# nginx is the storefront's edge; chromium and its driver run the storefront's browser tests.
apt_packages=(postgresql postgresql-client redis-server curl nginx chromium chromium-driver)
# kill and pkill freeze and thaw the datastores in the resilience tests; ss (iproute2)
# checks that `make down` leaves no port listened on.
apt_packages+=(procps iproute2)
# wrk drives the REST benchmarks (`make bench`); ghz, installed below, the gRPC ones; h2load
# (nghttp2) drives both protocols with one client for their comparison.
apt_packages+=(wrk nghttp2-client)
# The native telemetry stack (docs/observability.md): Prometheus (with promtool) and
# Alertmanager from Debian; Zipkin, fetched below, runs on Java.
apt_packages+=(prometheus prometheus-alertmanager)
# PyYAML: deploy/native/promql.py reads the rules to query each against Prometheus.
apt_packages+=(python3-yaml)
# The compose stack runs on podman (with runc: crun fails on these machines' cgroups; the
# dnsname plugin lets containers find each other by name), its images on a Debian base
# that debootstrap makes (deploy/compose/images.sh).
apt_packages+=(podman runc debootstrap golang-github-containernetworking-plugin-dnsname)
command -v java >/dev/null 2>&1 || apt_packages+=(openjdk-17-jre-headless)
# `python3 -m venv` needs Debian's venv package; without it venv creation fails half-way.
python3 -c 'import ensurepip' >/dev/null 2>&1 || apt_packages+=(python3-venv)
ferretdb_version=v1.24.2
oasdiff_version=v1.36.0
kustomize_version=v5.8.2
ghz_version=v0.120.0
cargo_deny_version=0.20.2
oha_version=1.16.0
victorialogs_version=v1.52.2
zipkin_version=3.5.1
zipkin_sha256=7ac633a6832647e71e50012a5e3e91fbc7054414955261724526030faf271d8d
# The collector's components are pinned in its builder manifest; the builder is of the
# same release.
collector_manifest=$(dirname "$0")/../observability/collector/manifest.yaml
collector_version=v$(sed -n 's/^  version: //p' "$collector_manifest")
# wasm-bindgen-cli must be exactly the wasm-bindgen the storefront links, so Cargo.lock pins it.
# (Not --locked: its published lock file pins a webpki-roots the registry does not serve.)
wasm_bindgen_version=$(sed -n '/^name = "wasm-bindgen"$/{n;s/^version = "\(.*\)"$/\1/p;}' "$(dirname "$0")/../../Cargo.lock")

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Temporary build directories, removed however the script ends.
scratch_dirs=()
cleanup() {
  if [ ${#scratch_dirs[@]} -gt 0 ]; then rm -rf "${scratch_dirs[@]}"; fi
}
trap cleanup EXIT
# `scratch NAME` makes one and puts its path in the variable NAME.
scratch() {
  local dir
  dir=$(mktemp -d)
  scratch_dirs+=("$dir")
  printf -v "$1" '%s' "$dir"
}

# The toolchains the steps below call. Debian packages what it can (python3-venv);
# Rust, Go and Node come with the machine, so a missing one is named with where to get it.
need() {
  local command=$1 why=$2
  if ! command -v "$command" >/dev/null 2>&1; then
    echo "deps: \`$command\` is missing; it is needed $why" >&2
    exit 1
  fi
}
need cargo "to build LocalMart (install Rust with rustup)"
need rustup "to add the wasm32 target and rustfmt/clippy (install Rust with rustup)"
need go "to build FerretDB, oasdiff, kustomize, the OpenTelemetry Collector and VictoriaLogs from their Go modules (Go 1.22 or newer)"
need npm "to install buf and binaryen from the npm registry (Node.js 18 or newer)"
need python3 "for supervisord and schemathesis (Python 3.9 or newer)"

missing=()
for package in "${apt_packages[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} with apt"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

installed_components=$(rustup component list --installed 2>/dev/null || true)
for component in rustfmt clippy rust-std-wasm32-unknown-unknown; do
  grep -q "^$component" <<<"$installed_components" || case $component in
    rust-std-*) rustup target add "${component#rust-std-}" ;;
    *) rustup component add "$component" ;;
  esac
done

# A stamp per pinned version, so changing a pin reinstalls.
# The Python tools: supervisord runs the native stack (deploy/native/supervisord.conf),
# schemathesis fuzzes each service against its OpenAPI contract (contract-tests/),
# podman-compose runs the compose stack on podman (deploy/compose/), kubernetes-validate
# checks the Kubernetes manifests (deploy/k8s/). Every package,
# dependencies included, is pinned and hashed in requirements.txt.
requirements=$(dirname "$0")/requirements.txt
python_tools=$(sha256sum "$requirements" | cut -c1-16)
if [ ! -x "$tools/bin/supervisord" ] || [ ! -x "$tools/bin/schemathesis" ] ||
  [ ! -e "$tools/bin/.python-tools-$python_tools" ]; then
  echo "installing supervisor, schemathesis, podman-compose and kubernetes-validate with pip (requirements.txt, hashes required)"
  python3 -m venv "$tools/venv"
  "$tools/venv/bin/pip" install --quiet --disable-pip-version-check --require-hashes -r "$requirements"
  for tool in supervisord supervisorctl schemathesis podman-compose kubernetes-validate; do
    ln -sf "$tools/venv/bin/$tool" "$tools/bin/$tool"
  done
  touch "$tools/bin/.python-tools-$python_tools"
fi

# FerretDB: the MongoDB wire protocol on PostgreSQL, for the Reviews service. Built from its
# pinned Go module the way its own build does it: the version file that its release
# tooling generates is written first (a plain `go install` leaves it empty, and the
# binary refuses to start).
if [ ! -x "$tools/bin/ferretdb" ] || [ ! -e "$tools/bin/.ferretdb-$ferretdb_version" ]; then
  echo "building FerretDB $ferretdb_version from its Go module"
  module_dir=$(cd /tmp && go mod download -json "github.com/FerretDB/FerretDB@$ferretdb_version" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')
  scratch build_dir
  cp -r "$module_dir/." "$build_dir"
  chmod -R u+w "$build_dir"
  echo "$ferretdb_version" >"$build_dir/build/version/version.txt"
  (cd "$build_dir" && GOFLAGS=-mod=mod go build -o "$tools/bin/ferretdb" ./cmd/ferretdb)
  touch "$tools/bin/.ferretdb-$ferretdb_version"
fi

# oasdiff judges whether an OpenAPI change breaks released consumers (cargo xtask contracts).
if [ ! -x "$tools/bin/oasdiff" ] || [ ! -e "$tools/bin/.oasdiff-$oasdiff_version" ]; then
  echo "installing oasdiff $oasdiff_version with go install"
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "github.com/oasdiff/oasdiff@$oasdiff_version"
  touch "$tools/bin/.oasdiff-$oasdiff_version"
fi

# kustomize renders the Kubernetes manifests (deploy/k8s, deploy/k3d) for their tests.
if [ ! -x "$tools/bin/kustomize" ] || [ ! -e "$tools/bin/.kustomize-$kustomize_version" ]; then
  echo "installing kustomize $kustomize_version with go install"
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "sigs.k8s.io/kustomize/kustomize/v5@$kustomize_version"
  touch "$tools/bin/.kustomize-$kustomize_version"
fi

# The OpenTelemetry Collector of the native stack, built by the collector builder from the
# pinned manifest (deploy/observability/collector/manifest.yaml).
collector_stamp=$collector_version-$(sha256sum "$collector_manifest" | cut -c1-16)
if [ ! -x "$tools/bin/localmart-otelcol" ] || [ ! -e "$tools/bin/.otelcol-$collector_stamp" ]; then
  echo "building the OpenTelemetry Collector $collector_version with the collector builder"
  scratch build_dir
  GOBIN="$build_dir/bin" GOFLAGS=-mod=mod go install "go.opentelemetry.io/collector/cmd/builder@$collector_version"
  sed "s|^dist:|dist:\n  output_path: $build_dir/out|" "$collector_manifest" >"$build_dir/manifest.yaml"
  "$build_dir/bin/builder" --config "$build_dir/manifest.yaml" >"$build_dir/builder.log" 2>&1 ||
    { tail -n 20 "$build_dir/builder.log" >&2; exit 1; }
  install -m 0755 "$build_dir/out/localmart-otelcol" "$tools/bin/localmart-otelcol"
  touch "$tools/bin/.otelcol-$collector_stamp"
fi

# VictoriaLogs keeps the native stack's logs, with its web UI built in.
if [ ! -x "$tools/bin/victoria-logs" ] || [ ! -e "$tools/bin/.victorialogs-$victorialogs_version" ]; then
  echo "installing VictoriaLogs $victorialogs_version with go install"
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "github.com/VictoriaMetrics/VictoriaLogs/app/victoria-logs@$victorialogs_version"
  touch "$tools/bin/.victorialogs-$victorialogs_version"
fi

# Zipkin keeps the native stack's traces, with its UI: the server's executable jar from
# Maven Central, checked against the hash pinned above.
zipkin_jar=$tools/zipkin/zipkin-server-$zipkin_version-exec.jar
if [ ! -s "$zipkin_jar" ]; then
  echo "fetching Zipkin $zipkin_version from Maven Central"
  mkdir -p "$tools/zipkin"
  curl -fsSL --retry 3 -o "$zipkin_jar.part" \
    "https://repo1.maven.org/maven2/io/zipkin/zipkin-server/$zipkin_version/zipkin-server-$zipkin_version-exec.jar"
  echo "$zipkin_sha256  $zipkin_jar.part" | sha256sum -c --quiet
  mv "$zipkin_jar.part" "$zipkin_jar"
fi
ln -sfn "$zipkin_jar" "$tools/zipkin/zipkin-server.jar"

# ghz drives the gRPC benchmarks (`make bench`), as users measure gRPC servers.
if [ ! -x "$tools/bin/ghz" ] || [ ! -e "$tools/bin/.ghz-$ghz_version" ]; then
  echo "installing ghz $ghz_version with go install"
  GOBIN="$tools/bin" GOFLAGS=-mod=mod go install "github.com/bojand/ghz/cmd/ghz@$ghz_version"
  touch "$tools/bin/.ghz-$ghz_version"
fi

# buf lints the protos and judges their changes; binaryen's wasm-opt shrinks the
# storefront's module. Both from npm, pinned with every package's integrity hash in
# npm/package-lock.json, which `npm ci` checks.
npm_tools=$(sha256sum <"$(dirname "$0")/npm/package-lock.json" | cut -c1-16)
if [ ! -x "$tools/bin/buf" ] || [ ! -x "$tools/bin/wasm-opt" ] || [ ! -e "$tools/bin/.npm-tools-$npm_tools" ]; then
  echo "installing buf and binaryen with npm ci (npm/package-lock.json)"
  mkdir -p "$tools/npm"
  cp "$(dirname "$0")/npm/package.json" "$(dirname "$0")/npm/package-lock.json" "$tools/npm/"
  npm ci --silent --no-audit --no-fund --prefix "$tools/npm" >/dev/null
  ln -sf "$tools/npm/node_modules/.bin/buf" "$tools/bin/buf"
  ln -sf "$tools/npm/node_modules/.bin/wasm-opt" "$tools/bin/wasm-opt"
  touch "$tools/bin/.npm-tools-$npm_tools"
fi

# The storefront's bundle: wasm-bindgen writes the JavaScript glue, wasm-opt shrinks the module.
if [ ! -x "$tools/bin/wasm-bindgen" ] || [ ! -e "$tools/bin/.wasm-bindgen-$wasm_bindgen_version" ]; then
  echo "installing wasm-bindgen-cli $wasm_bindgen_version with cargo install"
  scratch build_dir
  cargo install --quiet --root "$tools" --target-dir "$build_dir" --version "$wasm_bindgen_version" wasm-bindgen-cli
  touch "$tools/bin/.wasm-bindgen-$wasm_bindgen_version"
fi

# The dependency graph's licenses, bans and sources (deny.toml), checked by `make test`.
if [ ! -x "$tools/bin/cargo-deny" ] || [ ! -e "$tools/bin/.cargo-deny-$cargo_deny_version" ]; then
  echo "installing cargo-deny $cargo_deny_version with cargo install"
  scratch build_dir
  cargo install --quiet --locked --root "$tools" --target-dir "$build_dir" --version "$cargo_deny_version" cargo-deny
  touch "$tools/bin/.cargo-deny-$cargo_deny_version"
fi

# oha offers HTTP load at a fixed rate for the open-loop benchmark rows: only `make bench`
# needs it (deps.sh --bench), so `make up` and `make test` skip its build (about 5 min).
if [ "${1:-}" = --bench ] && { [ ! -x "$tools/bin/oha" ] || [ ! -e "$tools/bin/.oha-$oha_version" ]; }; then
  echo "installing oha $oha_version with cargo install"
  scratch build_dir
  cargo install --quiet --locked --root "$tools" --target-dir "$build_dir" --version "$oha_version" oha
  touch "$tools/bin/.oha-$oha_version"
fi
