"""The documented experiments, one module per source document; see ``sources/experiments.md``."""
