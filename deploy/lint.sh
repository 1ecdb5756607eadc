#!/usr/bin/env bash
# Lint what deploy/ ships: the Dockerfile with hadolint, the systemd unit with
# `systemd-analyze verify` and its hardening with `systemd-analyze security` (at most 4).
set -euo pipefail
cd "$(dirname "$0")/.."
HADOLINT=${HADOLINT:-.venv/bin/hadolint}

"$HADOLINT" deploy/Dockerfile
echo "hadolint: deploy/Dockerfile is clean"

if ! command -v systemd-analyze >/dev/null; then
    echo "SKIPPED: systemd-analyze is not installed; the unit was not checked"
    exit 0
fi
# verify checks that ExecStart exists: point the unit's /opt/weekly-bot at this checkout.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sed "s#/opt/weekly-bot#$PWD#g" deploy/weekly-bot.service >"$work/weekly-bot.service"
systemd-analyze verify "$work/weekly-bot.service"
echo "systemd-analyze verify: deploy/weekly-bot.service is valid"
systemd-analyze security --offline=true --threshold=40 deploy/weekly-bot.service | tail -1
