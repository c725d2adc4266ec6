"""The run layer: everything that turns a selection of benchmarks into records (plan, executors, workers).

A second front end or executor plugs in here: ``session`` starts and resumes runs, ``planning`` makes
its jobs and their estimates, ``executors`` decides where jobs run (``claims`` keeps two processes off
one job), ``workers`` and ``worker`` train one job, ``job_record`` (with the run's ``stamps``) turns it
into one record, ``progress`` tells the terminal, and ``suite.records`` keeps the record in the run folder.
"""
