"""Executors: given the jobs of a run that have no record yet, run them so that each ends as one record.

An executor decides *where* jobs run; what a job is (``planning.Job``), how a worker trains it
(``workers``) and how its record is completed and published (``job_record.run_claimed_job``) are the
same everywhere.
Whatever happens to a job (it raises, its worker dies, it times out, it is skipped), exactly one
record is published for it, and a second writer of the same job never replaces the first.

* ``local`` (the default): worker processes on this machine; one worker is today's sequential run,
  ``--workers N`` runs N at once, ``--gpus`` gives each GPU its own worker (``suite.run.executors.local``).
* ``slurm``: each job one task of a SLURM job array through ``submitit`` (``suite.run.executors.slurm``).
"""

from __future__ import annotations

EXECUTORS = ("local", "slurm")


def execute(jobs, benchmarks, run_path, options, reporter) -> dict:
    """Run ``jobs`` with the executor ``options.executor`` names, telling ``reporter`` (``suite.run.events``) of
    each; returns the summary for the manifest.

    Jobs whose record exists are skipped (resume). A job another process is training (a second
    ``--resume`` of the same run) is left to it and waited for at the end; if that process died
    without a record, this one trains the job. Raises KeyboardInterrupt after cleaning up when the
    user presses Ctrl-C, and ``suite.records.publish.StorageFull`` when a record cannot be written
    for want of disk space.
    """
    if options.executor == "slurm":
        from suite.run.executors import slurm

        return slurm.execute(jobs, benchmarks, run_path, options, reporter)
    from suite.run.executors import local

    return local.execute(jobs, benchmarks, run_path, options, reporter)
