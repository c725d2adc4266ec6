"""The registry contract: explicit registration, loud duplicates, validated declarations."""

from __future__ import annotations

import pytest

from suite import Benchmark, Settings, Source, registry

SOURCE = Source("002_1cdcc223183fcc73.txt", "test")


def _class(name, **attributes):
    return type(name, (Benchmark,), {"name": "test_registry_" + name.lower(), "source": SOURCE, **attributes})


def test_a_duplicate_name_raises_naming_both_classes():
    first = _class("First")
    second = type("Second", (Benchmark,), {"name": first.name, "source": SOURCE})
    registry.register(first)
    try:
        with pytest.raises(ValueError) as raised:
            registry.register(second)
        message = str(raised.value)
        assert "First" in message and "Second" in message and first.name in message
    finally:
        registry.unregister(first.name)


def test_declarations_are_checked_when_registering():
    with pytest.raises(ValueError, match="placement"):
        registry.register(_class("BadPlacement", placement="tpu"))
    with pytest.raises(ValueError, match="Source"):
        registry.register(type("NoSource", (Benchmark,), {"name": "test_registry_nosource"}))
    with pytest.raises(ValueError, match="unknown tiers"):
        registry.register(_class("BadTier", tiers={"medium": {}}))
    with pytest.raises(TypeError):
        registry.register(object)


def test_tiers_override_the_documented_settings():
    benchmark = _class("Tiers", settings=Settings(epochs=5, batch_size=128), tiers={"quick": {"epochs": 2}})()
    assert benchmark.settings_for("full").epochs == 5
    assert benchmark.settings_for("quick").epochs == 2
    assert benchmark.settings_for("quick").batch_size == 128
    assert benchmark.settings_for("smoke").epochs == 5  # no smoke override declared
    with pytest.raises(ValueError, match="unknown tier 'medium'"):
        benchmark.settings_for("medium")


def test_settings_are_immutable():
    settings = Settings(epochs=1)
    with pytest.raises(AttributeError):
        settings.epochs = 2
    with pytest.raises(AttributeError, match="not defined"):
        _ = settings.batch_size


def test_discover_finds_the_documented_benchmark_and_get_rejects_a_misspelling():
    known = registry.discover()
    assert "dlwp_dense512" in known
    with pytest.raises(ValueError, match="unknown benchmark 'dlwp_dense51'.*dlwp_dense512"):
        registry.get("dlwp_dense51")


def test_a_name_that_cannot_name_a_file_is_refused():
    with pytest.raises(ValueError, match="lower-case letters"):
        registry.register(type("Slash", (Benchmark,), {"name": "a/b", "source": SOURCE}))
    with pytest.raises(ValueError, match="lower-case letters"):
        registry.register(type("Empty", (Benchmark,), {"name": "", "source": SOURCE}))
