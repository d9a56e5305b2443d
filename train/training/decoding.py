"""The PyTorch reference greedy decoder: the baseline that exports and runtimes are checked against."""

from __future__ import annotations

import torch

from .data import pad, sequential_batches
from .model import Seq2Seq
from .tokenization import EOS_ID, SOS_ID


@torch.no_grad()
def greedy_decode_batch(model: Seq2Seq, source: torch.Tensor, lengths: torch.Tensor) -> list[list[int]]:
    """Greedy decoding of one padded batch; token ids without <sos>/<eos>.

    The encoder runs once; the decoder step starts from <sos> and is fed its own argmax until
    it emits <eos> or reaches the length limit `config.decode_length_limit(source_length)`.
    """
    model.eval()
    config = model.config
    source, lengths = source.to(next(model.parameters()).device), lengths.cpu()
    encoded = model.encoder(source, lengths.to(source.device))
    state = model.decoder.initial_state(encoded)
    keys = model.decoder.attention_keys(encoded.memory)
    limits = torch.tensor([config.decode_length_limit(int(n)) for n in lengths])
    batch = source.size(0)
    previous = torch.full((batch,), SOS_ID, dtype=torch.long, device=source.device)
    finished = torch.zeros(batch, dtype=torch.bool)
    outputs: list[list[int]] = [[] for _ in range(batch)]
    for t in range(int(limits.max()) + 1):
        logits, state, _ = model.decoder.step(previous, state, encoded.memory, keys, encoded.mask)
        previous = logits.argmax(dim=-1)
        chosen = previous.tolist()  # one transfer a step, not one a row
        for row in (~finished).nonzero().flatten().tolist():
            token = chosen[row]
            if token == EOS_ID:
                finished[row] = True
            else:
                outputs[row].append(token)
                if len(outputs[row]) >= int(limits[row]):
                    finished[row] = True
        if bool(finished.all()):
            break
    return outputs


def greedy_decode(model: Seq2Seq, source_ids: list[list[int]], batch_size: int = 64) -> list[list[int]]:
    """Greedy decoding of tokenised sentences (in input order); empty inputs give empty outputs."""
    results: list[list[int]] = [[] for _ in source_ids]
    lengths = [len(ids) for ids in source_ids]
    non_empty = [i for i, n in enumerate(lengths) if n > 0]
    for chunk in sequential_batches([lengths[i] for i in non_empty], batch_size):
        rows = [non_empty[i] for i in chunk]
        source = pad([source_ids[i] for i in rows])
        decoded = greedy_decode_batch(model, source, torch.tensor([lengths[i] for i in rows]))
        for row, tokens in zip(rows, decoded):
            results[row] = tokens
    return results
