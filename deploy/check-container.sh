#!/usr/bin/env bash
# Build the production image and run it as the README's "Operations" section says, against
# the local Bot API stand-in: /healthz, one reader command, SIGTERM, exit status 0.
#
# Needs podman, runc and mmdebstrap (installed with apt-get when missing and run as root).
# The Debian bookworm base image is made once with mmdebstrap and kept under the tag
# $BASE, so later runs only rebuild the layers that changed.
set -euo pipefail
cd "$(dirname "$0")/.."

BASE=${BASE:-localhost/weekly-bot-base:bookworm}
IMAGE=${IMAGE:-localhost/weekly-bot:check}
PYTHON=${PYTHON:-.venv/bin/python}
RUNTIME=(--runtime runc)
LIMITS=(--ulimit nofile=20000:20000 --ulimit nproc=32768:32768)
# Podman schedules HEALTHCHECKs with systemd timers, which a CI container may lack: the
# one-off runs go without the check; the bot's run keeps it and it is run by hand below.
NO_TIMERS=(--no-healthcheck)
TOKEN=123456789:check-container-token-0123456789abcdef
NAME=weekly-bot-check-$$
VOLUME=weekly-bot-check-$$
step() { printf '\n== %s\n' "$*"; }

missing=()
for tool in podman runc mmdebstrap; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if ((${#missing[@]})); then
    if [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null; then
        step "installing ${missing[*]}"
        if ! { apt-get update -qq \
            && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq podman runc mmdebstrap \
                uidmap >/dev/null; }; then
            echo "SKIPPED: container check: apt-get could not install ${missing[*]}"
            exit 0
        fi
    else
        echo "SKIPPED: container check: ${missing[*]} missing, and apt-get as root is not available"
        exit 0
    fi
fi

if ! podman image exists "$BASE"; then
    step "making the base image $BASE (Debian bookworm with python3) with mmdebstrap"
    mmdebstrap --variant=apt --include=python3,python3-venv,ca-certificates bookworm - \
        | podman import - "$BASE"
fi

step "building $IMAGE"
# The host's CA bundle lets pip through a TLS-inspecting proxy; it is a build secret only.
# Docker's image format: the OCI format has no HEALTHCHECK.
podman build "${RUNTIME[@]}" "${LIMITS[@]}" --format docker --build-arg BASE="$BASE" \
    --secret id=pip-ca,src=/etc/ssl/certs/ca-certificates.crt \
    -f deploy/Dockerfile --target production -t "$IMAGE" . >/tmp/weekly-bot-build.log 2>&1 \
    || { tail -40 /tmp/weekly-bot-build.log; exit 1; }

work=$(mktemp -d)
standin_pid=
cleanup() {
    podman rm -f "$NAME" >/dev/null 2>&1 || true
    podman volume rm -f "$VOLUME" >/dev/null 2>&1 || true
    [[ -n $standin_pid ]] && kill "$standin_pid" 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

step "without a token the image refuses to start, with one line and status 2"
status=0
podman run --rm "${RUNTIME[@]}" "${LIMITS[@]}" "${NO_TIMERS[@]}" "$IMAGE" >"$work/no-token.log" 2>&1 || status=$?
cat "$work/no-token.log"
[[ $status -eq 2 ]] && grep -q "TELEGRAM_BOT_TOKEN is not set" "$work/no-token.log"

step "starting the local Bot API stand-in"
port=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
health=$("$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$PYTHON" -m standin --port "$port" --token "$TOKEN" --username check_bot >"$work/standin.log" 2>&1 &
standin_pid=$!
control() { curl -fsS -X POST "http://127.0.0.1:$port/_control/$1" -d "$2"; }
for _ in $(seq 50); do control stats '{}' >/dev/null 2>&1 && break; sleep 0.2; done

cat >"$work/bot.env" <<ENV
TELEGRAM_BOT_TOKEN=$TOKEN
TELEGRAM_API_URL=http://127.0.0.1:$port
EDITOR_IDS=
HEALTH_PORT=$health
LOG_FORMAT=json
ENV

step "importing the sample issues into the volume (python -m bot import)"
podman volume create "$VOLUME" >/dev/null
mapfile -t samples < <(cd bot/sample_content && ls -- *.md)
podman run --rm "${RUNTIME[@]}" "${LIMITS[@]}" "${NO_TIMERS[@]}" --env-file "$work/bot.env" -v "$VOLUME:/data" \
    "$IMAGE" python -m bot import --publish "${samples[@]/#//app/bot/sample_content/}" | tail -3

step "running the bot (host network: the stand-in listens on the loopback)"
podman run -d --name "$NAME" "${RUNTIME[@]}" "${LIMITS[@]}" --health-interval disable \
    --network host --env-file "$work/bot.env" -v "$VOLUME:/data" "$IMAGE" \
    2> >(grep -v "systemd connection" >&2) >/dev/null
ok=
for _ in $(seq 60); do
    if curl -fsS "http://127.0.0.1:$health/healthz" >"$work/healthz.json" 2>/dev/null; then ok=1; break; fi
    sleep 0.5
done
if [[ -z $ok ]]; then podman logs "$NAME" | tail -40; exit 1; fi
echo "/healthz: $(cat "$work/healthz.json")"
curl -fsS "http://127.0.0.1:$health/readyz"; echo
podman healthcheck run "$NAME"
echo "the image's HEALTHCHECK: healthy"

step "a reader asks /latest"
control add_user '{"user_id": 31, "first_name": "Reader", "language_code": "en"}' >/dev/null
control send_text '{"chat_id": 31, "user_id": 31, "text": "/latest"}' >/dev/null
control wait_for '{"count": 1, "chat_id": 31, "timeout": 30}' >"$work/reply.json"
grep -q "September 21" "$work/reply.json" || { cat "$work/reply.json"; exit 1; }
echo "the reply names the newest week"
curl -fsS "http://127.0.0.1:$health/metrics" | grep -E '^bot_updates_total\{kind="command"'

step "an online backup while the bot runs (python -m bot backup)"
podman exec "$NAME" python -m bot backup /data/backups/check.sqlite3

step "stopping with SIGTERM"
podman kill --signal TERM "$NAME" >/dev/null
code=$(timeout 40 podman wait "$NAME")
podman logs "$NAME" 2>&1 | tail -3
echo "exit status: $code"
[[ $code -eq 0 ]]

step "restoring the backup with the bot stopped (python -m bot restore)"
podman run --rm "${RUNTIME[@]}" "${LIMITS[@]}" "${NO_TIMERS[@]}" --env-file "$work/bot.env" \
    -v "$VOLUME:/data" "$IMAGE" python -m bot restore /data/backups/check.sqlite3 \
    | tee "$work/restore.log"
grep -q "The previous database is kept as /data/bot.sqlite3.before-restore-" "$work/restore.log"
echo "container check passed"
