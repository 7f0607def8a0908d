#!/usr/bin/env bash
# Builds FerretDB (a MongoDB-compatible server on SQLite) into .tools/ferretdb, and starts it for
# tests. Usage: scripts/ferretdb.sh build | scripts/ferretdb.sh start PORT [DATA_DIR]
set -euo pipefail

VERSION="v1.24.2"
REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN="${FERRETDB_BIN:-$REPO_DIR/.tools/ferretdb}"

build() {
  if [[ -x "$BIN" ]]; then
    return 0
  fi
  command -v go >/dev/null || { echo "ferretdb.sh: go is not on PATH" >&2; exit 1; }
  # `go install …@v1.24.2` builds a binary that panics at start: the module ships an empty
  # build/version/version.txt. Build from a copy of the module source with the file filled in.
  local dir work
  dir="$(go mod download -json "github.com/FerretDB/FerretDB@$VERSION" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || { echo "ferretdb.sh: module download failed" >&2; exit 1; }
  work="$(mktemp -d)"
  # Not a RETURN trap: bash keeps one for every later function's return (start's too), where
  # `work` is gone and `set -u` ends the script after FerretDB started.
  local status=0
  cp -R "$dir/." "$work/src" &&
    chmod -R u+w "$work/src" &&
    echo "$VERSION" >"$work/src/build/version/version.txt" &&
    mkdir -p "$(dirname "$BIN")" &&
    (cd "$work/src" && GOFLAGS=-buildvcs=false go build -o "$BIN" ./cmd/ferretdb) || status=$?
  rm -rf "$work"
  [[ $status -eq 0 ]] || { echo "ferretdb.sh: build failed" >&2; exit "$status"; }
  echo "ferretdb.sh: built $BIN" >&2
}

# Starts FerretDB in the background on 127.0.0.1:PORT and waits until the port answers; prints
# the process id.
start() {
  local port="${1:?usage: ferretdb.sh start PORT [DATA_DIR]}"
  local data="${2:-$(mktemp -d)/ferretdb}"
  build
  mkdir -p "$data"
  "$BIN" --listen-addr="127.0.0.1:$port" --handler=sqlite --sqlite-url="file:$data/" \
    --state-dir="$data" --debug-addr=- --telemetry=disable --log-level=warn \
    >"$data/ferretdb.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "$pid"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "ferretdb.sh: FerretDB did not start on port $port (log: $data/ferretdb.log)" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
}

case "${1:-}" in
  build) build ;;
  start) shift; start "$@" ;;
  *) echo "usage: ferretdb.sh build | start PORT [DATA_DIR]" >&2; exit 2 ;;
esac
