"""The published JSON Schema of a job record, and the check that names the file and the field.

Other programs read the records directly; ``record.schema.json`` tells them what a
record holds, and ``validate_record`` holds the suite to it. Readers call it after
parsing a record, so a record that does not conform is reported as "this file, this
field, this problem" instead of failing somewhere later with a KeyError.
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


def nonconforming(run_path: Path) -> list[RecordSchemaError]:
    """One error per record of the run that parses, has this suite's ``schema_version`` and does not conform,
    each saying what to do about it. Records that do not parse or carry another version are left to the
    record reader, which names them."""
    from suite.constants import RECORD_SCHEMA_VERSION

    errors = []
    for path in sorted((Path(run_path) / "records").glob("*.json")):
        try:
            record = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if not isinstance(record, dict) or record.get("schema_version") != RECORD_SCHEMA_VERSION:
            continue
        try:
            validate_record(record, path, remedy(run_path))
        except RecordSchemaError as error:
            errors.append(error)
    return errors


def load_conforming(run_path: Path) -> list[dict]:
    """Every record of the run, read and validated; raises ``RecordSchemaError`` naming the first file and
    field that does not conform, or ``ValueError`` naming a file that cannot be read, for commands whose
    output must not silently miss a job."""
    from suite import results

    records = []
    for path in sorted((Path(run_path) / "records").glob("*.json")):
        try:
            record = results.read_record(path)
        except ValueError as error:
            raise ValueError(f"record {path} cannot be read ({error}); {remedy(run_path)}") from None
        records.append(validate_record(record, path, remedy(run_path)))
    return records


def remedy(run_path: Path) -> str:
    """What to do about a bad record: it is one job's result, so recording that job again replaces it."""
    return f"delete it and record that job again with `python -m suite run --resume {Path(run_path).name}`"
