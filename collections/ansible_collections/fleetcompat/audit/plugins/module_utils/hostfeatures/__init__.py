"""Host feature gathering in Node Feature Discovery's model, stdlib-only (Python 3.9+).

Imported as Ansible module_utils (ansible_collections.fleetcompat.audit.plugins.module_utils.hostfeatures)
and as `fleetcompat.hostfeatures`; modules inside use relative imports only.
"""

from .collect import SOURCE_NAMES, SourceSelectionError, dumps, gather, parse_sources
from .summary import summarize

__all__ = ["SOURCE_NAMES", "SourceSelectionError", "dumps", "gather", "parse_sources", "summarize"]
