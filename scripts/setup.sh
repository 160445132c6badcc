#!/usr/bin/env bash
# Create .venv with a Python >= 3.12 and the pinned dependencies; idempotent.
# Usage: scripts/setup.sh [--test]   (--test also installs test tools and the system packages tests start)
set -euo pipefail
cd "$(dirname "$0")/.."
want_test=0
[ "${1:-}" = "--test" ] && want_test=1

find_python() {
  local candidate
  for candidate in "${FLEETCOMPAT_PYTHON:-}" python3.13 python3.12 python3; do
    [ -n "$candidate" ] || continue
    if command -v "$candidate" >/dev/null 2>&1 &&
       "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' 2>/dev/null; then
      command -v "$candidate"; return 0
    fi
  done
  # pyenv installs that are not on PATH (the shims only expose the global version)
  local root="${PYENV_ROOT:-$HOME/.pyenv}"
  for candidate in "$root"/versions/3.1[2-9]*/bin/python3 /usr/bin/python3.1[2-9] /usr/local/bin/python3.1[2-9]; do
    [ -x "$candidate" ] && "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' \
      2>/dev/null && { echo "$candidate"; return 0; }
  done
  return 1
}

if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'; then
  if ! py=$(find_python); then
    echo "fleetcompat needs Python >= 3.12 on the controller (ansible-core 2.21 requires it)." >&2
    echo "Install one (e.g. 'pyenv install 3.12' or 'apt-get install python3.12') or set FLEETCOMPAT_PYTHON." >&2
    exit 2
  fi
  echo "setup: creating .venv with $py"
  rm -rf .venv
  "$py" -m venv .venv
  .venv/bin/python -m pip install -q --upgrade pip >/dev/null
fi

req=requirements/controller.txt
[ "$want_test" = 1 ] && req=requirements/test.txt
stamp=".venv/.installed-$(cat requirements/*.txt pyproject.toml | sha256sum | cut -c1-16)-$want_test"
if [ ! -e "$stamp" ]; then
  echo "setup: installing $req"
  log=.venv/setup.log
  if ! { .venv/bin/python -m pip install -q -r "$req" && .venv/bin/python -m pip install -q --no-deps -e .; } \
      >"$log" 2>&1; then
    cat "$log" >&2
    echo "setup: pip install failed (log above, also in $log)" >&2
    exit 2
  fi
  .venv/bin/python -c 'import fleetcompat, re2, yaml, tabulate' # fail loudly if the install did not work
  rm -f .venv/.installed-*
  touch "$stamp"
fi

if [ "$want_test" = 1 ]; then
  # System packages the tests start for real: an OCI registry, sshd hosts, a headless browser, netns tooling,
  # a PostgreSQL server (the history store tests run initdb and pg_ctl themselves).
  apt_packages=(docker-registry openssh-server chromium iproute2 postgresql)
  missing=()
  for pkg in "${apt_packages[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    echo "setup: apt-get install ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
fi
