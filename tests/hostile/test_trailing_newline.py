"""A name that ends in a newline is not a name. Python's `$` also matches before a final newline, so every
validator of a name that later lands in a playbook, a registry URL or a report anchors with `\\Z` (image
references and aliases are stripped of surrounding whitespace before they are checked: they come from files)."""

from __future__ import annotations

import pytest

from fleetcompat.planning.playbook import HOST_NAME
from fleetcompat.registry.errors import RegistryError
from fleetcompat.registry.reference import check_digest
from fleetcompat.results.fleet import FailingExpression, FailingTerm
from fleetcompat.results.remediation import MODULE_NAME, ActionKind, hint_for
from fleetcompat.spec.model import MatchExpression

DIGEST = "sha256:" + "a" * 64


def test_a_digest_with_a_trailing_newline_is_refused():
    assert check_digest(DIGEST) == DIGEST
    with pytest.raises(RegistryError):
        check_digest(DIGEST + "\n")


def _missing_module(name: str):
    expression = FailingExpression(name, MatchExpression("Exists"), None, False)
    return FailingTerm("kernel.loadedmodule", None, True, (expression,)), expression


def test_a_module_name_with_a_trailing_newline_gets_no_action():
    assert hint_for(*_missing_module("vfio_pci")).action.kind is ActionKind.LOAD_MODULE
    assert hint_for(*_missing_module("vfio_pci\n")).action is None
    assert not MODULE_NAME.match("vfio_pci\n")


def test_a_host_name_with_a_trailing_newline_is_no_playbook_host_pattern():
    assert HOST_NAME.match("web-1.example") and not HOST_NAME.match("web-1\n")
