"""Suite-wide defaults, in one place so that a reader finds them without searching."""

import os
from pathlib import Path

#: Bumped whenever the layout of a record file changes in a way a reader must know about.
RECORD_SCHEMA_VERSION = 2
#: The versions a reader accepts: a stored run stays evidence after the layout moves on.
#: 1 differs from 2 only by ``source_hash`` (a sha256 of the benchmark's module, which ``code_version``
#: replaced), a field nothing reads.
READABLE_RECORD_SCHEMA_VERSIONS = (1, 2)

TIERS = ("full", "quick", "smoke")
DEFAULT_TIER = "full"
#: Seeds per benchmark when the user does not say: enough for a mean and a spread.
DEFAULT_SEEDS = 3
#: Upper limits of numeric options: far above any real use, low enough to catch a typo before it
#: plans a billion jobs or a timeout that never fires.
MAX_SEEDS = 1000
MAX_TIMEOUT_S = 7 * 86400
MAX_WORKERS = 256
PLACEMENTS = ("cpu", "gpu", "gpu-required")
DEVICES = ("auto", "cpu", "gpu")
#: The Keras backend of a run when ``--backend`` is not given, and of every record that predates the option.
DEFAULT_BACKEND = "tensorflow"

#: The project checkout (the folder holding ``benchmarks/`` and ``suite/``).
PROJECT_ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS_DIR = PROJECT_ROOT / "benchmarks"


def baselines_dir() -> Path:
    """Committed regression baselines; ``SUITE_BASELINES_DIR`` points elsewhere (tests)."""
    return Path(os.environ.get("SUITE_BASELINES_DIR", PROJECT_ROOT / "baselines"))

#: Where the source documents quoted by the benchmarks live.
SEEDS_DIR = Path(os.environ.get("SUITE_SEEDS_DIR", PROJECT_ROOT / "sources"))


def reports_dir() -> Path:
    """Run records and HTML reports; ``SUITE_REPORTS_DIR`` moves them (tests use a temp dir)."""
    return Path(os.environ.get("SUITE_REPORTS_DIR", PROJECT_ROOT / "reports"))


def cache_dir() -> Path:
    """Datasets cache; ``SUITE_CACHE_DIR`` moves it."""
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "keras-repro"
    return Path(os.environ.get("SUITE_CACHE_DIR", default))
