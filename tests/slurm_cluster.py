"""A real single-node SLURM cluster on loopback, for the tests of ``--executor slurm``.

Nothing is installed here: the Debian packages ``slurm-wlm`` and ``munge`` must be (``.ci/run``
installs them). Every file lives in a temp folder: its own munge key and socket, ``slurm.conf``
(found through ``SLURM_CONF``), ``gres.conf`` with two fake GPUs (character devices made with ``mknod``, named by ``File=``),
state, spool, logs and pid files; the ports are picked free, so a cluster already running on this
machine is left alone. The daemons listen on 127.0.0.1 only and are stopped by ``stop()``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import stat
import subprocess
import time
from pathlib import Path

#: Fake GPUs the node declares; SLURM hands one to each task asking for a GPU.
FAKE_GPUS = 2
START_TIMEOUT_S = 60.0


class ClusterUnavailable(RuntimeError):
    """Why the cluster could not be started (the tests skip with this reason)."""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class LoopbackCluster:
    def __init__(self, folder: Path):
        self.folder = folder
        self.env = {"SLURM_CONF": str(folder / "slurm.conf")}
        self._pids: list[Path] = []

    def start(self) -> LoopbackCluster:
        for program in ("slurmctld", "slurmd", "munged", "sbatch"):
            if shutil.which(program) is None and not Path(f"/usr/sbin/{program}").exists():
                raise ClusterUnavailable(f"{program} is not installed (apt-get install slurm-wlm munge)")
        if os.geteuid() != 0:
            raise ClusterUnavailable("starting slurmd needs root")
        folder = self.folder
        for name in ("state", "spool", "log"):
            (folder / name).mkdir(parents=True, exist_ok=True)
        key = folder / "munge.key"
        key.write_bytes(os.urandom(1024))
        key.chmod(0o600)
        self._run(["/usr/sbin/munged", "--force", f"--key-file={key}", f"--socket={folder / 'munge.socket'}",
                   f"--pid-file={folder / 'munged.pid'}", f"--seed-file={folder / 'munged.seed'}",
                   f"--log-file={folder / 'log' / 'munged.log'}"])
        self._pids.append(folder / "munged.pid")
        gpus = []
        for index in range(FAKE_GPUS):
            # SLURM wants character devices; these carry the numbers of /dev/null and /dev/zero, harmless.
            device = folder / f"fake-nvidia{index}"
            os.mknod(device, 0o600 | stat.S_IFCHR, os.makedev(1, (3, 5)[index % 2]))
            gpus.append(f"Name=gpu File={device}")
        (folder / "gres.conf").write_text("\n".join(gpus) + "\n")
        (folder / "slurm.conf").write_text(f"""\
ClusterName=suitetest
SlurmctldHost=localhost(127.0.0.1)
SlurmctldPort={_free_port()}
SlurmdPort={_free_port()}
SlurmUser=root
AuthType=auth/munge
AuthInfo=socket={folder / 'munge.socket'}
CryptoType=crypto/munge
StateSaveLocation={folder / 'state'}
SlurmdSpoolDir={folder / 'spool'}
SlurmctldPidFile={folder / 'slurmctld.pid'}
SlurmdPidFile={folder / 'slurmd.pid'}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
MinJobAge=3600
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
GresTypes=gpu
SlurmctldLogFile={folder / 'log' / 'slurmctld.log'}
SlurmdLogFile={folder / 'log' / 'slurmd.log'}
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 RealMemory=8000 Gres=gpu:{FAKE_GPUS} State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
""")
        try:
            self._run(["/usr/sbin/slurmctld"])
            self._pids.append(folder / "slurmctld.pid")
            self._run(["/usr/sbin/slurmd"])
            self._pids.append(folder / "slurmd.pid")
            self._wait_idle()
        except BaseException:
            self.stop()
            raise
        return self

    def _run(self, command: list[str]) -> None:
        started = subprocess.run(command, env={**os.environ, **self.env}, capture_output=True, text=True, timeout=60)
        if started.returncode != 0:
            self.stop()
            raise ClusterUnavailable(f"{Path(command[0]).name} did not start: {started.stderr.strip()[:300]}")

    def _wait_idle(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        state = ""
        while time.monotonic() < deadline:
            shown = subprocess.run(["sinfo", "-h", "-o", "%T"], env={**os.environ, **self.env},
                                   capture_output=True, text=True, timeout=30)
            state = shown.stdout.strip() or shown.stderr.strip()
            if state == "idle":
                return
            time.sleep(1)
        log = (self.folder / "log" / "slurmd.log")
        tail = log.read_text()[-400:] if log.exists() else ""
        raise ClusterUnavailable(f"the node did not become idle within {START_TIMEOUT_S:.0f} s ({state}); {tail}")

    def stop(self) -> None:
        for pid_file in reversed(self._pids):
            try:
                pid = int(pid_file.read_text().split()[0])
            except (OSError, ValueError, IndexError):
                continue
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                continue
            for _ in range(50):
                if not Path(f"/proc/{pid}").exists():
                    break
                time.sleep(0.1)
            else:
                os.kill(pid, signal.SIGKILL)
        self._pids.clear()
