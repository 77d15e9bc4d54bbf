#!/usr/bin/env bash
# Idempotent setup of the third-party SCIM servers used by the interop tests.
#
# Creates a Python venv at $REPO/.interop/venv (git-ignored) and installs
# scim2-server==0.8.3 from PyPI into it, unless it is already there at that
# version. Safe to run concurrently: a flock on .interop/setup.lock serialises
# runs, so parallel test processes never race on the venv.
#
# Environment:
#   PYTHON   python interpreter used to create the venv (default: python3)
set -euo pipefail

SCIM2_SERVER_VERSION="0.8.3"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INTEROP="$REPO/.interop"
VENV="$INTEROP/venv"
PY="${PYTHON:-python3}"

die() {
    echo "interop-setup: ERROR: $*" >&2
    exit 1
}
say() {
    echo "interop-setup: $*"
}

mkdir -p "$INTEROP" "$INTEROP/logs" || die "cannot create $INTEROP"

# Serialise concurrent runs (several test binaries may start at once).
exec 9>"$INTEROP/setup.lock" || die "cannot open $INTEROP/setup.lock"
if command -v flock >/dev/null 2>&1; then
    flock -w 600 9 || die "timed out after 600 s waiting for $INTEROP/setup.lock"
else
    say "warning: flock not found; concurrent runs are not serialised"
fi

installed_version() {
    "$VENV/bin/python" - <<'PY' 2>/dev/null
import importlib.metadata as m
print(m.version("scim2-server"))
PY
}

# 1. The venv. A venv whose python no longer runs (e.g. the interpreter it was
#    made from went away) is rebuilt.
if [ -x "$VENV/bin/python" ] && "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "venv present at $VENV"
else
    if [ -e "$VENV" ]; then
        say "venv at $VENV is broken; recreating it"
        rm -rf "$VENV"
    fi
    command -v "$PY" >/dev/null 2>&1 || die "'$PY' not found; install Python 3.10+ (or set PYTHON=...)"
    say "creating venv at $VENV with $("$PY" --version 2>&1)"
    "$PY" -m venv "$VENV" || die "'$PY -m venv $VENV' failed (on Debian: apt-get install python3-venv)"
fi

# 2. scim2-server at the pinned version.
have="$(installed_version || true)"
if [ "$have" = "$SCIM2_SERVER_VERSION" ] && [ -x "$VENV/bin/scim2-server" ]; then
    say "scim2-server $have already installed; nothing to do"
else
    if [ -n "$have" ]; then
        say "scim2-server $have installed, want $SCIM2_SERVER_VERSION; reinstalling"
    else
        say "installing scim2-server==$SCIM2_SERVER_VERSION from PyPI"
    fi
    "$VENV/bin/python" -m pip install --disable-pip-version-check --no-input -q \
        "scim2-server==$SCIM2_SERVER_VERSION" \
        || die "pip install scim2-server==$SCIM2_SERVER_VERSION failed (is PyPI reachable? if the venv is damaged, rm -rf $VENV and rerun)"
    have="$(installed_version || true)"
    [ "$have" = "$SCIM2_SERVER_VERSION" ] \
        || die "after install, scim2-server version is '${have:-missing}', expected $SCIM2_SERVER_VERSION"
    [ -x "$VENV/bin/scim2-server" ] || die "$VENV/bin/scim2-server missing after install"
    say "installed scim2-server $have"
fi

say "ready: $VENV/bin/scim2-server"
