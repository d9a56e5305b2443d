import itertools

import pytest
import torch
from torch.nn import functional as F

from s2s.training import ModelConfig, Seq2Seq, greedy_decode
from s2s.training.config import ATTENTIONS, BRIDGES, CELLS
from s2s.training.data import pad

VARIANTS = list(itertools.product(CELLS, ATTENTIONS))


def tiny(cell="gru", attention="bahdanau", **kw) -> Seq2Seq:
    torch.manual_seed(0)
    return Seq2Seq(ModelConfig(30, 40, cell=cell, attention=attention, embedding_dim=8, hidden_dim=12, dropout=0.0, **kw))


@pytest.mark.parametrize("cell,attention", VARIANTS)
def test_every_variant_trains_a_step_and_decodes(cell, attention):
    model = tiny(cell, attention, layers=2)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    source = torch.randint(4, 30, (3, 6))
    lengths = torch.tensor([6, 4, 2])
    target_in = torch.randint(4, 40, (3, 5))
    target_out = torch.randint(4, 40, (3, 5))
    model.train()
    losses = []
    for _ in range(2):
        logits = model(source, lengths, target_in)
        assert logits.shape == (3, 5, 40)
        loss = F.cross_entropy(logits.flatten(0, 1), target_out.flatten())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(float(loss.detach()))
    assert losses[1] < losses[0]
    decoded = greedy_decode(model, [[5, 6, 7], [8], []])
    assert len(decoded) == 3 and decoded[2] == []
    assert all(len(d) <= model.config.decode_length_limit(3) for d in decoded)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("layers", [1, 2])
@torch.no_grad()
def test_padding_does_not_change_a_sentence(cell, layers):
    model = tiny(cell, "bahdanau", layers=layers).eval()
    sentence = [5, 9, 11, 7]
    others = [[4, 5, 6, 7, 8, 9, 10, 11], [12, 13]]
    alone = model.encoder(torch.tensor([sentence]), torch.tensor([len(sentence)]))
    batch = pad([others[0], sentence, others[1]])
    together = model.encoder(batch, torch.tensor([8, 4, 2]))
    torch.testing.assert_close(together.memory[1, :4], alone.memory[0], rtol=0, atol=1e-6)
    assert float(together.memory[1, 4:].abs().max()) == 0.0
    torch.testing.assert_close(together.final[:, 1], alone.final[:, 0], rtol=0, atol=1e-6)
    # and the decoder sees the same thing: same greedy output alone or in a batch
    assert greedy_decode(model, [sentence]) == [greedy_decode(model, others + [sentence])[2]]


@pytest.mark.parametrize("cell", ["gru", "lstm"])
@pytest.mark.parametrize("bridge", BRIDGES)
@torch.no_grad()
def test_each_bridge_builds_the_first_decoder_state(cell, bridge):
    model = tiny(cell, "luong", layers=2, bridge=bridge).eval()
    encoded = model.encoder(pad([[5, 6, 7], [8, 9]]), torch.tensor([3, 2]))
    state = model.decoder.initial_state(encoded)
    assert state.hidden.shape == encoded.final.shape
    if bridge == "copy":
        assert torch.equal(state.hidden, encoded.final)
        assert model.decoder.bridge_hidden is None and model.decoder.bridge_cell is None
    else:
        low, high = (-1.0, 1.0) if bridge == "tanh" else (0.0, float("inf"))
        assert low <= float(state.hidden.min()) and float(state.hidden.max()) <= high
        assert not torch.equal(state.hidden, encoded.final)
    assert (state.cell is not None) == (cell == "lstm")
    if bridge == "copy" and cell == "lstm":
        assert float(state.cell.abs().max()) == 0.0
    parameters = sum(p.numel() for p in model.decoder.parameters())
    with_layer = sum(p.numel() for p in tiny(cell, "luong", layers=2, bridge="tanh").decoder.parameters())
    assert (parameters < with_layer) == (bridge == "copy")


@torch.no_grad()
def test_attention_ignores_padding():
    model = tiny("gru", "luong").eval()
    encoded = model.encoder(pad([[5, 6, 7, 8, 9], [5, 6]]), torch.tensor([5, 2]))
    state = model.decoder.initial_state(encoded)
    keys = model.decoder.attention_keys(encoded.memory)
    _, _, weights = model.decoder.step(torch.tensor([1, 1]), state, encoded.memory, keys, encoded.mask)
    assert float(weights[1, 2:].abs().max()) == 0.0
    torch.testing.assert_close(weights.sum(-1), torch.ones(2))


def test_no_attention_decoder_reads_only_the_context_vector():
    model = tiny("gru", "none").eval()
    encoded = model.encoder(torch.tensor([[5, 6, 7]]), torch.tensor([3]))
    state = model.decoder.initial_state(encoded)
    logits, _, weights = model.decoder.step(torch.tensor([1]), state)
    assert weights is None and logits.shape == (1, 40)


@torch.no_grad()
def test_scheduled_sampling_feeds_the_model_its_own_predictions():
    model = tiny().eval()  # no dropout: only the fed tokens differ between the runs below
    source, lengths = torch.randint(4, 30, (2, 4)), torch.tensor([4, 3])
    target_in = torch.randint(4, 40, (2, 5))
    forced = model(source, lengths, target_in, teacher_forcing=1.0)
    assert torch.allclose(model(source, lengths, target_in, teacher_forcing=0.999999,
                                generator=torch.Generator().manual_seed(0)), forced, atol=1e-5)
    # Never the reference: each step is fed the previous step's argmax, exactly as greedy decoding.
    free = model(source, lengths, target_in, teacher_forcing=0.0, generator=torch.Generator().manual_seed(0))
    state = model.decoder.initial_state(model.encoder(source, lengths))
    encoded = model.encoder(source, lengths)
    keys = model.decoder.attention_keys(encoded.memory)
    previous = target_in[:, 0]
    for t in range(target_in.size(1)):
        logits, state, _ = model.decoder.step(previous, state, encoded.memory, keys, encoded.mask)
        assert torch.allclose(free[:, t], logits, atol=1e-5)
        previous = logits.argmax(dim=-1)
    assert not torch.allclose(free, forced)


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("attention", ["none", "luong"])
@torch.no_grad()
def test_parallel_teacher_forcing_computes_the_step_by_step_logits(cell, attention):
    """The fused sequence path used in training is the same function as the single step that
    greedy decoding (and the exported graph) runs."""
    model = tiny(cell, attention, layers=2).eval()
    source, lengths = pad([[5, 6, 7, 8], [9, 10]]), torch.tensor([4, 2])
    target_in = torch.randint(4, 40, (2, 6))
    parallel = model(source, lengths, target_in)
    encoded = model.encoder(source, lengths)
    state = model.decoder.initial_state(encoded)
    keys = model.decoder.attention_keys(encoded.memory)
    stepwise = []
    for t in range(6):
        logits, state, _ = model.decoder.step(target_in[:, t], state, encoded.memory, keys, encoded.mask)
        stepwise.append(logits)
    torch.testing.assert_close(parallel, torch.stack(stepwise, 1), rtol=1e-5, atol=1e-5)
