#!/usr/bin/env bash
# Set up and run the main job on embedded defaults: audit this machine (inventories/local, localhost) with
# Ansible against the example specs in examples/specs/ and write reports/ (fleet-result.json, fleet-report.html,
# fleet-junit.xml). No registry and no other host is needed. Extra arguments go to ansible-playbook.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export ANSIBLE_CONFIG="$PWD/ansible.cfg"
.venv/bin/ansible-playbook playbooks/audit.yml "$@"
echo "run.sh: open reports/fleet-report.html; summary: .venv/bin/fleetcompat report reports/fleet-result.json"
