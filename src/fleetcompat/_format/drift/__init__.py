"""Drift renderers (`fleetcompat diff`): terminal, Markdown, JSON; each implements `interface.DriftFormat`."""
