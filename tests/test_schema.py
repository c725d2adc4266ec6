"""The published record schema: a valid JSON Schema, in step with the suite, naming the field that is wrong."""

from __future__ import annotations

import json

import jsonschema
import pytest

from suite import schema
from suite.constants import READABLE_RECORD_SCHEMA_VERSIONS, RECORD_SCHEMA_VERSION
from tests.test_results import make_record


def test_the_schema_is_a_valid_json_schema_of_this_record_version():
    published = json.loads(schema.RECORD_SCHEMA_PATH.read_text())
    jsonschema.validators.validator_for(published).check_schema(published)
    assert published["properties"]["schema_version"]["enum"] == list(READABLE_RECORD_SCHEMA_VERSIONS)
    assert RECORD_SCHEMA_VERSION == max(READABLE_RECORD_SCHEMA_VERSIONS)
    assert str(RECORD_SCHEMA_VERSION) in published["title"]


def test_a_written_record_conforms_and_non_finite_metrics_are_numbers(tmp_path):
    from suite.records import publish, reading

    path = publish.write_record(tmp_path / "run", make_record(metrics={"final_loss": float("inf")}))
    assert schema.validate_record(reading.read_record(path), path)["metrics"]["final_loss"] == float("inf")


@pytest.mark.parametrize(
    ("change", "field", "problem"),
    [
        (lambda r: r["metrics"].update(test_accuracy="high"), "metrics.test_accuracy", "is not of type 'number'"),
        (lambda r: r.pop("seed"), "seed", "missing (required)"),
        (lambda r: r.update(status="finished"), "status", "is not one of"),
        (lambda r: r["environment"].update(cpu_count="two"), "environment.cpu_count", "is not of type 'integer'"),
        (lambda r: r.update(schema_version=3), "schema_version", "3 is not one of [1, 2]"),
    ],
    ids=["metric", "missing", "status", "nested", "version"],
)
def test_a_record_that_does_not_conform_names_the_file_and_the_field(change, field, problem):
    record = {"schema_version": RECORD_SCHEMA_VERSION, **make_record()}
    change(record)
    with pytest.raises(schema.RecordSchemaError) as raised:
        schema.validate_record(record, "runs/x/records/b__smoke__s1.json")
    message = str(raised.value)
    assert raised.value.field == field and problem in raised.value.problem
    assert message.startswith("record runs/x/records/b__smoke__s1.json does not conform to record.schema.json: "
                              f"field {field!r}: ")
    assert "\n" not in message


@pytest.mark.damaged_records
def test_the_record_reader_treats_a_record_that_does_not_conform_as_damaged(tmp_path):
    from suite.records import publish, reading

    path = publish.write_record(tmp_path / "run", make_record(metrics={"test_accuracy": "high"}))
    with pytest.raises(reading.DamagedRecord, match="field 'metrics.test_accuracy': 'high' is not of type"):
        reading.read_record(path)
    assert [p.path for p in reading.scan_records(tmp_path / "run").damaged] == [path]
