"""Writing the site incrementally: a page is rendered only when its inputs changed, and written only when its bytes did.

Every file of the site is produced under a key: a hash of what it is made from (the plain data a
page shows, or a run's ``input_hash``) and of the code that makes pages (``CODE_HASH``). The keys of
the last publication are kept in the site's state folder; a file whose key is unchanged and that
still exists is neither rendered nor touched, so publishing again after one new run re-renders only
the pages that run appears on, and every other page stays byte for byte (and time stamp) the same.
Files of the last publication that this one no longer produces (a run left out) are removed.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path

from suite import files

#: The folder inside the site that holds the keys and the runs' summaries (no page reads it).
STATE_FOLDER = ".publish"
STATE_FILE = "state.json"


def _code_hash() -> str:
    """A hash of the code and templates that make pages: a new version of them re-renders every page."""
    digest = hashlib.sha256()
    root = Path(__file__).parent
    for path in sorted(root.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".j2", ".css", ".js"):
            digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:16]


CODE_HASH = _code_hash()


def key_of(data) -> str:
    """The key of a file made from ``data`` (plain JSON data) by this version of the code."""
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256((CODE_HASH + text).encode()).hexdigest()[:32]


class SiteOutput:
    """The site folder being written: which files were rendered, which were written, which kept."""

    def __init__(self, site: Path):
        self.site = site
        self.state_dir = site / STATE_FOLDER
        try:
            kept = json.loads((self.state_dir / STATE_FILE).read_text(encoding="utf-8"))
            self.previous: dict[str, str] = dict(kept.get("files") or {})
        except (OSError, ValueError, AttributeError):
            self.previous = {}
        self.current: dict[str, str] = {}
        self.rendered: list[str] = []
        self.written: list[str] = []

    def produce(self, relative: str, key: str, make: Callable[[], bytes]) -> bool:
        """Make ``relative`` with ``make()`` unless the last publication made it under the same ``key``.

        Returns whether it was rendered. A rendering whose bytes equal the file's is not written.
        """
        if self._kept(relative, key):
            return False
        payload = make()
        self.rendered.append(relative)
        self._write(relative, payload)
        return True

    def copy(self, relative: str, key: str, source: Path) -> bool:
        """Copy ``source`` to ``relative`` unless the last publication copied it under the same ``key``."""
        if self._kept(relative, key):
            return False
        target = self.site / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)
        self.rendered.append(relative)
        self.written.append(relative)
        return True

    def _kept(self, relative: str, key: str) -> bool:
        """Whether ``relative`` stands as made under ``key`` (by the last publication, or earlier in this one)."""
        made_now = self.current.get(relative) == key
        self.current[relative] = key
        return made_now or (self.previous.get(relative) == key and (self.site / relative).is_file())

    def _write(self, relative: str, payload: bytes) -> None:
        target = self.site / relative
        try:
            if target.read_bytes() == payload:
                return
        except OSError:
            pass
        target.parent.mkdir(parents=True, exist_ok=True)
        files.atomic_write_bytes(target, payload)
        os.chmod(target, 0o644)
        self.written.append(relative)

    def finish(self) -> list[str]:
        """Remove what the last publication made and this one did not; keep the keys; return what was removed."""
        removed = []
        for relative in sorted(set(self.previous) - set(self.current)):
            path = self.site / relative
            if path.is_file():
                path.unlink()
                removed.append(relative)
        self.state_dir.mkdir(parents=True, exist_ok=True)
        files.atomic_write_bytes(self.state_dir / STATE_FILE,
                                 json.dumps({"files": self.current}, sort_keys=True, indent=0).encode())
        return removed
