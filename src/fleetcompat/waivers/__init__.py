"""Waivers: accepted incompatibilities with an owner and an expiry date (`--waivers FILE`, `fleetcompat waivers
check`, the Ansible role variable `fleetcompat_waivers`). `model` reads a waivers file, `apply` marks the cells
of a fleet result, `check` lints a file against a result's images and the calendar."""
