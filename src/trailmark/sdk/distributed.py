"""Which process of a distributed job this is: its rank, local rank and the world size.

Read once in ``init`` from the launcher's variables: ``RANK``/``LOCAL_RANK``/``WORLD_SIZE``
(torchrun, accelerate, DeepSpeed), Open MPI and PMI, then SLURM (``srun`` tasks and job
arrays). ``init(rank=...)`` wins over all of them.

Rank 0, or a process with no rank, writes the run's own series; every other rank's metrics
are kept per rank (see :func:`trailmark.records.rank_key`). Machine-wide system metrics are
sampled once per node, by its local rank 0.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from trailmark.errors import InvalidInput


@dataclass(frozen=True)
class RankInfo:
    rank: int | None = None
    local_rank: int | None = None
    world_size: int | None = None

    @property
    def primary(self) -> bool:
        """Whether this process writes the run's own series (rank 0, or no rank)."""
        return self.rank is None or self.rank == 0

    @property
    def samples_machine(self) -> bool:
        """Whether this process samples node-wide system metrics (one process per node)."""
        if self.local_rank is not None:
            return self.local_rank == 0
        return True

    def to_json(self) -> dict[str, int | None]:
        return {"rank": self.rank, "local_rank": self.local_rank, "world_size": self.world_size}


def _int(environ: Mapping[str, str], *names: str) -> int | None:
    for name in names:
        text = environ.get(name)
        if text is None or not text.strip():
            continue
        try:
            value = int(text)
        except ValueError:
            continue
        if value >= 0:
            return value
    return None


def _slurm(environ: Mapping[str, str]) -> RankInfo | None:
    """Rank across ``srun`` tasks and, for a job array, across its tasks too."""
    procid = _int(environ, "SLURM_PROCID")
    array_index = _int(environ, "SLURM_ARRAY_TASK_ID")
    if procid is None and array_index is None:
        return None
    ntasks = _int(environ, "SLURM_NTASKS", "SLURM_NPROCS") or 1
    local = _int(environ, "SLURM_LOCALID")
    if array_index is None:
        return RankInfo(procid, local, ntasks)
    first = _int(environ, "SLURM_ARRAY_TASK_MIN") or 0
    count = _int(environ, "SLURM_ARRAY_TASK_COUNT")
    rank = (array_index - first) * ntasks + (procid or 0)
    return RankInfo(rank, local, count * ntasks if count else None)


def detect_rank(environ: Mapping[str, str], rank: int | None = None) -> RankInfo:
    """This process's place in a distributed job, from ``rank`` or the launcher's variables."""
    local = _int(environ, "LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_RANK", "MPI_LOCALRANKID")
    world = _int(environ, "WORLD_SIZE", "OMPI_COMM_WORLD_SIZE", "PMI_SIZE")
    if rank is not None:
        if isinstance(rank, bool) or not isinstance(rank, int) or rank < 0:
            raise InvalidInput(f"rank must be an integer from 0, got {rank!r}")
        return RankInfo(rank, local, world)
    found = _int(environ, "RANK", "OMPI_COMM_WORLD_RANK", "PMI_RANK")
    if found is not None:
        return RankInfo(found, local, world)
    slurm = _slurm(environ)
    if slurm is not None:
        return slurm
    return RankInfo(None, local, world)
