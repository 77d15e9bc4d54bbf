#!/usr/bin/env bash
# Idempotent setup of the third-party SCIM servers used by the interop tests.
#
#   scripts/interop-setup.sh [all|scim2-server|scimmy]      (default: all)
#
# scim2-server: creates a Python venv at $REPO/.interop/venv (git-ignored) and installs
# scim2-server==0.8.3 from PyPI into it, unless it is already there at that version.
#
# scimmy: runs `npm ci` in tests/interop/scimmy-server (scimmy 1.3.5, scimmy-routers 1.3.2
# and express 4, exactly as its committed package-lock.json says), unless node_modules
# already matches that lock file (a stamp written after a successful install records the
# lock file's checksum; the pinned packages' versions are checked too).
#
# Safe to run concurrently: a flock on .interop/setup.lock serialises runs, so parallel
# test processes never race on the venv or on node_modules.
#
# Environment:
#   PYTHON   python interpreter used to create the venv (default: python3)
#   NODE     node binary (default: node); npm must be on PATH
set -euo pipefail

SCIM2_SERVER_VERSION="0.8.3"
# The versions tests/interop/scimmy-server/package.json pins (checked after npm ci).
SCIMMY_VERSION="1.3.5"
SCIMMY_ROUTERS_VERSION="1.3.2"

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
INTEROP="$REPO/.interop"
VENV="$INTEROP/venv"
PY="${PYTHON:-python3}"
NODE_BIN="${NODE:-node}"
SCIMMY_DIR="$REPO/tests/interop/scimmy-server"

WHAT="${1:-all}"
case "$WHAT" in
    all | scim2-server | scimmy) ;;
    *)
        echo "usage: $0 [all|scim2-server|scimmy]" >&2
        exit 2
        ;;
esac

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

setup_scim2_server() {
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
}

setup_scimmy() {
    command -v "$NODE_BIN" >/dev/null 2>&1 || die "'$NODE_BIN' not found; install Node.js 18+ (or set NODE=...)"
    command -v npm >/dev/null 2>&1 || die "npm not found; install npm (it comes with Node.js)"
    local major
    major="$("$NODE_BIN" -p 'process.versions.node.split(".")[0]' 2>/dev/null)" \
        || die "'$NODE_BIN' does not run"
    [ "$major" -ge 18 ] 2>/dev/null || die "Node.js 18+ is needed, '$NODE_BIN' is $("$NODE_BIN" --version)"
    [ -f "$SCIMMY_DIR/package-lock.json" ] || die "$SCIMMY_DIR/package-lock.json is missing"

    local stamp="$SCIMMY_DIR/node_modules/.scimform-setup-stamp"
    local want
    want="$(cat "$SCIMMY_DIR/package.json" "$SCIMMY_DIR/package-lock.json" | cksum)"
    # The installed version of package $1, or nothing.
    installed() {
        "$NODE_BIN" -e 'try { console.log(require(process.argv[1]).version) } catch {}' \
            "$SCIMMY_DIR/node_modules/$1/package.json" 2>/dev/null
    }
    versions_ok() {
        [ "$(installed scimmy)" = "$SCIMMY_VERSION" ] \
            && [ "$(installed scimmy-routers)" = "$SCIMMY_ROUTERS_VERSION" ] \
            && case "$(installed express)" in 4.*) true ;; *) false ;; esac
    }

    if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && versions_ok; then
        say "scimmy $SCIMMY_VERSION, scimmy-routers $SCIMMY_ROUTERS_VERSION, express $(installed express) already installed; nothing to do"
    else
        say "installing the scimmy server's packages with npm ci in $SCIMMY_DIR (npm $(npm --version), node $("$NODE_BIN" --version))"
        rm -f "$stamp"
        (cd "$SCIMMY_DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) \
            || die "npm ci in $SCIMMY_DIR failed (is the npm registry reachable? to start over: rm -rf $SCIMMY_DIR/node_modules)"
        versions_ok || die "after npm ci: scimmy '$(installed scimmy)', scimmy-routers '$(installed scimmy-routers)', express '$(installed express)'; expected $SCIMMY_VERSION, $SCIMMY_ROUTERS_VERSION, 4.x"
        echo "$want" >"$stamp" || die "cannot write $stamp"
        say "installed scimmy $SCIMMY_VERSION, scimmy-routers $SCIMMY_ROUTERS_VERSION, express $(installed express)"
    fi
    say "ready: $NODE_BIN $SCIMMY_DIR/server.js"
}

case "$WHAT" in
    all)
        setup_scim2_server
        setup_scimmy
        ;;
    scim2-server) setup_scim2_server ;;
    scimmy) setup_scimmy ;;
esac
