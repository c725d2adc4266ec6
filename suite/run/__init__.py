"""The run layer: everything that turns a selection of benchmarks into records (plan, executors, workers).

A second front end or executor plugs in here: a front end makes a ``request`` (``RunRequest``) and
hands it to ``session``, which starts or resumes the run; ``planning`` makes its jobs and their
estimates, ``executors`` decides where jobs run (``claims`` keeps two processes off one job),
``workers`` and ``worker`` train one job, ``job_record`` (with the run's ``stamps``) turns it into one
record, and ``suite.records`` keeps the record in the run folder. Nothing here prints or parses a
command line: what happens is reported as ``events`` to the front end's reporter.
"""
