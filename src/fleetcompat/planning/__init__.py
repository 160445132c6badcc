"""Planning before a change: what-if upgrades (`fleetcompat whatif`) and draft remediation playbooks
(`fleetcompat remediate`)."""
