"""Controller-side fleet audit: image lists, specs resolved once per run, deduplicated evaluation, fleet results.

Shared by the Ansible collection's action plugins (fleetcompat.audit.image_specs / image_compat / fleet_report)
and the `fleetcompat audit` command.
"""
