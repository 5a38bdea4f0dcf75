#!/usr/bin/env bash
# Runs one stage of a make target and prints a timing line for it:
#   stage.sh NAME COMMAND [ARGS...]
set -uo pipefail
name=$1
shift
started=$(date +%s)
echo "==> $name: $*"
"$@"
status=$?
elapsed=$(( $(date +%s) - started ))
if [ "$status" -eq 0 ]; then
  echo "==> $name: ok in ${elapsed}s"
else
  echo "==> $name: FAILED (exit $status) after ${elapsed}s"
fi
exit "$status"
