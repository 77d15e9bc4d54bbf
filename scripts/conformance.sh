#!/usr/bin/env bash
# RFC 7643/7644 conformance of `scimform dev-server`, checked by the third-party tester
# scim2-tester (PyPI, python-scim project).
#
#   scripts/conformance.sh [DEV-SERVER FLAGS...]     e.g. --emulate slack
#
# 1. Installs scim2-tester and scim2-client[httpx2] at pinned versions into the venv
#    $REPO/.interop/conformance-venv (git-ignored; a sibling of the interop venv, so the
#    two tools' dependencies never clash), unless they are already there. Idempotent, and
#    safe to run concurrently: a flock on .interop/conformance.lock serialises installs.
# 2. Starts the built binary ($SCIMFORM_BIN, default target/debug/scimform; run
#    `cargo build` first) as `scimform dev-server` on 127.0.0.1 with a free port and a
#    random token, plus any flags given here.
# 3. Runs every scim2-tester check, and passes only when every check passes except those
#    listed in tests/conformance-expected-failures.txt, each with its RFC reason. A listed
#    failure that no longer happens fails the run too, so the list stays honest.
#
# Environment:
#   PYTHON        python interpreter used to create the venv (default: python3)
#   SCIMFORM_BIN  the scimform binary to test (default: target/debug/scimform)
set -euo pipefail

TESTER_VERSION="0.5.2"
CLIENT_VERSION="0.13.2"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INTEROP="$REPO/.interop"
VENV="$INTEROP/conformance-venv"
LOGS="$INTEROP/logs"
PY="${PYTHON:-python3}"
BIN="${SCIMFORM_BIN:-$REPO/target/debug/scimform}"
EXPECTED="$REPO/tests/conformance-expected-failures.txt"

die() {
    echo "conformance: ERROR: $*" >&2
    exit 1
}
say() {
    echo "conformance: $*"
}

mkdir -p "$INTEROP" "$LOGS" || die "cannot create $INTEROP"

installed() {
    "$VENV/bin/python" - "$1" <<'PY' 2>/dev/null
import importlib.metadata as m, sys
print(m.version(sys.argv[1]))
PY
}

# 1. The venv and the tester, under the lock.
exec 9>"$INTEROP/conformance.lock" || die "cannot open $INTEROP/conformance.lock"
if command -v flock >/dev/null 2>&1; then
    flock -w 600 9 || die "timed out after 600 s waiting for $INTEROP/conformance.lock"
else
    say "warning: flock not found; concurrent runs are not serialised"
fi
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    :
else
    if [ -e "$VENV" ]; then
        say "venv at $VENV is broken; recreating it"
        rm -rf "$VENV"
    fi
    command -v "$PY" >/dev/null 2>&1 || die "'$PY' not found; install Python 3.11+ (or set PYTHON=...)"
    say "creating venv at $VENV with $("$PY" --version 2>&1)"
    "$PY" -m venv "$VENV" || die "'$PY -m venv $VENV' failed (on Debian: apt-get install python3-venv)"
fi
if [ "$(installed scim2-tester || true)" = "$TESTER_VERSION" ] \
    && [ "$(installed scim2-client || true)" = "$CLIENT_VERSION" ] \
    && "$VENV/bin/python" -c 'import httpx2' >/dev/null 2>&1; then
    say "scim2-tester $TESTER_VERSION already installed"
else
    say "installing scim2-tester==$TESTER_VERSION and scim2-client[httpx2]==$CLIENT_VERSION from PyPI"
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
        "scim2-tester==$TESTER_VERSION" "scim2-client[httpx2]==$CLIENT_VERSION" \
        || die "pip install failed (is PyPI reachable? if the venv is damaged, rm -rf $VENV and rerun)"
    [ "$(installed scim2-tester || true)" = "$TESTER_VERSION" ] \
        || die "after install, scim2-tester is not at $TESTER_VERSION"
fi
flock -u 9 2>/dev/null || true

# 2. The dev-server.
[ -x "$BIN" ] || die "$BIN not found: run 'cargo build' first (or set SCIMFORM_BIN)"
[ -f "$EXPECTED" ] || die "$EXPECTED is missing"
TOKEN="conformance-$$-$RANDOM$RANDOM"
RUN="$LOGS/conformance-$$"
SCIMFORM_DEV_TOKEN="$TOKEN" "$BIN" dev-server --listen 127.0.0.1:0 --seed 1 "$@" \
    >"$RUN.stdout" 2>"$RUN.stderr" &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true' EXIT
URL=""
for _ in $(seq 1 100); do
    URL="$(head -n 1 "$RUN.stdout" 2>/dev/null || true)"
    [ -n "$URL" ] && break
    kill -0 "$SERVER" 2>/dev/null || die "the dev-server exited: $(cat "$RUN.stderr")"
    sleep 0.1
done
case "$URL" in
    http://127.0.0.1:*) ;;
    *) die "the dev-server did not print its base URL within 10 s: $(cat "$RUN.stderr")" ;;
esac
say "scim2-tester $TESTER_VERSION against $BIN dev-server $* at $URL"

# 3. The checks.
SCIM_URL="$URL" SCIM_TOKEN="$TOKEN" EXPECTED="$EXPECTED" "$VENV/bin/python" - <<'PY'
import os
import sys

import httpx2
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_tester import Status, check_server

PASS = {Status.SUCCESS, Status.COMPLIANT, Status.ACCEPTABLE}
SKIP = {Status.SKIPPED}


def expected_entries(path):
    """Lines `ResourceType | check | text in the tester's reason | RFC reason`."""
    entries = []
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            parts = [p.strip() for p in line.split("|")]
            if len(parts) != 4 or not all(parts):
                sys.exit(f"{path}:{number}: expected 'ResourceType | check | reason text | RFC reason'")
            entries.append({"line": number, "resource": parts[0], "check": parts[1],
                            "text": parts[2], "why": parts[3], "seen": False})
    return entries


entries = expected_entries(os.environ["EXPECTED"])
http = httpx2.Client(
    base_url=os.environ["SCIM_URL"],
    headers={"Authorization": f"Bearer {os.environ['SCIM_TOKEN']}",
             "User-Agent": "scimform-conformance"},
    timeout=30,
)
results = check_server(SyncSCIMClient(http))
if not results:
    sys.exit("conformance: scim2-tester ran no check")

counts = {}
unexpected, expected = [], []
for r in results:
    counts[r.status.name] = counts.get(r.status.name, 0) + 1
    if r.status in PASS or r.status in SKIP:
        continue
    reason = " ".join((r.reason or "").split())
    match = next((e for e in entries
                  if e["resource"] == (r.resource_type or "-") and e["check"] == r.title
                  and e["text"] in reason), None)
    line = f"{r.status.name} {r.resource_type or '-'} {r.title}: {reason[:400]}"
    if match:
        match["seen"] = True
        expected.append(f"{line}\n      expected ({os.path.basename(os.environ['EXPECTED'])}:{match['line']}): {match['why']}")
    else:
        unexpected.append(line)

stale = [e for e in entries if not e["seen"]]
print("conformance: results by status: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items())))
for line in expected:
    print(f"  expected failure: {line}")
for line in unexpected:
    print(f"  UNEXPECTED FAILURE: {line}")
for e in stale:
    print(f"  STALE ENTRY (no longer fails; remove it): line {e['line']}: "
          f"{e['resource']} | {e['check']} | {e['text']}")
passed = sum(counts.get(s.name, 0) for s in PASS)
skipped = sum(counts.get(s.name, 0) for s in SKIP)
print(f"conformance: {len(results)} checks: {passed} passed, {len(expected)} expected failures, "
      f"{len(unexpected)} unexpected failures, {len(stale)} stale expectations, {skipped} skipped")
sys.exit(1 if unexpected or stale else 0)
PY
