#!/usr/bin/env bash
# Set up everything the tests need (venv, pinned tools, system packages) and run the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --test
export PATH="$PWD/.venv/bin:$PATH"
ruff check src tests bench collections
ansible-lint --nocolor -q  # the root .ansible-lint: playbooks, inventories, roles, molecule scenarios
set +e
python -m pytest "$@"
rc=$?
set -e
# pytest exit 5 = no tests collected: that is a failure of the suite, not a pass.
[ "$rc" -eq 5 ] && { echo "test.sh: pytest collected no tests" >&2; exit 1; }
exit "$rc"
