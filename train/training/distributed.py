"""Data-parallel training over several processes: PyTorch DistributedDataParallel, launched by
`torchrun` (one process a core or a GPU, on one machine or several).

Every process builds the same model, tokenizers and epoch order (same seed); each global batch of
`--batch-size` sentence pairs is dealt out row by row (rank r takes rows r, r + W, ...), so the
length bucketing and the order are those of a single process. Each process scales its summed loss
so that DDP's gradient average equals the single-process mean over the global batch's tokens.
Only rank 0 validates and writes; its decisions reach the others by broadcast.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

from .errors import TrainingInputError


@dataclass
class Ranks:
    rank: int
    world_size: int
    local_world_size: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_environment() -> Ranks | None:
    """The ranks torchrun set in the environment; None for a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    return Ranks(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_WORLD_SIZE", world)))


def init(ranks: Ranks) -> None:
    if not dist.is_initialized():
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")


def shutdown() -> None:
    if dist.is_initialized():
        # Rank 0 may still be sending its last broadcast when another rank is done: tearing the
        # group down before every rank arrives here would leave a peer waiting on a closed pair.
        dist.barrier()
        dist.destroy_process_group()


def shard(indices: list[int], ranks: Ranks) -> tuple[list[int], bool]:
    """This rank's rows of a global batch -> (rows, real). A batch with fewer rows than processes
    leaves some ranks without one: they run its first row with zero weight (DDP needs every
    rank to take part in every step)."""
    rows = indices[ranks.rank :: ranks.world_size]
    return (rows, True) if rows else (indices[:1], False)


def check_batch_size(batch_size: int, ranks: Ranks) -> None:
    if batch_size < ranks.world_size:
        raise TrainingInputError(f"--batch-size {batch_size} is the global batch: it must be at least the number of "
                                 f"processes ({ranks.world_size})")


def any_rank(*flags: bool) -> list[bool]:
    """For each flag, True on every rank when it is true on any (an interrupt, a spent budget)."""
    values = torch.tensor([1.0 if flag else 0.0 for flag in flags])
    dist.all_reduce(values, op=dist.ReduceOp.MAX)
    return [bool(v) for v in values.tolist()]


def total(*values: float) -> list[float]:
    """Sums over all ranks."""
    tensor = torch.tensor(values, dtype=torch.float64)
    dist.all_reduce(tensor)
    return tensor.tolist()


def from_main(value: Any) -> Any:
    """Rank 0's `value` on every rank."""
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def gather_rng_states() -> list[torch.Tensor]:
    """Every rank's torch RNG state (dropout masks differ per rank), in rank order."""
    states: list[Any] = [None] * dist.get_world_size()
    dist.all_gather_object(states, torch.get_rng_state())
    return states
