"""One step of an RNN, GRU or LSTM layer, written as two matrix products and gate arithmetic.

The decoder runs one step at a time (in training and decoding alike), so it needs no fused
sequence kernel; written this way the exported step graph holds only MatMul/Add/Sigmoid/Tanh,
which onnxruntime can quantise to int8 in full (it has no int8 kernels for its RNN ops).
The gate equations are PyTorch's (GRU with the reset gate applied after the hidden product).
"""

from __future__ import annotations

import torch
from torch import nn

GATES = {"rnn": 1, "gru": 3, "lstm": 4}
_SEQUENCE_RNN = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


class RecurrentCell(nn.Module):
    def __init__(self, kind: str, input_dim: int, hidden_dim: int) -> None:
        super().__init__()
        if kind not in GATES:
            raise ValueError(f"unknown cell {kind!r}")
        self.kind = kind
        self.hidden_dim = hidden_dim
        self.input_proj = nn.Linear(input_dim, GATES[kind] * hidden_dim)
        self.hidden_proj = nn.Linear(hidden_dim, GATES[kind] * hidden_dim)
        # A weightless ("meta") PyTorch RNN of the same shape: `run_sequence` lends it this cell's
        # weights to run a whole known input sequence in one fused kernel (teacher forcing).
        # Kept out of the module tree: it holds no state of its own.
        self.__dict__["_sequence_rnn"] = _SEQUENCE_RNN[kind](input_dim, hidden_dim, batch_first=True, device="meta")

    def run_sequence(
        self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
        """`forward` over every step of x [batch, time, input_dim] at once -> (outputs [batch, time,
        hidden], last h, last c). Same gate equations as `forward` (PyTorch's, same weight layout)."""
        weights = {
            "weight_ih_l0": self.input_proj.weight,
            "weight_hh_l0": self.hidden_proj.weight,
            "bias_ih_l0": self.input_proj.bias,
            "bias_hh_l0": self.hidden_proj.bias,
        }
        state = (h.unsqueeze(0), c.unsqueeze(0)) if self.kind == "lstm" else h.unsqueeze(0)
        outputs, last = torch.func.functional_call(self._sequence_rnn, weights, (x, state))
        if self.kind == "lstm":
            return outputs, last[0].squeeze(0), last[1].squeeze(0)
        return outputs, last.squeeze(0), None

    def forward(
        self, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor | None = None
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """x [batch, input_dim], h and c [batch, hidden] -> new (h, c); c is None except for LSTM."""
        gi = self.input_proj(x)
        gh = self.hidden_proj(h)
        if self.kind == "rnn":
            return torch.tanh(gi + gh), None
        if self.kind == "gru":
            i_r, i_z, i_n = gi.chunk(3, dim=-1)
            h_r, h_z, h_n = gh.chunk(3, dim=-1)
            reset = torch.sigmoid(i_r + h_r)
            update = torch.sigmoid(i_z + h_z)
            candidate = torch.tanh(i_n + reset * h_n)
            return candidate + update * (h - candidate), None
        assert c is not None, "an LSTM cell needs its cell state"
        i, f, g, o = (gi + gh).chunk(4, dim=-1)
        c_new = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(g)
        return torch.sigmoid(o) * torch.tanh(c_new), c_new
