"""The run layer: everything that turns a selection of benchmarks into records (plan, executors, workers).

A second front end or executor plugs in here: ``session`` starts and resumes runs, ``executors``
decides where jobs run (``claims`` keeps two processes off one job), ``runner`` and ``worker`` train
one job into one record, and ``suite.records`` keeps it in the run folder.
"""
