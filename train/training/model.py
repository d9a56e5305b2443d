"""The encoder-decoder: Encoder, Decoder (with its single `step`), and Seq2Seq (teacher forcing)."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from .attention import BahdanauAttention, LuongAttention
from .cells import RecurrentCell
from .config import ModelConfig
from .tokenization import PAD_ID

_SEQUENCE_RNN = {"rnn": nn.RNN, "gru": nn.GRU, "lstm": nn.LSTM}


@dataclass
class EncoderOutput:
    memory: torch.Tensor  # [batch, src_len, encoder_state_dim], zero at padding
    final: torch.Tensor  # [layers, batch, encoder_state_dim]: each layer's last state (the context vector)
    mask: torch.Tensor  # [batch, src_len] bool, True at real tokens


@dataclass
class DecoderState:
    hidden: torch.Tensor  # [layers, batch, hidden_dim]
    cell: torch.Tensor | None = None  # [layers, batch, hidden_dim], LSTM only


def _gather_time(x: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """x [batch, time, dim], index [batch, time] -> x[b, index[b, t]]."""
    return x.gather(1, index.unsqueeze(-1).expand(-1, -1, x.size(-1)))


class Encoder(nn.Module):
    """Embedding -> N recurrent layers, optionally bidirectional.

    Padding never leaks into a sentence's states: the backward direction reads each sentence
    reversed *within its own length*, and final states are read at each sentence's last token.
    This avoids packed sequences, which also keeps the ONNX graph plain (Gather + RNN).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        rnn = _SEQUENCE_RNN[config.cell]
        self.embedding = nn.Embedding(config.source_vocab_size, config.embedding_dim, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(config.dropout)
        width = config.embedding_dim
        self.forward_layers = nn.ModuleList()
        self.backward_layers = nn.ModuleList()
        for _ in range(config.layers):
            self.forward_layers.append(rnn(width, config.encoder_direction_dim, batch_first=True))
            if config.bidirectional:
                self.backward_layers.append(rnn(width, config.encoder_direction_dim, batch_first=True))
            width = config.encoder_state_dim

    def _run(self, rnn: nn.Module, x: torch.Tensor) -> torch.Tensor:
        # The initial state is built from the input's shape, so exported graphs keep a dynamic batch.
        h0 = x.new_zeros(1, x.size(0), self.config.encoder_direction_dim)
        output, _ = rnn(x, (h0, h0) if self.config.cell == "lstm" else h0)
        return output

    def forward(self, source: torch.Tensor, lengths: torch.Tensor) -> EncoderOutput:
        """source [batch, src_len] int64, lengths [batch] int64 (>= 1)."""
        positions = torch.arange(source.size(1), device=source.device).unsqueeze(0)
        mask = positions < lengths.unsqueeze(1)
        reverse = torch.where(mask, lengths.unsqueeze(1) - 1 - positions, positions)
        last = (lengths - 1).clamp(min=0).unsqueeze(1)  # [batch, 1]
        x = self.dropout(self.embedding(source))
        finals = []
        for index, forward_rnn in enumerate(self.forward_layers):
            states = self._run(forward_rnn, x)
            if self.config.bidirectional:
                backward = self._run(self.backward_layers[index], _gather_time(x, reverse))
                final = torch.cat([_gather_time(states, last), _gather_time(backward, last)], dim=-1)
                states = torch.cat([states, _gather_time(backward, reverse)], dim=-1)
            else:
                final = _gather_time(states, last)
            finals.append(final.squeeze(1))
            # Dropout between layers only: the states attention reads stay intact (as in
            # OpenNMT-py); dropping them too cost BLEU (docs/quality.md).
            x = self.dropout(states) if index + 1 < len(self.forward_layers) else states
        memory = x * mask.unsqueeze(-1).to(x.dtype)
        return EncoderOutput(memory=memory, final=torch.stack(finals), mask=mask)


class Decoder(nn.Module):
    """Embedding -> recurrent layers (one step at a time) -> attention -> softmax layer.

    `attention == "none"` is the classic model: the encoder's final states (the context vector)
    initialise the decoder and nothing else crosses over. With attention, every step also reads
    a weighted sum of all encoder states:
    - bahdanau: the query is the previous top hidden state; the context feeds the recurrent input;
    - luong: the query is the new top hidden state.
    In all variants the output layer reads an "attentional vector" tanh(W [h; context]),
    `attentional_dim` wide (embedding width when the output layer shares the target embedding).
    """

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        hidden, memory_dim = config.hidden_dim, config.encoder_state_dim
        self.embedding = nn.Embedding(config.target_vocab_size, config.embedding_dim, padding_idx=PAD_ID)
        self.dropout = nn.Dropout(config.dropout)
        # No layer at all for "copy": an unused parameter would still be initialised, saved and
        # counted.
        bridged = config.bridge != "copy"
        self.bridge_hidden = nn.Linear(memory_dim, hidden) if bridged else None
        self.bridge_cell = nn.Linear(memory_dim, hidden) if bridged and config.cell == "lstm" else None
        self.attention: BahdanauAttention | LuongAttention | None
        if config.attention == "bahdanau":
            self.attention = BahdanauAttention(memory_dim, hidden, hidden)
        elif config.attention == "luong":
            self.attention = LuongAttention(memory_dim, hidden)
        else:
            self.attention = None
        first_input = config.embedding_dim + (memory_dim if config.attention == "bahdanau" else 0)
        self.cells = nn.ModuleList(
            RecurrentCell(config.cell, first_input if layer == 0 else hidden, hidden) for layer in range(config.layers)
        )
        self.attentional = nn.Linear(hidden + (memory_dim if self.attention is not None else 0), config.attentional_dim)
        self.output = nn.Linear(config.attentional_dim, config.target_vocab_size)
        if config.tie_embeddings:
            self.output.weight = self.embedding.weight

    @property
    def runs_in_parallel(self) -> bool:
        """Without input from attention into the recurrence (none, luong), a teacher-forced
        target sequence can run through the recurrent layers in one fused call per layer."""
        return not isinstance(self.attention, BahdanauAttention)

    def sequence_features(
        self,
        embedded: torch.Tensor,
        state: DecoderState,
        memory: torch.Tensor | None = None,
        keys: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> torch.Tensor:
        """`step_features` for all steps of a known input [batch, time, emb] at once (the same
        computation, for `runs_in_parallel` decoders) -> attentional vectors [batch, time, attentional_dim]."""
        x = embedded
        previous_cell = state.cell.unbind(0) if state.cell is not None else [None] * len(self.cells)
        for layer, (cell, h0) in enumerate(zip(self.cells, state.hidden.unbind(0))):
            outputs, _, _ = cell.run_sequence(x, h0, previous_cell[layer])
            x = self.dropout(outputs) if layer + 1 < len(self.cells) else outputs
        if isinstance(self.attention, LuongAttention):
            x = torch.cat([x, self.attention.attend_all(x, keys, memory, mask)], dim=-1)
        return self.dropout(torch.tanh(self.attentional(x)))

    def initial_state(self, encoded: EncoderOutput) -> DecoderState:
        """The decoder's first state from the encoder's final states (`ModelConfig.bridge`)."""
        final = encoded.final
        if self.bridge_hidden is None:  # copy: an LSTM decoder's memory cell starts at zero
            return DecoderState(final, torch.zeros_like(final) if self.config.cell == "lstm" else None)
        squash = torch.tanh if self.config.bridge == "tanh" else torch.relu
        cell = self.bridge_cell(final) if self.bridge_cell is not None else None
        return DecoderState(squash(self.bridge_hidden(final)), cell)

    def attention_keys(self, memory: torch.Tensor) -> torch.Tensor | None:
        """What attention precomputes once per sentence (None without attention)."""
        return self.attention.keys(memory) if self.attention is not None else None

    def step(
        self,
        previous: torch.Tensor,
        state: DecoderState,
        memory: torch.Tensor | None = None,
        keys: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, DecoderState, torch.Tensor | None]:
        """One decoder step.

        previous [batch] int64 (the previous token: <sos> first), state, and for attention the
        encoder memory [batch, src_len, memory_dim], keys and mask [batch, src_len] ->
        (logits [batch, target_vocab], new state, attention weights [batch, src_len] or None).
        """
        attentional, new_state, weights = self.step_features(
            self.dropout(self.embedding(previous)), state, memory, keys, mask
        )
        return self.output(attentional), new_state, weights

    def step_features(
        self,
        embedded: torch.Tensor,
        state: DecoderState,
        memory: torch.Tensor | None = None,
        keys: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
    ) -> tuple[torch.Tensor, DecoderState, torch.Tensor | None]:
        """`step` up to (not including) the output layer: embedded previous token [batch, emb]
        -> (attentional vector [batch, attentional_dim], new state, attention weights)."""
        x = embedded
        context = weights = None
        if isinstance(self.attention, BahdanauAttention):
            context, weights = self.attention(state.hidden.unbind(0)[-1], keys, memory, mask)
            x = torch.cat([x, context], dim=-1)
        hiddens, cells = [], []
        previous_hidden = state.hidden.unbind(0)
        previous_cell = state.cell.unbind(0) if state.cell is not None else [None] * len(self.cells)
        for layer, cell in enumerate(self.cells):
            h, c = cell(x, previous_hidden[layer], previous_cell[layer])
            hiddens.append(h)
            if c is not None:
                cells.append(c)
            x = self.dropout(h) if layer + 1 < len(self.cells) else h
        top = x
        if isinstance(self.attention, LuongAttention):
            context, weights = self.attention(top, keys, memory, mask)
        features = torch.cat([top, context], dim=-1) if context is not None else top
        attentional = self.dropout(torch.tanh(self.attentional(features)))
        new_state = DecoderState(torch.stack(hiddens), torch.stack(cells) if cells else None)
        return attentional, new_state, weights


class Seq2Seq(nn.Module):
    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        self.encoder = Encoder(config)
        self.decoder = Decoder(config)

    def forward(
        self,
        source: torch.Tensor,
        lengths: torch.Tensor,
        target_in: torch.Tensor,
        teacher_forcing: float = 1.0,
        generator: torch.Generator | None = None,
    ) -> torch.Tensor:
        """Logits [batch, tgt_len, target_vocab] for every target position.

        With teacher_forcing == 1 every step is fed the reference previous token. Below 1, each
        row at each step is fed the reference with that probability and otherwise the model's
        own previous prediction (scheduled sampling), which exposes the model to its own errors.
        """
        encoded = self.encoder(source, lengths)
        state = self.decoder.initial_state(encoded)
        keys = self.decoder.attention_keys(encoded.memory)
        decoder = self.decoder
        if teacher_forcing >= 1.0:
            # All inputs are known: embed them in one lookup and apply the output layer to all
            # steps in one product (same computation as `step`, far fewer small kernels).
            embedded = decoder.dropout(decoder.embedding(target_in))
            if decoder.runs_in_parallel:
                return decoder.output(decoder.sequence_features(embedded, state, encoded.memory, keys, encoded.mask))
            features = []
            # unbind, not embedded[:, t]: indexing's backward would zero-fill the whole tensor every step.
            for embedded_t in embedded.unbind(1):
                attentional, state, _ = decoder.step_features(embedded_t, state, encoded.memory, keys, encoded.mask)
                features.append(attentional)
            return decoder.output(torch.stack(features, dim=1))
        steps = []
        previous = target_in[:, 0]
        for t in range(target_in.size(1)):
            if t > 0:
                predicted = steps[-1].argmax(dim=-1)
                use_reference = torch.rand(previous.shape, generator=generator) < teacher_forcing
                previous = torch.where(use_reference, target_in[:, t], predicted)
            logits, state, _ = decoder.step(previous, state, encoded.memory, keys, encoded.mask)
            steps.append(logits)
        return torch.stack(steps, dim=1)

    def initialise_uniform(self, scale: float) -> None:
        """Every parameter uniform in [-scale, scale] (OpenNMT-py's `param_init`); padding
        embeddings stay zero."""
        with torch.no_grad():
            for parameter in self.parameters():
                parameter.uniform_(-scale, scale)
            for embedding in (self.encoder.embedding, self.decoder.embedding):
                embedding.weight[PAD_ID].zero_()

    def parameter_count(self) -> int:
        return sum(p.numel() for p in self.parameters())
