"""A process's exclusive claim on one job of a run while it trains it, so no job trains twice at once.

Why in the run layer: a claim is about work in progress, not about what a run folder holds; it
lives in the run folder's ``locks/`` (``suite.records.layout.claim_path``) only so that every
process sharing the folder sees it.
"""

from __future__ import annotations

from pathlib import Path

from suite.records.layout import claim_path


class JobClaim:
    """An exclusive claim on one job of a run, held while a process trains it.

    Why: two processes resuming the same run (or shards sharing a folder) must not train the same
    job at once. The claim is an ``flock`` on ``locks/<job>.lock``: the kernel releases it when the
    holder exits for any reason, kill -9 included, so a dead claimant never blocks a job forever.
    """

    def __init__(self, run_path: Path, benchmark: str, tier: str, seed: int):
        import fcntl

        self._fcntl = fcntl
        self.path = claim_path(run_path, benchmark, tier, seed)
        self.path.parent.mkdir(exist_ok=True)
        self._handle = open(self.path, "a")  # noqa: SIM115 (held open for as long as the claim lasts)

    def try_acquire(self) -> bool:
        try:
            self._fcntl.flock(self._handle, self._fcntl.LOCK_EX | self._fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def wait(self) -> None:
        """Block until the process holding the claim has finished (or died)."""
        self._fcntl.flock(self._handle, self._fcntl.LOCK_EX)

    def release(self) -> None:
        if not self._handle.closed:
            self._handle.close()  # closing drops the flock
