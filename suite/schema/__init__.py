"""The published JSON Schema of a job record, and the check that names the file and the field.

Other programs read the records directly; ``record.schema.json`` tells them what a
record holds, and ``validate_record`` holds the suite to it. The record reader
(``suite.records.reading.read_record``) calls it after parsing, so a record that does not conform
is a damaged record named as "this file, this field, this problem" (and set aside by
``--resume``) instead of failing somewhere later with a KeyError.
"""

from __future__ import annotations

import functools
import json
from pathlib import Path

#: The schema file, shipped inside the package (``suite/schema/record.schema.json``).
RECORD_SCHEMA_PATH = Path(__file__).with_name("record.schema.json")


class RecordSchemaError(ValueError):
    """A record that does not conform; ``str()`` is one line naming the file, the field and the problem."""

    def __init__(self, path, field: str, problem: str, remedy: str = ""):
        self.path, self.field, self.problem = str(path), field, problem
        super().__init__(f"record {self.path} does not conform to {RECORD_SCHEMA_PATH.name}: "
                         f"field {field!r}: {problem}" + (f"; {remedy}" if remedy else ""))


@functools.lru_cache(maxsize=1)
def record_schema() -> dict:
    return json.loads(RECORD_SCHEMA_PATH.read_text(encoding="utf-8"))


@functools.lru_cache(maxsize=1)
def _validator():
    import jsonschema

    schema = record_schema()
    validator_class = jsonschema.validators.validator_for(schema)
    validator_class.check_schema(schema)
    return validator_class(schema)


def record_problems(record: dict) -> list[tuple[str, str]]:
    """Every ``(field, problem)`` of a parsed record, shallowest field first; empty when it conforms.

    ``record_path``, which readers add after parsing, is not part of the stored record and is ignored.
    """
    stored = {key: value for key, value in record.items() if key != "record_path"} if isinstance(record, dict) \
        else record
    problems = []
    for error in _validator().iter_errors(stored):
        field = ".".join(str(part) for part in error.absolute_path) or "(the record)"
        if error.validator == "required":
            missing = error.message.split("'")[1] if "'" in error.message else error.message
            field = f"{field}.{missing}" if error.absolute_path else missing
            problem = "missing (required)"
        else:
            problem = error.message
        problems.append((field, problem))
    return sorted(problems, key=lambda item: (item[0].count("."), item[0]))


def validate_record(record: dict, path, remedy: str = "") -> dict:
    """``record`` when it conforms to the schema; otherwise raise ``RecordSchemaError`` for its first problem
    (``remedy``, when given, is appended: what the user can do about it)."""
    problems = record_problems(record)
    if problems:
        field, problem = problems[0]
        more = f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""
        raise RecordSchemaError(path, field, problem + more, remedy)
    return record

