#!/usr/bin/env bash
# Builds, under podman, every image the compose stack runs on a machine without a registry
# (compose.yaml with compose.local.yaml):
#
# - the Debian base, made once by debootstrap from the Debian mirror apt uses, kept as a
#   tarball in the cache (outside the checkout) and imported as localhost/debian:bookworm-slim;
# - LocalMart's images (deploy/docker/Dockerfile: catalog, cart, reviews, edge), their
#   `binaries` stage replaced by the binaries and the storefront bundle this checkout built
#   (`cargo build --profile $PROFILE`, `cargo xtask storefront`);
# - the stand-ins for the upstream images (deploy/compose/local/Dockerfile), from Debian
#   packages and the tools deploy/native/deps.sh built.
#
# Podman keeps its layers in its own storage, so a second run rebuilds only what changed.
#   PROFILE=cargo profile of the binaries (default release)
set -euo pipefail
source "$(dirname "$0")/../native/env.sh"
cd "$LOCALMART_ROOT"
source deploy/compose/podman.sh

profile=${PROFILE:-release}
profile_dir=$([ "$profile" = dev ] && echo debug || echo "$profile")
cache=$HOME/.cache/localmart/images
mkdir -p "$cache"
started=$SECONDS

# The base: debootstrap's minimal Debian 12, from the mirror apt uses here.
if ! podman image exists localhost/debian:bookworm-slim; then
  if [ ! -s "$cache/debian-bookworm.tar" ]; then
    mirror=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
    mirror=${mirror:-http://deb.debian.org/debian}
    echo "images: making the Debian base with debootstrap from $mirror"
    rootfs=$(mktemp -d)
    trap 'rm -rf "$rootfs"' EXIT
    debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$cache/debootstrap.log" 2>&1 ||
      { tail -n 20 "$cache/debootstrap.log" >&2; exit 1; }
    # What an image's `apt-get install` needs: the same mirror, with its updates.
    printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$mirror" "$mirror" >"$rootfs/etc/apt/sources.list"
    # Slim, as Debian's own slim images are: no documentation, manuals or translations,
    # now or in what the images install later, and no package caches.
    printf 'path-exclude /usr/share/%s/*\n' doc man info locale >"$rootfs/etc/dpkg/dpkg.cfg.d/01-slim"
    echo 'path-include /usr/share/doc/*/copyright' >>"$rootfs/etc/dpkg/dpkg.cfg.d/01-slim"
    find "$rootfs/usr/share/doc" -mindepth 2 ! -name copyright -delete 2>/dev/null || true
    rm -rf "$rootfs"/usr/share/{man,info,locale}/* "$rootfs"/var/cache/apt/*.bin \
      "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
    tar -C "$rootfs" -cf "$cache/debian-bookworm.tar.new" .
    mv "$cache/debian-bookworm.tar.new" "$cache/debian-bookworm.tar"
  fi
  podman import --quiet "$cache/debian-bookworm.tar" localhost/debian:bookworm-slim >/dev/null
fi

# The binaries and the bundle, as the `binaries` stage would have them.
binaries=$CARGO_TARGET_DIR/image-binaries
rm -rf "$binaries"
mkdir -p "$binaries"
for service in catalog cart reviews; do
  [ -x "$CARGO_TARGET_DIR/$profile_dir/$service" ] ||
    { echo "images: no $profile build of $service; run cargo build --profile $profile -p $service" >&2; exit 1; }
  ln "$CARGO_TARGET_DIR/$profile_dir/$service" "$binaries/$service"
done
[ -f "$CARGO_TARGET_DIR/storefront/index.html" ] ||
  { echo "images: no storefront bundle; run cargo xtask storefront" >&2; exit 1; }
cp -R "$CARGO_TARGET_DIR/storefront" "$binaries/storefront"

# The host's tools for the stand-ins.
tools=$CARGO_TARGET_DIR/image-tools
rm -rf "$tools"
mkdir -p "$tools"
for tool in ferretdb localmart-otelcol; do
  ln -f "$(readlink -f "$LOCALMART_TOOLS/bin/$tool")" "$tools/$tool" 2>/dev/null ||
    cp "$(readlink -f "$LOCALMART_TOOLS/bin/$tool")" "$tools/$tool"
done

# Docker's image format keeps the HEALTHCHECKs (OCI's has none).
build() {
  local image=$1 dockerfile=$2 target=$3
  shift 3
  podman build --network host --format docker --file "$dockerfile" --target "$target" \
    --build-arg RUNTIME_BASE=localhost/debian:bookworm-slim \
    --build-arg REVISION="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)" \
    --tag "$image" "$@" . >"$cache/build.log" 2>&1 ||
    { tail -n 30 "$cache/build.log" >&2; echo "images: building $image failed" >&2; exit 1; }
}
for target in catalog cart reviews edge; do
  build "localhost/localmart-$target:latest" deploy/docker/Dockerfile "$target" --build-context "binaries=$binaries"
done
for target in postgres redis ferretdb otelcol prometheus alertmanager; do
  build "localhost/localmart-local-$target:latest" deploy/compose/local/Dockerfile "$target" --build-context "tools=$tools"
done
echo "images: built in $((SECONDS - started)) s"
