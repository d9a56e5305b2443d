"""`python -m s2s.training` is `s2s-train` (and what `torchrun -m s2s.training` launches)."""

from .cli import main

main(prog_name="s2s-train")
