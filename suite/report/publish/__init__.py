"""The published site: every run in one static folder, with each benchmark's claims over runs, stacks and backends.

``publish(run_paths, site)`` builds it from run folders alone (read through ``suite.records``; no
benchmark code, no framework) and brings it up to date incrementally:

* ``summary``: a run folder read into plain data, kept by the hash of its files;
* ``chart``: the pictures, SVG written by hand (fast, and the same points give the same bytes);
* ``pages``: the index of runs, a page per benchmark, claim stability (``suite.report.stability``);
* ``output``: what to render and write, by the keys of the last publication;
* ``build``: the order of work.
"""

from suite.report.publish.build import Publication, SiteFolderError, publish

__all__ = ["Publication", "SiteFolderError", "publish"]
