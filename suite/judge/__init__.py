"""The judge layer: references, verdicts, baselines and their calibration (what a record's numbers mean)."""
