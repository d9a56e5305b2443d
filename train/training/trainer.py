"""The training loop: teacher forcing, validation every epoch, checkpoints, time budget, resume."""

from __future__ import annotations

import gc
import json
import logging
import math
import os
import random
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import torch
from s2s.runtime.atomic import write_atomically
from s2s.runtime.signals import StopOnSignal
from torch.nn import functional as F
from tqdm import tqdm

from . import distributed
from .checkpoint import TrainerState, load_checkpoint, save_checkpoint
from .config import ModelConfig, TrainConfig
from .data import ParallelText, batch_order, make_batch, read_corpora, read_parallel
from .errors import TrainingInputError
from .evaluation import corpus_bleu, perplexity, validation_bleu, validation_loss
from .model import Seq2Seq
from .placeholder_training import add_placeholders, check_atomic, tokenizer_seed_lines
from .plotting import plot_curves
from .tokenization import PAD_ID, encode, train_tokenizer

log = logging.getLogger("s2s.training")
# Off a terminal (a log file, a job scheduler), a progress line this often instead of the bar.
PROGRESS_SECONDS = 60

BEST, LAST = "checkpoint-best", "checkpoint-last"


@dataclass
class EncodedCorpus:
    source_ids: list[list[int]]
    target_ids: list[list[int]]
    source_texts: list[str]
    target_texts: list[str]


@dataclass
class _Clock:
    """A run's time: its budget, what earlier runs of it spent, when it last saved and reported."""

    deadline: float
    elapsed_before: float
    started: float = field(default_factory=time.monotonic)
    last_save: float = field(default_factory=time.monotonic)
    last_report: float = field(default_factory=time.monotonic)
    rate: float = 0.0  # target tokens a second in the current epoch


@dataclass
class TrainingResult:
    state: TrainerState
    best_checkpoint: Path
    last_checkpoint: Path


def _encode_corpus(texts_src, texts_tgt, source_tokenizer, target_tokenizer, max_length: int | None):
    source_ids = encode(source_tokenizer, texts_src)
    target_ids = encode(target_tokenizer, texts_tgt)
    kept = EncodedCorpus([], [], [], [])
    skipped_long = skipped_empty = 0
    for s, t, st, tt in zip(source_ids, target_ids, texts_src, texts_tgt):
        if not s or not t:
            skipped_empty += 1
            continue
        if max_length is not None and (len(s) > max_length or len(t) > max_length):
            skipped_long += 1
            continue
        kept.source_ids.append(s)
        kept.target_ids.append(t)
        kept.source_texts.append(st)
        kept.target_texts.append(tt)
    return kept, skipped_empty, skipped_long


def _interruptible(work, *args):
    """`work(*args)`, run where Ctrl-C still reaches the caller within a tenth of a second.

    Python delivers signals only between bytecodes of the main thread, so a long call into
    Rust (tokenizer training takes seconds on a large corpus) would hold Ctrl-C until it
    returned. The call runs in a daemon thread (it releases the GIL) while the main thread
    waits in short slices; an interrupt abandons the thread, which dies with the process.
    """
    outcome: dict = {}

    def target() -> None:
        try:
            outcome["value"] = work(*args)
        except BaseException as exc:  # handed to the caller below, in its own thread
            outcome["error"] = exc

    worker = threading.Thread(target=target, name="s2s-start-up", daemon=True)
    worker.start()
    while worker.is_alive():
        worker.join(0.1)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _training_text(config: TrainConfig) -> ParallelText:
    """The training corpora as the model sees them: read, then given placeholders (a share of the
    pairs, `--placeholders`; the same pairs on every run of this configuration)."""
    corpus = read_corpora(config.train, config.source_lang, config.target_lang)
    # A side longer than this many characters cannot fit in max_length tokens (no token of a
    # trained vocabulary covers 100 characters); dropped before the tokenizers see it, as a
    # megabyte line without spaces kept tokenizer training busy for minutes.
    longest = config.max_length * 100
    kept = [(s, t) for s, t in zip(corpus.sources, corpus.targets) if len(s) <= longest and len(t) <= longest]
    if len(kept) < len(corpus.sources):
        corpus = ParallelText([s for s, _ in kept], [t for _, t in kept], corpus.skipped_empty,
                              corpus.skipped_long + len(corpus.sources) - len(kept))
    if config.replay and config.replay_from:
        corpus = _with_replay(corpus, config)
    if not config.placeholders:
        return corpus
    augmented = add_placeholders(corpus.sources, corpus.targets, config.placeholders, config.seed,
                                 config.source_lang, config.target_lang)
    return ParallelText(augmented.sources, augmented.targets, corpus.skipped_empty, corpus.skipped_long)


def _with_replay(corpus: ParallelText, config: TrainConfig) -> ParallelText:
    """The corpus and, as `config.replay` of the whole, pairs drawn (the same on every run of this
    configuration) from the parent model's own training data."""
    parent = read_corpora(config.replay_from, config.source_lang, config.target_lang)
    wanted = min(len(parent.sources), round(len(corpus.sources) * config.replay / (1 - config.replay)))
    drawn = random.Random(config.seed).sample(range(len(parent.sources)), wanted)
    return ParallelText(corpus.sources + [parent.sources[i] for i in drawn],
                        corpus.targets + [parent.targets[i] for i in drawn], corpus.skipped_empty, corpus.skipped_long)


def parent_corpora(init_from: str) -> list[str]:
    """The training corpora the model at `init_from` was trained on, as this machine has them: a
    checkpoint's recorded paths, or a bundle's (relative to where it was exported, tried from
    here). A TrainingInputError names the first that is not here."""
    if (Path(init_from) / "checkpoint.json").is_file():
        paths = list(load_checkpoint(init_from).train_config.train)
    else:
        from s2s.runtime.bundle.manifest import Manifest

        document = Manifest.read(Path(init_from)).document
        paths = [c["path"] for c in (document.get("training_data") or {}).get("corpora", [])]
    if not paths:
        raise TrainingInputError(f"--replay: {init_from} does not record its training data; give --replay 0")
    for path in paths:
        if not Path(path).exists() and not any(Path(f"{path}.{suffix}").exists() for suffix in ("en", "fr", "de")):
            raise TrainingInputError(f"--replay: {path}, which {init_from} was trained on, is not here; run from "
                                     "where it was trained, or give --replay 0")
    return [str(Path(p).absolute()) for p in paths]


def _training_device(name: str) -> torch.device:
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TrainingInputError(f"--device {name}: this torch build sees no CUDA GPU "
                                     f"(torch {torch.__version__}); train with --device cpu")
        index = torch.device(name).index or 0
        if index >= torch.cuda.device_count():
            raise TrainingInputError(f"--device {name}: only {torch.cuda.device_count()} CUDA device(s)")
    return torch.device(name)


def _train_tokenizers(corpus: ParallelText, kind: str, vocab_size: int, placeholders: bool):
    extra = tokenizer_seed_lines() if placeholders else []
    tokenizers = [train_tokenizer([*texts, *extra], kind, vocab_size) for texts in (corpus.sources, corpus.targets)]
    if placeholders:
        for tokenizer in tokenizers:
            check_atomic(tokenizer)
    return tuple(tokenizers)


def initial_model(path: str):
    """(model, model config, source tokenizer, target tokenizer) to continue from: a training
    checkpoint's, or an exported bundle's read back (from_bundle.py)."""
    if (Path(path) / "checkpoint.json").is_file():
        checkpoint = load_checkpoint(path)
        return checkpoint.model, checkpoint.model_config, checkpoint.source_tokenizer, checkpoint.target_tokenizer
    from .from_bundle import model_from_bundle

    return model_from_bundle(path)


class Trainer:
    """Build with `Trainer.start(...)` (a new run) or `Trainer.resume(out_dir)`, then `run()`."""

    def __init__(self, model, model_config, train_config, state, source_tokenizer, target_tokenizer,
                 corpus: ParallelText | None = None) -> None:
        """`corpus`: the training text as `_training_text` prepares it, when the caller has it
        already (a new run trains its tokenizers on it); read here otherwise (a resumed run)."""
        self.device = _training_device(train_config.device)
        self.model: Seq2Seq = model.to(self.device)
        self.model_config: ModelConfig = model_config
        self.config: TrainConfig = train_config
        self.state: TrainerState = state
        self.source_tokenizer = source_tokenizer
        self.target_tokenizer = target_tokenizer
        self.out = Path(train_config.out)
        self.ranks = distributed.from_environment()  # None: one process
        self.saved_on_interrupt = False  # set once Ctrl-C has left a resumable checkpoint-last/
        self.optimizer = torch.optim.Adam(model.parameters(), lr=train_config.lr, weight_decay=train_config.weight_decay)
        # The data-parallel wrapper (run() makes it under torchrun), and the signal helper of a run.
        self._ddp: torch.nn.Module | None = None
        self._stop = StopOnSignal("interrupt: stopping after this batch (Ctrl-C again to abort without saving)")
        self._load_data(corpus if corpus is not None else _training_text(train_config))

    # ---- construction -------------------------------------------------------------------
    @classmethod
    def start(cls, train_config: TrainConfig, model_overrides: dict | None = None) -> "Trainer":
        out = Path(train_config.out)
        if out.exists() and not out.is_dir():
            raise TrainingInputError(f"-o {out} is a file; a run directory is needed")
        if (out / LAST).exists():
            raise TrainingInputError(f"{out} already holds a training run; use --resume to continue it, or another -o")
        existing = next(p for p in (out, *out.absolute().parents) if p.exists())
        if not existing.is_dir() or not os.access(existing, os.W_OK | os.X_OK):
            raise TrainingInputError(f"cannot create the run directory {out}: {existing} is not a writable folder")
        corpus = _training_text(train_config)
        for path in train_config.valid:
            read_parallel(path, train_config.source_lang, train_config.target_lang)  # fail early
        torch.manual_seed(train_config.seed)
        random.seed(train_config.seed)
        if train_config.init_from is not None:
            model, model_config, source_tokenizer, target_tokenizer = initial_model(train_config.init_from)
            return cls(model, model_config, train_config, TrainerState(), source_tokenizer, target_tokenizer, corpus)
        source_tokenizer, target_tokenizer = _interruptible(
            _train_tokenizers, corpus, train_config.tokenizer, train_config.vocab_size, train_config.placeholders > 0)
        model_config = ModelConfig(
            source_vocab_size=source_tokenizer.get_vocab_size(),
            target_vocab_size=target_tokenizer.get_vocab_size(),
            max_target_length=train_config.max_length * 2,
            **(model_overrides or {}),
        )
        model = Seq2Seq(model_config)
        if train_config.param_init > 0:
            model.initialise_uniform(train_config.param_init)
        return cls(model, model_config, train_config, TrainerState(), source_tokenizer, target_tokenizer, corpus)

    @classmethod
    def resume(cls, out: str | Path, **overrides) -> "Trainer":
        """Continue the run in `out` from its last checkpoint. `overrides` may change the budget
        (epochs, max_minutes) but nothing that would change what is being trained."""
        checkpoint = load_checkpoint(Path(out) / LAST, with_optimizer=True)
        config = checkpoint.train_config
        for key, value in overrides.items():
            if value is not None:
                setattr(config, key, value)
        config.out = str(out)
        trainer = cls(
            checkpoint.model,
            checkpoint.model_config,
            config,
            checkpoint.state,
            checkpoint.source_tokenizer,
            checkpoint.target_tokenizer,
        )
        if checkpoint.optimizer_state is not None:
            trainer.optimizer.load_state_dict(checkpoint.optimizer_state)
        ranks = trainer.ranks
        world_size = ranks.world_size if ranks else 1
        if trainer.state.step and trainer.state.world_size != world_size:
            raise TrainingInputError(f"{out} was trained by {trainer.state.world_size} process(es); resume it with as "
                                     f"many (here: {world_size})")
        if ranks is not None and len(checkpoint.rank_rng_states) == world_size:
            torch.set_rng_state(checkpoint.rank_rng_states[ranks.rank])
        elif checkpoint.rng_state is not None:
            torch.set_rng_state(checkpoint.rng_state)
        # A finished run stays finished, so resuming it again trains nothing an uninterrupted run
        # would not have; only a larger --epochs reopens a run that had reached its epochs.
        state = trainer.state
        early_stopped = 0 < config.early_stopping <= state.epochs_without_improvement
        if state.finished and not early_stopped and state.epoch < config.epochs:
            state.finished = False
        if not state.finished:
            state.stop_reason = ""
        if trainer.is_main:
            trainer._forget_metrics_after_checkpoint()
        return trainer

    def _forget_metrics_after_checkpoint(self) -> None:
        """Drop metrics.jsonl rows logged after checkpoint-last/ (a kill or a stop mid-epoch): the
        resumed run logs those steps again, and each step must appear once."""
        path = self.out / "metrics.jsonl"
        if not path.exists():
            return
        kept = []
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue  # a row cut short by a kill
            if record.get("step", 0) <= self.state.step and (
                    record.get("event") != "epoch" or record.get("epoch", 0) <= self.state.epoch):
                kept.append(line)
        write_atomically(path, "".join(row + "\n" for row in kept))

    def _load_data(self, corpus: ParallelText) -> None:
        config = self.config
        self.train_data, skipped_empty, skipped_long = _interruptible(
            _encode_corpus, corpus.sources, corpus.targets, self.source_tokenizer, self.target_tokenizer,
            config.max_length)
        self.skipped = {"empty": corpus.skipped_empty + skipped_empty, "too_long": corpus.skipped_long + skipped_long}
        if not self.train_data.source_ids:
            raise TrainingInputError(f"no training pairs left after filtering (max length {config.max_length} tokens)")
        self._source_lengths = [len(s) for s in self.train_data.source_ids]  # what batches are sorted by
        # One entry per validation set, named by its path as given.
        self.valid_sets: dict[str, EncodedCorpus] = {}
        for path in config.valid:
            valid = read_parallel(path, config.source_lang, config.target_lang)
            self.valid_sets[path], _, _ = _encode_corpus(
                valid.sources, valid.targets, self.source_tokenizer, self.target_tokenizer, None
            )

    # ---- the loop -------------------------------------------------------------------------
    @property
    def is_main(self) -> bool:
        return self.ranks is None or self.ranks.is_main

    def _log_metrics(self, record: dict) -> None:
        if not self.is_main:
            return
        with open(self.out / "metrics.jsonl", "a", encoding="utf-8") as handle:
            handle.write(json.dumps(record) + "\n")

    def _save(self, name: str) -> None:
        # Data-parallel: every rank calls this (the RNG states are gathered); rank 0 writes.
        rank_rng_states = distributed.gather_rng_states() if self.ranks is not None else None
        if not self.is_main:
            return
        save_checkpoint(
            self.out / name,
            self.model,
            self.config,
            self.state,
            self.source_tokenizer,
            self.target_tokenizer,
            self.optimizer,
            rank_rng_states,
        )

    def _autocast(self) -> torch.autocast:
        """The training forward pass's precision (`TrainConfig.precision`); the loss is taken in float32."""
        return torch.autocast(self.device.type, dtype=torch.bfloat16, enabled=self.config.precision == "bf16")

    def _step(self, indices: list[int]) -> tuple[float, float, float]:
        """One optimizer step on the batch `indices`, over the model or (under torchrun) its DDP
        wrapper, as nanoGPT does: (mean loss, summed loss, target tokens) of the whole batch. Each
        rank's summed loss is scaled so that DDP's average of the ranks' gradients is the gradient
        of the global batch's mean loss; one process takes its own mean."""
        data, ranks = self.train_data, self.ranks
        rows, real = (indices, True) if ranks is None else distributed.shard(indices, ranks)
        weight = 1.0 if real else 0.0  # a rank without rows of its own steps with zero loss
        batch = make_batch(data.source_ids, data.target_ids, rows).to(self.device)
        global_tokens = sum(len(data.target_ids[i]) + 1 for i in indices)  # + <eos>
        model = self.model if self._ddp is None else self._ddp
        self.model.train()
        with self._autocast():
            logits = model(batch.source, batch.source_lengths, batch.target_in, self.config.teacher_forcing)
        loss_sum = F.cross_entropy(
            logits.float().flatten(0, 1),
            batch.target_out.flatten(),
            ignore_index=PAD_ID,
            label_smoothing=self.config.label_smoothing,
            reduction="sum",
        )
        loss = loss_sum * (weight * (ranks.world_size if ranks else 1) / global_tokens)
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.config.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.model.parameters(), self.config.grad_clip)
        self.optimizer.step()
        local = float(loss_sum.detach()) * weight
        if ranks is None:
            return local / global_tokens, local, global_tokens
        total, tokens = distributed.total(local, global_tokens / ranks.world_size)
        return total / tokens, total, tokens

    def _validate(self) -> dict:
        """Loss and BLEU of each validation set, and of all of them together (what selects)."""
        config = self.config
        loss_sum = tokens = 0.0
        hypotheses: list[str] = []
        references: list[str] = []
        per_set = {}
        for name, data in self.valid_sets.items():
            loss = validation_loss(self.model, data.source_ids, data.target_ids, config.batch_size)
            set_tokens = sum(len(t) + 1 for t in data.target_ids)  # + <eos>, as the loss counts
            loss_sum += loss * set_tokens
            tokens += set_tokens
            sources, refs = data.source_ids, data.target_texts
            if config.valid_bleu_samples is not None:
                sources, refs = sources[: config.valid_bleu_samples], refs[: config.valid_bleu_samples]
            bleu, hyps = validation_bleu(self.model, self.target_tokenizer, sources, refs, max(config.batch_size, 64))
            hypotheses += hyps
            references += refs
            per_set[name] = {"loss": loss, "bleu": bleu}
        loss = loss_sum / max(tokens, 1)
        record = {"valid_loss": loss, "valid_ppl": perplexity(loss), "valid_bleu": corpus_bleu(hypotheses, references)}
        if len(per_set) > 1:
            record["valid_sets"] = per_set
        return record

    def _improved(self, record: dict) -> bool:
        state = self.state
        if not self.valid_sets:
            return True
        if self.config.select_by == "loss":
            return state.best_loss is None or record["valid_loss"] < state.best_loss
        return record["valid_bleu"] > state.best_bleu

    def _end_epoch(self, train_loss: float, tokens_per_second: float) -> None:
        state, config = self.state, self.config
        state.epoch += 1
        state.batch_in_epoch = 0
        state.epoch_loss_sum = state.epoch_tokens = 0.0
        self._validate_and_select({
            "event": "epoch",
            "epoch": state.epoch,
            "step": state.step,
            "train_loss": train_loss,
            "tokens_per_s": tokens_per_second,
            "lr": self.optimizer.param_groups[0]["lr"],
            "elapsed_s": round(state.elapsed_seconds, 1),
        })
        if state.epoch >= config.epochs and not state.finished:
            state.finished = True
            state.stop_reason = f"reached {config.epochs} epochs"

    def _validate_mid_epoch(self) -> None:
        """`--valid-every`: validate and select between epochs' ends, for corpora whose epoch is
        longer than a run's time budget."""
        state = self.state
        self._validate_and_select({
            "event": "valid",
            "epoch": state.epoch + 1,
            "step": state.step,
            "train_loss": state.epoch_loss_sum / max(state.epoch_tokens, 1),
            "lr": self.optimizer.param_groups[0]["lr"],
            "elapsed_s": round(state.elapsed_seconds, 1),
        })

    def _validate_and_select(self, record: dict) -> None:
        """Score the validation sets into `record`, log it, keep checkpoint-best/ and apply the
        plateau schedule and early stopping (both counted in validations)."""
        state, config = self.state, self.config
        if self.valid_sets:
            if self.ranks is None:
                record.update(self._validate())
            else:  # rank 0 validates; every rank then takes the same decisions
                record.update(distributed.from_main(self._validate() if self.ranks.is_main else None))
        improved = self._improved(record)
        state.history.append(record)
        self._log_metrics(record)
        if self.is_main:
            scores = (f", valid loss {record['valid_loss']:.3f}, valid BLEU {record['valid_bleu']:.2f}"
                      if "valid_bleu" in record else "")
            where = f"epoch {record['epoch']}" + (f", step {record['step']}" if record["event"] == "valid" else "")
            log.info("%s: train loss %.3f%s", where, record["train_loss"], scores)
        if improved:
            state.best_bleu = record.get("valid_bleu", state.best_bleu)
            state.best_loss = record.get("valid_loss", state.best_loss)
            state.best_epoch = record["epoch"]
            state.epochs_without_improvement = 0
            self._save(BEST)
        else:
            state.epochs_without_improvement += 1
            if (config.lr_schedule == "plateau" and config.lr_patience > 0
                    and state.epochs_without_improvement % config.lr_patience == 0):
                for group in self.optimizer.param_groups:
                    group["lr"] *= config.lr_decay
            if config.early_stopping > 0 and state.epochs_without_improvement >= config.early_stopping:
                state.finished = True
                unit = "validations" if config.valid_every else "epochs"
                state.stop_reason = f"early stopping: no validation {config.select_by} gain for {config.early_stopping} {unit}"

    def _budget_spent(self, deadline: float) -> str | None:
        if self._stop.requested:
            return "interrupted"
        if time.monotonic() >= deadline:
            return f"time budget of {self.config.max_minutes} minutes reached"
        if self.config.max_steps is not None and self.state.step >= self.config.max_steps:
            return f"reached {self.config.max_steps} steps"
        return None

    def run(self) -> TrainingResult:
        if self.ranks is None:
            return self._run()
        distributed.init(self.ranks)
        distributed.check_batch_size(self.config.batch_size, self.ranks)
        from torch.nn.parallel import DistributedDataParallel

        self._ddp = DistributedDataParallel(self.model)
        try:
            return self._run()
        finally:
            # The DDP wrapper must go before the process group: were its reducer the group's last
            # owner, the group's destructor would wait for gloo's worker thread while holding the
            # GIL that thread may need to free its last tensors: a deadlock (pytorch#56297).
            self._ddp = None
            gc.collect()
            distributed.shutdown()

    def _run(self) -> TrainingResult:
        config, state, ranks = self.config, self.state, self.ranks
        # Data-parallel processes share the machine's cores.
        torch.set_num_threads(config.threads or max(1, (os.cpu_count() or 1) // (ranks.local_world_size if ranks else 1)))
        state.world_size = ranks.world_size if ranks else 1
        clock = _Clock(deadline=time.monotonic() + config.max_minutes * 60 if config.max_minutes else math.inf,
                       elapsed_before=state.elapsed_seconds)
        try:
            # Only now: a run that failed to start leaves nothing (rank 0 alone writes).
            if self.is_main:
                self.out.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise TrainingInputError(f"cannot create the run directory {self.out}: {exc.strerror}") from None
        stop: str | None = None
        # Ctrl-C or SIGTERM finishes the current batch, saves checkpoint-last/, then stops: an
        # interrupted batch would leave weights and step counter out of step with each other.
        with self._stop:
            while not state.finished and stop is None:
                stop = self._train_epoch(clock)
                if stop is not None:
                    break
                if not state.finished:  # else: early stopping at a mid-epoch validation
                    self._end_epoch(state.epoch_loss_sum / max(state.epoch_tokens, 1), clock.rate)
                self._save(LAST)
                clock.last_save = time.monotonic()
        return self._finish(stop, clock)

    def _train_epoch(self, clock: "_Clock") -> str | None:
        """Train the rest of the current epoch (from `state.batch_in_epoch`); why it stopped short
        (the time budget, an interrupt, the step limit), or None when it ended or early stopping
        ended the run."""
        config, state = self.config, self.state
        generator = torch.Generator().manual_seed(config.seed * 1000 + state.epoch)
        batches = batch_order(self._source_lengths, config.batch_size, generator)
        epoch_started, epoch_first_batch = time.monotonic(), state.batch_in_epoch
        show_progress = sys.stderr.isatty()
        progress = tqdm(total=len(batches), initial=state.batch_in_epoch, desc=f"epoch {state.epoch + 1}",
                        disable=not show_progress or not self.is_main, unit="batch", dynamic_ncols=True)
        try:
            for indices in batches[state.batch_in_epoch :]:
                stop, save_due = self._stop_or_save(clock)
                if stop is not None:
                    return stop
                if save_due and state.batch_in_epoch:
                    self._save(LAST)  # between batches: exactly what a stop here would save
                    clock.last_save = time.monotonic()
                now = time.monotonic()
                done_here = state.batch_in_epoch - epoch_first_batch
                if not show_progress and self.is_main and done_here and now - clock.last_report >= PROGRESS_SECONDS:
                    clock.last_report = now
                    left = (len(batches) - state.batch_in_epoch) * (now - epoch_started) / done_here
                    log.info("epoch %d: batch %d/%d, loss %.3f, %.0f target tokens/s, about %.0f min left in the epoch",
                             state.epoch + 1, state.batch_in_epoch, len(batches),
                             state.epoch_loss_sum / max(state.epoch_tokens, 1), clock.rate, left / 60)
                scheduled = config.learning_rate(state.step)
                if scheduled is not None:
                    for group in self.optimizer.param_groups:
                        group["lr"] = scheduled
                loss, loss_sum, tokens = self._step(indices)
                state.step += 1
                state.batch_in_epoch += 1
                state.epoch_loss_sum += loss_sum
                state.epoch_tokens += tokens
                state.elapsed_seconds = clock.elapsed_before + time.monotonic() - clock.started
                clock.rate = state.epoch_tokens / max(time.monotonic() - epoch_started, 1e-9)
                progress.update(1)
                progress.set_postfix(loss=f"{loss:.3f}", tok_s=f"{clock.rate:,.0f}")
                if state.step % config.log_every == 0:
                    self._log_metrics(
                        {"event": "train", "epoch": state.epoch + 1, "step": state.step, "loss": loss,
                         "lr": self.optimizer.param_groups[0]["lr"], "tokens_per_s": clock.rate,
                         "elapsed_s": round(state.elapsed_seconds, 1)}
                    )
                # The epoch's last batch is validated by _end_epoch, once.
                if config.valid_every and state.step % config.valid_every == 0 and state.batch_in_epoch < len(batches):
                    self._validate_mid_epoch()
                    if state.finished:
                        return None
            return None
        finally:
            progress.close()

    def _stop_or_save(self, clock: "_Clock") -> tuple[str | None, bool]:
        """(why to stop before the next batch, or None; whether checkpoint-last/ is due), the same
        on every rank."""
        config = self.config
        stop = self._budget_spent(clock.deadline)
        save_due = bool(config.save_every_minutes) and time.monotonic() - clock.last_save >= 60 * config.save_every_minutes
        if self.ranks is not None:
            # Every rank stops (and saves) at the same batch, and a Ctrl-C that reached one rank
            # counts on all: each then takes the interrupted path (save, stop).
            stop_any, interrupted_any, save_due = distributed.any_rank(stop is not None, self._stop.requested, save_due)
            if interrupted_any:
                self._stop.request()
                stop = "interrupted"
            elif stop_any:
                stop = stop or "stopped by another process"
        return stop, save_due

    def _finish(self, stop: str | None, clock: "_Clock") -> TrainingResult:
        state = self.state
        if not state.finished:
            state.stop_reason = stop or ""
            state.elapsed_seconds = clock.elapsed_before + time.monotonic() - clock.started
            self._save(LAST)
            log.info("stopped (%s); saved %s; continue with --resume", state.stop_reason, self.out / LAST)
        if self._stop.requested:
            self.saved_on_interrupt = True
            raise KeyboardInterrupt
        # Without validation sets the last state is the best there is; with them, checkpoint-best/
        # holds only a validated epoch, so a run stopped before its first epoch has none yet.
        missing_best = not self.valid_sets and not (self.out / BEST).exists()
        if self.ranks is not None:
            missing_best = distributed.from_main(missing_best)  # a collective: all ranks agree
        if missing_best:
            self._save(BEST)
        if state.history and self.is_main:
            plot_curves(state.history, self.out / "curves.png")
        return TrainingResult(state, self.out / BEST, self.out / LAST)
