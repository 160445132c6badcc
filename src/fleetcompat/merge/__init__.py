"""Combining fleet results of several runs (AWX job slices, sites, controllers) into one: `fleetcompat merge`."""
