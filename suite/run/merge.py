"""``suite merge RUN... --into RUN``: combine the record folders of shards (or of any runs of one plan).

Each RUN is a run id or a run folder's path, so shards made on other machines and copied here can
be merged. Runs are refused (one line, exit 2) when they cannot describe one experiment: another
tier, another determinism mode, another Keras backend, or a benchmark whose records come from different benchmark code
(``code_version``). A job recorded in two runs keeps its first record; when the two trained
weights differ (``weights_sha256``) the merge says so, because on one stack with one seed they
should not: exit 1, and the manifest lists them.
"""

from __future__ import annotations

import json
from pathlib import Path

from suite import constants, files
from suite.records import layout, reading, run_files


class Unmergeable(ValueError):
    pass


def merge(sources: list[Path], target: Path) -> dict:
    """Copy every record of ``sources`` into ``target`` (created when missing); returns what happened.

    What happened: records ``copied``, records ``already`` there, ``conflicts`` (a job recorded twice
    with other weights) and ``warnings`` (records of the sources that could not be read).
    """
    manifests = {path: run_files.read_run_manifest(path) for path in sources}
    if layout.records_dir(target).is_dir():
        manifests[target] = run_files.read_run_manifest(target)
    _refuse_mixed_runs(manifests)
    scans = {path: reading.scan_records(path) for path in manifests}
    _refuse_mixed_code(scans)
    warnings = [warning for scan in scans.values() for warning in scan.warnings()]

    layout.records_dir(target).mkdir(parents=True, exist_ok=True)
    copied, already, conflicts = 0, 0, []
    for source in sources:
        if source.resolve() == target.resolve():
            continue
        for record in scans[source].records:
            outcome = _copy_record(record, target)
            if outcome == "copied":
                copied += 1
                continue
            already += 1
            kept = reading.read_record(layout.record_path(target, record["benchmark"], record["tier"],
                                                          record["seed"]))
            if (kept.get("weights_sha256") or "") != (record.get("weights_sha256") or ""):
                conflicts.append(f"seed {record['seed']} of {record['benchmark']} is recorded twice with different "
                                 f"weights (kept {str(kept.get('weights_sha256'))[:12]} from {kept.get('run_id')}, "
                                 f"dropped {str(record.get('weights_sha256'))[:12]} from {record.get('run_id')})")
    _write_manifest(target, sources, manifests, conflicts)
    return {"copied": copied, "already": already, "conflicts": conflicts, "warnings": warnings}


def _refuse_mixed_runs(manifests: dict[Path, dict]) -> None:
    defaults = {"deterministic": True, "backend": constants.DEFAULT_BACKEND}
    for key, what in (("tier", "tiers"), ("deterministic", "determinism modes"), ("backend", "backends")):
        values = {path: manifests[path].get(key, defaults.get(key)) for path in manifests}
        if len(set(values.values())) > 1:
            listed = ", ".join(f"{path.name}: {value}" for path, value in values.items())
            raise Unmergeable(f"cannot merge runs of different {what} ({listed}); their verdicts would mix "
                              "experiments")


def _refuse_mixed_code(scans: dict[Path, reading.RecordScan]) -> None:
    versions: dict[str, dict[str, str]] = {}
    for path, scan in scans.items():
        for record in scan.records:
            versions.setdefault(record["benchmark"], {}).setdefault(record.get("code_version") or "unknown",
                                                                    path.name)
    for benchmark, seen in versions.items():
        if len(seen) > 1:
            listed = ", ".join(f"{version} in {run}" for version, run in seen.items())
            raise Unmergeable(f"cannot merge: {benchmark} was run from different benchmark code ({listed}); "
                              "rerun the older run with today's code")


def _copy_record(record: dict, target: Path) -> str:
    """Publish one record (and its artefacts) into ``target`` once: "copied", or "exists"."""
    destination = layout.record_path(target, record["benchmark"], record["tier"], record["seed"])
    if destination.exists():
        return "exists"
    source_path = Path(record["record_path"])
    stored = json.loads(source_path.read_text())
    artefacts = stored.get("artefacts_file")
    if artefacts and (source_path.parent / artefacts).exists():
        payload = (source_path.parent / artefacts).read_bytes()
        if not files.publish_once(layout.records_dir(target) / artefacts, payload):
            if (layout.records_dir(target) / artefacts).read_bytes() != payload:
                import secrets

                artefacts = f"{destination.stem}.{secrets.token_hex(4)}.npz"
                files.publish_once(layout.records_dir(target) / artefacts, payload)
                stored["artefacts_file"] = artefacts
    payload = json.dumps(stored, indent=1).encode() if stored.get("artefacts_file") != record.get(
        "artefacts_file") else source_path.read_bytes()
    return "copied" if files.publish_once(destination, payload) else "exists"


def _write_manifest(target: Path, sources: list[Path], manifests: dict[Path, dict], conflicts: list[str]) -> None:
    first = manifests[sources[0]]

    def combine(manifest: dict) -> None:
        names = list(manifest.get("benchmarks") or [])
        for path in [target, *sources]:
            for name in manifests.get(path, {}).get("benchmarks") or []:
                if name not in names:
                    names.append(name)
        manifest.setdefault("run_id", target.name)
        for key in ("tier", "device", "deterministic"):
            manifest.setdefault(key, first.get(key))
        manifest.setdefault("backend", first.get("backend", constants.DEFAULT_BACKEND))
        manifest.setdefault("started_at", run_files.utc_now())
        manifest["benchmarks"] = names
        manifest["seeds"] = max(int(m.get("seeds", constants.DEFAULT_SEEDS)) for m in manifests.values())
        manifest.setdefault("merged_from", []).extend(
            {"run": str(path), "shard": manifests[path].get("shard"), "at": run_files.utc_now()}
            for path in sources if path.resolve() != target.resolve())
        if conflicts:
            manifest.setdefault("merge_conflicts", []).extend(conflicts)

    run_files.update_run_manifest(target, combine)
    if not (target / layout.FINISHED_FILE).exists():
        finished = [manifests[path] for path in sources if "finished_at" in manifests[path]]
        run_files.write_run_manifest(target, {
            "finished_at": run_files.utc_now(),
            "environment": next((m.get("environment") for m in finished if m.get("environment")), {}),
            "wall_s": max((float(m.get("wall_s", 0.0)) for m in finished), default=0.0),
        }, name=layout.FINISHED_FILE)


__all__ = ["merge", "Unmergeable"]
