"""A compiled accept check for a JSON Schema, in front of `jsonschema`, which stays the judge of every document
it does not accept.

`jsonschema` walks the schema for every value of the document; for a fleet result's outcome table (hundreds of
failing-rule trees per part, repeated in every part of a merge) that is most of the time a load takes.
fastjsonschema compiles the schema into Python code once per process and checks a valid document many times
faster. It only ever answers "valid" for a document `jsonschema` finds valid: where the two differ here it is the
stricter one (a `$` in a pattern means end of string, not also before a final newline), so a document it rejects
goes to `jsonschema`, which then either words the error exactly as before or accepts it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


def compile_check(schema: dict[str, Any]) -> Callable[[Any], bool]:
    """A function telling whether a document is valid against `schema` (False: ask `jsonschema` why)."""
    import fastjsonschema

    # use_formats=False: jsonschema's validators without a format checker treat `format` as an annotation only.
    # use_default=False: never insert a schema's default values into the document being checked.
    validate = fastjsonschema.compile(schema, use_formats=False, use_default=False)

    def accepts(doc: Any) -> bool:
        try:
            validate(doc)
        except fastjsonschema.JsonSchemaValueException:
            return False
        return True

    return accepts
