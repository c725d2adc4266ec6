"""The run folder: where a run's records, artefacts and run-level files live, and how they are written and read.

Why a layer of its own: the run layer writes run folders and the report layer reads them, and a
report must be built from a folder alone (copied from another machine, without the code that
trained it). Both stand on this package; neither imports the other.

* ``layout``: the paths (runs, records, artefacts, run-level files) and finding a run by name;
* ``publish``: one record (and its artefacts) published once, never rewritten;
* ``reading``: records read back and checked against the schema, damaged ones named and set aside;
* ``run_files``: the manifest (``run.json``, ``finished.json``) and the packages list.
"""
