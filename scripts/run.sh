#!/usr/bin/env bash
# Set up and run the main job on embedded defaults: validate the bundled example host against the bundled specs.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
rc=0
for spec in examples/specs/*.yaml; do
  .venv/bin/fleetcompat validate --spec "$spec" --features examples/features/xeon-sriov-node.json || rc=$?
done
exit "$rc"
