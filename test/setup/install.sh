#!/usr/bin/env bash
# Installs what the tests need, idempotently and cached, then exits. `npm test` calls it first; .ci/run too.
#   - Debian packages listed in test/setup/apt.txt (apt-get; skipped when all are installed already)
#   - a Python virtual environment with every test/setup/requirements-*.txt (cached by their content's hash
#     under ~/.cache/streamlab/venv-HASH, linked from .streamlab/venv; pip's own cache makes a rebuild cheap)
#   - every Maven project under test/ (pom.xml): dependencies resolved into ~/.m2, the runtime classpath
#     written to target/classpath.txt beside the pom, and the project packaged when it has sources
#   - every Go module under test/ (go.mod): modules downloaded, binaries built into bin/ beside go.mod
# Prints one line per step. Set STREAMLAB_SKIP_INSTALL=1 to skip it all (a developer's fast loop).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
[ "${STREAMLAB_SKIP_INSTALL:-}" = 1 ] && { echo "test setup: skipped (STREAMLAB_SKIP_INSTALL=1)"; exit 0; }
cache="${STREAMLAB_CACHE:-$HOME/.cache/streamlab}"
mkdir -p "$cache"
# One install at a time on this machine (checkouts share the cache, apt and ~/.m2).
exec 9>"$cache/install.lock"
flock 9
log="$cache/install.log"
: > "$log"
fail() { echo "test setup: $1 failed; last lines of $log:"; tail -40 "$log"; exit 1; }

# 1. Debian packages
mapfile -t pkgs < <(grep -v '^\s*#' test/setup/apt.txt | tr -s ' \t' '\n' | grep -v '^$')
missing=()
for p in "${pkgs[@]}"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p"); done
if [ ${#missing[@]} -gt 0 ]; then
  echo "test setup: apt-get install ${missing[*]}"
  SUDO=""; [ "$(id -u)" = 0 ] || SUDO="sudo"
  export DEBIAN_FRONTEND=noninteractive
  { $SUDO apt-get update -qq && $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >>"$log" 2>&1 || fail "apt-get"
else
  echo "test setup: Debian packages present (${#pkgs[@]})"
fi

# 2. Python virtual environment
reqs=$(ls test/setup/requirements-*.txt 2>/dev/null | sort || true)
if [ -n "$reqs" ]; then
  hash=$(cat $reqs | sha256sum | cut -c1-16)
  venv="$cache/venv-$hash"
  if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/.complete" ]; then
    echo "test setup: Python venv $venv"
    rm -rf "$venv"
    python3 -m venv "$venv" >>"$log" 2>&1 || fail "python3 -m venv"
    "$venv/bin/pip" install -q --upgrade pip >>"$log" 2>&1 || fail "pip upgrade"
    args=(); for r in $reqs; do args+=(-r "$r"); done
    "$venv/bin/pip" install -q "${args[@]}" >>"$log" 2>&1 || fail "pip install"
    touch "$venv/.complete"
  else
    echo "test setup: Python venv present ($venv)"
  fi
  # This checkout's link to its venv (other checkouts may need other requirements, hence other venvs).
  mkdir -p .streamlab && ln -sfn "$venv" .streamlab/venv
fi

# 3. Maven projects (resolved into ~/.m2; nothing downloads at test time)
for pom in $(find test -name pom.xml -not -path '*/target/*' | sort); do
  dir=$(dirname "$pom")
  stamp="$dir/target/.resolved-$(sha256sum "$pom" $(find "$dir/src" -type f 2>/dev/null | sort) | sha256sum | cut -c1-16)"
  if [ -f "$stamp" ] && [ -f "$dir/target/classpath.txt" ]; then echo "test setup: Maven $dir present"; continue; fi
  echo "test setup: Maven $dir"
  goals="dependency:build-classpath"
  [ -d "$dir/src" ] && goals="package $goals"
  (cd "$dir" && mvn -B -q -DskipTests $goals -Dmdep.outputFile=target/classpath.txt -Dmdep.includeScope=runtime) >>"$log" 2>&1 || fail "mvn in $dir"
  rm -f "$dir"/target/.resolved-*; touch "$stamp"
done

# 4. Go modules
for mod in $(find test -name go.mod -not -path '*/bin/*' | sort); do
  dir=$(dirname "$mod")
  echo "test setup: Go $dir"
  (cd "$dir" && go mod download && go build -o bin/ ./...) >>"$log" 2>&1 || fail "go build in $dir"
done
echo "test setup: done"
