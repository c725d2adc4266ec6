"""The run layer: everything that turns a selection of benchmarks into records (plan, store, executors, workers).

A second front end or executor plugs in here: ``session`` starts and resumes runs, ``executors``
decides where jobs run, ``runner`` and ``worker`` train one job into one record, ``store`` keeps them.
"""
