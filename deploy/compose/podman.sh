# Podman's settings for LocalMart (sourced by the compose scripts): as root on the
# development machines it runs containers only with runc (crun fails on their cgroup
# setup) and with no default ulimits, so CONTAINERS_CONF points at a file that says so.
containers_conf=$HOME/.cache/localmart/containers.conf
if [ ! -s "$containers_conf" ]; then
  mkdir -p "$(dirname "$containers_conf")"
  printf '[containers]\ndefault_ulimits = []\n\n[engine]\nruntime = "runc"\n' >"$containers_conf"
fi
export CONTAINERS_CONF=$containers_conf
