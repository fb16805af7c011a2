#!/usr/bin/env bash
# The Fargate image tests (test/aws/fargate-*.test.ts) build and run the image with podman, on a
# base made from Debian's packages with mmdebstrap (no container registry is reachable here).
# runc: test/aws/container/containers.conf selects it (crun refuses this machine's cgroup layout).
# Run by `npm test` (pretest) and `npm run test:aws` (pretest:aws): installs what is missing from
# Debian's packages, so the README's test command is the whole set-up on a fresh machine.
set -euo pipefail
missing=()
for tool in podman mmdebstrap runc; do
  command -v "$tool" >/dev/null 2>&1 || missing+=("$tool")
done
[ "${#missing[@]}" -eq 0 ] && exit 0
echo "installing ${missing[*]} from Debian's packages (for the Fargate image tests)"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends podman mmdebstrap runc uidmap ca-certificates
