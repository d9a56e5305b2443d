"""The search driver and its strategies on a scripted model (no ONNX): what greedy and beam
search choose, when rows leave the batch, and that every step's state follows its rows."""

import numpy as np
import pytest

from s2s.runtime.decoding.onnx_model import RecurrentState, SourceMemory, StepOutput
from s2s.runtime.decoding.search import BeamSearch, GreedySearch, search

SOS, EOS, A, B, C = 1, 2, 3, 4, 5
LOG = np.log


class ScriptedModel:
    """The next token's log-probabilities depend on the previous token only (TABLE), except that
    each sentence's state carries its own row number, which steps check: a row's state must stay
    the row's when others leave the batch or beams are reordered."""

    # From <sos>: A is likelier than B, but after A every continuation is poor, after B <eos> is
    # near certain. Greedy takes A; a beam of two finds B <eos>.
    TABLE = {
        SOS: {A: 0.55, B: 0.45},
        A: {C: 0.34, A: 0.33, EOS: 0.33},
        B: {EOS: 0.99, C: 0.01},
        C: {EOS: 0.9, C: 0.1},
    }

    def __init__(self) -> None:
        self.steps: list[int] = []  # rows decoded at each step

    def encode(self, ids: np.ndarray, lengths: np.ndarray):
        rows = np.arange(len(ids), dtype=np.float32)
        return SourceMemory({"memory": rows[:, None]}), RecurrentState({"hidden": rows[None, :, None]})

    def step(self, previous, state, context, k=1):
        assert np.array_equal(state.arrays["hidden"][0, :, 0], context.arrays["memory"][:, 0])  # rows follow
        self.steps.append(len(previous))
        top_ids, top_log_probs = [], []
        for token in previous:
            ranked = sorted(self.TABLE[int(token)].items(), key=lambda item: -item[1])[:k]
            ranked += [(C, 1e-9)] * (k - len(ranked))
            top_ids.append([t for t, _ in ranked])
            top_log_probs.append([LOG(p) for _, p in ranked])
        attention = np.ones((len(previous), 3), dtype=np.float32) / 3
        return StepOutput(np.array(top_ids), np.array(top_log_probs, dtype=np.float32), state, attention)


def test_greedy_takes_the_argmax_and_finished_rows_leave_the_batch():
    model = ScriptedModel()
    [[first], [second]] = search(model, [[7, 8], [9]], 0, GreedySearch([5, 1], SOS, EOS, keep_attention=True))
    assert first.token_ids == [A, C] and second.token_ids == [A]  # C -> <eos>; the second stopped at its limit
    assert first.score == pytest.approx(LOG(0.55) + LOG(0.34) + LOG(0.9))  # <eos> counts in the score
    assert model.steps == [2, 1, 1]  # the second row left after one token
    assert first.attention.shape == (3, 2) and second.attention.shape == (1, 1)  # per token, source length


def test_beam_search_finds_what_greedy_misses_and_beam_one_is_greedy():
    [[greedy]] = search(ScriptedModel(), [[7]], 0, GreedySearch([5], SOS, EOS))
    [[beam_one]] = search(ScriptedModel(), [[7]], 0, BeamSearch([5], SOS, EOS, beam_size=1))
    assert beam_one.token_ids == greedy.token_ids and beam_one.score == pytest.approx(greedy.score)
    [[best, *others]] = search(ScriptedModel(), [[7]], 0, BeamSearch([5], SOS, EOS, beam_size=2, n_best=2))
    assert best.token_ids == [B] and best.score == pytest.approx(LOG(0.45) + LOG(0.99))
    assert best.rank == pytest.approx(best.score / 2)  # length normalised: one token and <eos>
    assert others and others[0].rank <= best.rank


def test_a_sentence_ends_when_beam_size_hypotheses_finished_and_its_neighbours_go_on():
    model = ScriptedModel()
    results = search(model, [[7], [8, 9]], 0, BeamSearch([1, 4], SOS, EOS, beam_size=2, n_best=2))
    short, long = results
    assert all(len(h.token_ids) <= 1 for h in short) and len(short) == 2  # stopped by its limit of one token
    assert long[0].token_ids == [B]
    assert model.steps[0] == 2 and max(model.steps[1:]) <= 2  # never more than beam_size rows a sentence


def test_the_length_penalty_decides_between_short_and_long():
    # 0: the summed log-probability, which favours the shortest; 1 (the default): the mean.
    [[summed]] = search(ScriptedModel(), [[7]], 0, BeamSearch([5], SOS, EOS, beam_size=3, length_penalty=0.0))
    [[mean]] = search(ScriptedModel(), [[7]], 0, BeamSearch([5], SOS, EOS, beam_size=3, length_penalty=1.0))
    assert summed.rank == pytest.approx(summed.score)
    assert len(summed.token_ids) <= len(mean.token_ids)
