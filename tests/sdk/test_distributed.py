"""Which process of a distributed job this is, from torchrun, MPI and SLURM variables."""

from __future__ import annotations

import pytest

from trailmark.errors import InvalidInput
from trailmark.sdk.distributed import RankInfo, detect_rank


def test_no_launcher_means_no_rank() -> None:
    info = detect_rank({})
    assert info == RankInfo(None, None, None)
    assert info.primary and info.samples_machine


def test_torchrun() -> None:
    info = detect_rank({"RANK": "5", "LOCAL_RANK": "1", "WORLD_SIZE": "8"})
    assert info == RankInfo(5, 1, 8)
    assert not info.primary and not info.samples_machine
    assert detect_rank({"RANK": "4", "LOCAL_RANK": "0"}).samples_machine


def test_the_argument_wins_and_must_be_a_rank() -> None:
    assert detect_rank({"RANK": "5"}, rank=2).rank == 2
    for bad in (-1, True, "1"):
        with pytest.raises(InvalidInput, match="rank"):
            detect_rank({}, rank=bad)  # type: ignore[arg-type]


def test_open_mpi() -> None:
    env = {
        "OMPI_COMM_WORLD_RANK": "3",
        "OMPI_COMM_WORLD_LOCAL_RANK": "3",
        "OMPI_COMM_WORLD_SIZE": "4",
    }
    assert detect_rank(env) == RankInfo(3, 3, 4)


def test_slurm_tasks() -> None:
    env = {"SLURM_PROCID": "6", "SLURM_LOCALID": "2", "SLURM_NTASKS": "8"}
    assert detect_rank(env) == RankInfo(6, 2, 8)


def test_slurm_array_tasks_get_ranks_across_the_array() -> None:
    env = {
        "SLURM_ARRAY_TASK_ID": "12",
        "SLURM_ARRAY_TASK_MIN": "10",
        "SLURM_ARRAY_TASK_COUNT": "4",
        "SLURM_PROCID": "1",
        "SLURM_NTASKS": "2",
        "SLURM_LOCALID": "1",
    }
    assert detect_rank(env) == RankInfo(5, 1, 8)
    assert detect_rank({"SLURM_ARRAY_TASK_ID": "3"}) == RankInfo(3, None, None)


def test_rank_wins_over_slurm_and_garbage_is_ignored() -> None:
    assert detect_rank({"RANK": "1", "SLURM_PROCID": "7"}).rank == 1
    assert detect_rank({"RANK": "x", "SLURM_PROCID": "7"}).rank == 7
