"""`s2s-train`: a thin command-line layer over `s2s.training.Trainer`."""

from __future__ import annotations

import shlex
import signal
import sys
from pathlib import Path

import click
from s2s.runtime.cli.command import (
    CONTEXT_SETTINGS,
    Command,
    log_to_stderr,
    output_option,
    renamed,
    user_errors,
    version_option,
)

from .config import ATTENTIONS, BRIDGES, CELLS, LR_SCHEDULES, PRECISIONS, SELECTIONS, TOKENIZERS, TrainConfig
from .errors import TrainingInputError


@click.command(cls=Command, context_settings=CONTEXT_SETTINGS)
@renamed("--max-length", "--max-pair-tokens", "N")
@version_option("s2s-train")
@click.option("--train", "train_path", metavar="PATH", multiple=True,
              help="Training pairs: a TSV file (source<TAB>target), a prefix read as PATH.<lang> with "
                   "--source-lang/--target-lang, or a translation memory: a PO catalogue, XLIFF, TMX, or two JSON "
                   "locale files as SOURCE.json:TARGET.json. Repeat to train on several corpora at once. Required "
                   "unless --resume.")
@click.option("--valid", "valid_path", metavar="PATH", multiple=True,
              help="Validation pairs, same forms as --train; repeatable: each set is scored, and all of them "
                   "together select the best checkpoint and drive early stopping.")
@output_option("Run directory: checkpoint-best/, checkpoint-last/, metrics.jsonl, curves.png.")
@click.option("--source-lang", metavar="L", help="Source language suffix (e.g. de) for prefix-form data.")
@click.option("--target-lang", metavar="L", help="Target language suffix (e.g. en) for prefix-form data.")
@click.option("--cell", type=click.Choice(CELLS), default="gru", show_default=True, help="Recurrent cell.")
@click.option("--attention", type=click.Choice(ATTENTIONS), default="luong", show_default=True,
              help="none: the classic fixed-size context vector; luong (general: the new decoder state queries "
                   "the encoder states; trains fastest) or bahdanau (additive: the previous state queries, the "
                   "context feeds the recurrence).")
@click.option("--layers", type=click.IntRange(min=1), default=1, show_default=True, help="Recurrent layers (encoder and decoder).")
@click.option("--bidirectional/--no-bidirectional", default=True, show_default=True, help="Bidirectional encoder.")
@click.option("--embedding-dim", type=click.IntRange(min=1), default=256, show_default=True,
              help="Width of the source and target word embeddings.")
@click.option("--hidden-dim", type=click.IntRange(min=1), default=512, show_default=True,
              help="Width of the recurrent state (a bidirectional encoder splits it between its directions).")
@click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), default=0.3, show_default=True,
              help="Dropout on embeddings and between layers while training (none at inference).")
@click.option("--bridge", type=click.Choice(BRIDGES), default="tanh", show_default=True,
              help="The decoder's first state from the encoder's last: a linear layer then tanh, a linear layer "
                   "then relu (OpenNMT-py's bridge), or the encoder's states copied as they are.")
@click.option("--tie-embeddings/--no-tie-embeddings", default=False, show_default=True,
              help="Share the target embedding matrix with the output layer (the attentional vector is then "
                   "--embedding-dim wide): smaller and faster, less accurate.")
@click.option("--attentional-dim", type=click.IntRange(min=1),
              help="Width of the attentional vector the output layer reads [default: --hidden-dim, or "
                   "--embedding-dim when tied].")
@click.option("--tokenizer", type=click.Choice(TOKENIZERS), default="bpe", show_default=True,
              help="Subword (BPE), word or character tokens, trained on the training text.")
@click.option("--vocab-size", type=click.IntRange(min=8), default=8000, show_default=True, help="Per-side vocabulary size (upper bound).")
@click.option("--max-pair-tokens", "max_length", type=click.IntRange(min=1), default=64, show_default=True,
              help="Leave out training pairs with more tokens than this on either side (s2s-translate's "
                   "--max-length caps a translation's length instead).")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True,
              help="Passes over the training data at most (early stopping and --max-minutes may end it sooner).")
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True), help="Stop cleanly (after saving) after this many minutes.")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True,
              help="Sentence pairs per optimizer step: the global batch, shared out among the processes of a "
                   "torchrun launch.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-3, show_default=True, help="Adam learning rate.")
@click.option("--lr-schedule", type=click.Choice(LR_SCHEDULES), default="step", show_default=True,
              help="step: multiply the rate by --lr-decay every --lr-decay-every steps from --lr-decay-start; "
                   "plateau: multiply it after --lr-patience epochs without validation gain.")
@click.option("--lr-decay", type=click.FloatRange(0, 1, min_open=True), default=0.5, show_default=True,
              help="Learning-rate decay factor.")
@click.option("--lr-decay-start", type=click.IntRange(min=0), default=8000, show_default=True,
              help="Step schedule: first decay at this optimizer step.")
@click.option("--lr-decay-every", type=click.IntRange(min=1), default=2000, show_default=True,
              help="Step schedule: steps between decays.")
@click.option("--lr-patience", type=click.IntRange(min=0), default=1, show_default=True,
              help="Plateau schedule: epochs without validation gain before each decay (0: never decay).")
@click.option("--select-by", type=click.Choice(SELECTIONS), default="loss", show_default=True,
              help="Validation metric that picks checkpoint-best/ and drives early stopping: loss "
                   "(teacher-forced cross-entropy; steadier) or greedy BLEU.")
@click.option("--early-stopping", type=click.IntRange(min=0), default=4, show_default=True,
              help="Stop after this many epochs without validation gain (0: never).")
@click.option("--param-init", type=click.FloatRange(min=0), default=0.1, show_default=True,
              help="Initialise every parameter uniformly in [-x, x] (0: PyTorch's per-layer defaults).")
@click.option("--teacher-forcing", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="Probability of feeding the reference previous token; below 1 mixes in the model's own predictions.")
@click.option("--label-smoothing", type=click.FloatRange(0, 1, max_open=True), default=0.1, show_default=True,
              help="Share of the target probability spread over the whole vocabulary in the training loss.")
@click.option("--precision", type=click.Choice(PRECISIONS), default="fp32", show_default=True,
              help="bf16: the training forward pass in bfloat16 (weights, gradients and the loss stay float32): "
                   "about 1.5x the steps a second on CPUs with AMX (Intel Xeon 4th generation on), slower where "
                   "the CPU has no bfloat16 arithmetic. Validation and export are float32 either way.")
@click.option("--placeholders", type=click.FloatRange(0, 1), default=0.0, show_default=True, metavar="SHARE",
              help="Teach the model to carry placeholders (so the runtime can protect names, numbers, codes, "
                   "addresses and glossary terms): in this share of the training pairs, words written identically "
                   "on both sides that hold a digit or start with a capital, and matching number words, become the "
                   "same placeholder on both sides. 0: off (the bundle then protects nothing).")
@click.option("--grad-clip", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Gradient norm clip (0: off).")
@click.option("--seed", type=int, default=1234, show_default=True,
              help="Seeds initialisation, batch order and placeholders: the same seed gives the same run.")
@click.option("--device", default="cpu", show_default=True, metavar="cpu|cuda|cuda:N",
              help="Where to train: the CPU, or a CUDA GPU (a torch build with CUDA). A resumed run may move; "
                   "resume is bit-exact on the CPU only.")
@click.option("--threads", type=click.IntRange(min=1), help="CPU threads (default: all cores).")
@click.option("--valid-every", type=click.IntRange(min=1), metavar="STEPS",
              help="Also validate every STEPS optimizer steps, keeping checkpoint-best/ (for corpora whose epoch "
                   "outlasts the run); --early-stopping then counts validations.")
@click.option("--valid-bleu-samples", type=click.IntRange(min=1), help="Decode only the first N validation pairs for BLEU each epoch.")
@click.option("--save-every-minutes", type=click.FloatRange(min=0), default=10.0, show_default=True,
              help="Also save checkpoint-last/ mid-epoch this often, so that a kill or power cut loses at most "
                   "this much work (0: at the end of each epoch only).")
@click.option("--init-from", metavar="BUNDLE|CHECKPOINT",
              help="Fine-tune: start from this model bundle (an int8 one is dequantised) or training checkpoint: its "
                   "architecture, weights and tokenizers, with this run's data, optimizer and schedule. The model "
                   "and tokenizer options are then its own.")
@click.option("--replay", type=click.FloatRange(0, 1, max_open=True), default=0.0, show_default=True, metavar="SHARE",
              help="With --init-from: this share of the training pairs is drawn from the data the model started from "
                   "was trained on (found from its record), so that it keeps what it knew.")
@click.option("--resume", is_flag=True, help="Continue the run in -o from checkpoint-last/ (its saved settings win).")
def main(**options) -> None:
    """Train an RNN encoder-decoder translator with teacher forcing.

    \b
    Example (English -> French on Tatoeba, learning to carry placeholders):
      s2s-train --train ../shared/data/tatoeba-eng-fra/train.tsv \\
                --valid ../shared/data/tatoeba-eng-fra/valid.tsv -o runs/eng-fra --placeholders 0.5
    Example (German -> English on Multi30k, one file per language):
      s2s-train --train ../shared/data/multi30k/train --valid ../shared/data/multi30k/val \\
                --source-lang de --target-lang en -o runs/deu-eng
    """
    log_to_stderr("%(asctime)s %(message)s", datefmt="%H:%M:%S")
    from .errors import TRAIN_INSTALL, missing_train_extra

    trainer = None
    # Until the training loop installs its own handler (which saves before stopping), SIGTERM
    # ends start-up like Ctrl-C does: one line, nothing left behind.
    previous_sigterm = signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with user_errors("s2s-train", interrupted=None):
            missing = missing_train_extra()
            if missing:
                raise TrainingInputError(f"training needs {missing}: {TRAIN_INSTALL}")
            from .trainer import Trainer, parent_corpora

            if options["resume"]:
                trainer = Trainer.resume(options["out"], epochs=options["epochs"] if _given("epochs") else None,
                                         max_minutes=options["max_minutes"],
                                         device=options["device"] if _given("device") else None)
                # Provenance: a model card lists every command that trained the model, resumes included.
                extra = trainer.config.extra
                extra["resume_commands"] = [*extra.get("resume_commands", []), shlex.join(["s2s-train", *sys.argv[1:]])]
            elif not options["train_path"]:
                raise TrainingInputError("--train is required (unless --resume continues a run)")
            elif options["replay"] and not options["init_from"]:
                raise TrainingInputError("--replay draws from the data of the model --init-from names; give --init-from")
            else:
                if options["init_from"]:
                    fixed = [name for name in _MODEL_AND_TOKENIZER_OPTIONS if _given(name)]
                    if fixed:
                        raise TrainingInputError(f"--{fixed[0].replace('_', '-')}: with --init-from the model and its "
                                                 "tokenizers are the ones it starts from")
                model_options = {k: options[k] for k in ("cell", "attention", "layers", "bidirectional", "embedding_dim",
                                                         "hidden_dim", "dropout", "bridge", "tie_embeddings",
                                                         "attentional_dim")}
                config = TrainConfig(
                    # Absolute: the export reads them again for its checks, from any directory.
                    train=[_absolute(path) for path in options["train_path"]],
                    valid=[str(Path(path).absolute()) for path in options["valid_path"]],
                    extra={"command": shlex.join(["s2s-train", *sys.argv[1:]])},
                    **{k: options[k] for k in ("out", "source_lang", "target_lang", "tokenizer", "vocab_size", "max_length",
                                               "epochs", "max_minutes", "batch_size", "lr", "lr_schedule", "lr_decay",
                                               "lr_decay_start", "lr_decay_every", "lr_patience", "select_by",
                                               "early_stopping", "param_init",
                                               "teacher_forcing", "label_smoothing", "precision", "placeholders", "grad_clip", "seed", "device", "threads",
                                               "valid_bleu_samples", "valid_every", "save_every_minutes")},
                    init_from=str(Path(options["init_from"]).absolute()) if options["init_from"] else None,
                    replay=options["replay"],
                    replay_from=parent_corpora(options["init_from"]) if options["init_from"] and options["replay"] else [],
                )
                trainer = Trainer.start(config, model_options)
            if trainer.is_main:
                click.echo(f"parameters: {trainer.model.parameter_count():,}; training pairs: "
                           f"{len(trainer.train_data.source_ids):,} (skipped: {trainer.skipped['empty']} empty, "
                           f"{trainer.skipped['too_long']} too long)", err=True)
            result = trainer.run()
    except KeyboardInterrupt:
        if trainer is not None and trainer.saved_on_interrupt:
            click.echo("s2s-train: interrupted; checkpoint-last/ saved, continue with --resume", err=True)
        else:
            click.echo("s2s-train: interrupted before training started; nothing was saved", err=True)
        sys.exit(130)
    finally:
        signal.signal(signal.SIGTERM, previous_sigterm)
    state = result.state
    if not trainer.is_main:
        return
    if state.best_epoch == 0:
        best = ("no validated checkpoint-best/ yet" if trainer.valid_sets
                else f"checkpoint-best/ holds the last state, unvalidated: {result.best_checkpoint}")
        click.echo(f"done: {state.stop_reason}; no epoch completed yet, so no validation ({best}); checkpoint-last/ "
                   "holds the weights: continue with --resume", err=True)
        return
    scores = f"valid BLEU {state.best_bleu:.2f}" + (f", loss {state.best_loss:.3f}" if state.best_loss is not None else "")
    click.echo(f"done: {state.stop_reason}; best epoch {state.best_epoch} ({scores}); "
               f"best checkpoint: {result.best_checkpoint}", err=True)


_MODEL_AND_TOKENIZER_OPTIONS = ("cell", "attention", "layers", "bidirectional", "embedding_dim", "hidden_dim", "bridge",
                                "tie_embeddings", "attentional_dim", "tokenizer", "vocab_size")


def _absolute(path: str) -> str:
    """A corpus path made absolute (a JSON pair SOURCE.json:TARGET.json side by side)."""
    from .memories import json_pair

    pair = json_pair(path)
    if pair is not None:
        return ":".join(str(side.absolute()) for side in pair)
    return str(Path(path).absolute())


def _given(name: str) -> bool:
    context = click.get_current_context()
    return context.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
