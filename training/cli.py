"""`s2s-train`: a thin command-line layer over `s2s.training.Trainer`."""

from __future__ import annotations

import logging
import shlex
import sys

import click

from .config import ATTENTIONS, CELLS, TOKENIZERS, TrainConfig
from .errors import TrainingInputError


@click.command(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--train", "train_path", metavar="PATH",
              help="Training pairs: a TSV file (source<TAB>target), or a prefix read as PATH.<lang> with "
                   "--source-lang/--target-lang. Required unless --resume.")
@click.option("--valid", "valid_path", metavar="PATH", help="Validation pairs, same forms as --train (for BLEU, model selection, early stopping).")
@click.option("--out", required=True, metavar="DIR", help="Run directory: checkpoint-best/, checkpoint-last/, metrics.jsonl, curves.png.")
@click.option("--source-lang", metavar="L", help="Source language suffix (e.g. de) for prefix-form data.")
@click.option("--target-lang", metavar="L", help="Target language suffix (e.g. en) for prefix-form data.")
@click.option("--cell", type=click.Choice(CELLS), default="gru", show_default=True, help="Recurrent cell.")
@click.option("--attention", type=click.Choice(ATTENTIONS), default="luong", show_default=True,
              help="none: the classic fixed-size context vector; luong (general: the new decoder state queries "
                   "the encoder states; trains fastest) or bahdanau (additive: the previous state queries, the "
                   "context feeds the recurrence).")
@click.option("--layers", type=click.IntRange(min=1), default=1, show_default=True, help="Recurrent layers (encoder and decoder).")
@click.option("--bidirectional/--no-bidirectional", default=True, show_default=True, help="Bidirectional encoder.")
@click.option("--embedding-dim", type=click.IntRange(min=1), default=256, show_default=True)
@click.option("--hidden-dim", type=click.IntRange(min=1), default=512, show_default=True)
@click.option("--dropout", type=click.FloatRange(0, 1, max_open=True), default=0.3, show_default=True)
@click.option("--tie-embeddings/--no-tie-embeddings", default=True, show_default=True,
              help="Share the target embedding matrix with the output layer.")
@click.option("--tokenizer", type=click.Choice(TOKENIZERS), default="bpe", show_default=True)
@click.option("--vocab-size", type=click.IntRange(min=8), default=8000, show_default=True, help="Per-side vocabulary size (upper bound).")
@click.option("--max-length", type=click.IntRange(min=1), default=64, show_default=True, help="Skip training pairs longer than this many tokens.")
@click.option("--epochs", type=click.IntRange(min=1), default=30, show_default=True)
@click.option("--max-minutes", type=click.FloatRange(min=0, min_open=True), help="Stop cleanly (after saving) after this many minutes.")
@click.option("--batch-size", type=click.IntRange(min=1), default=64, show_default=True, help="Sentence pairs per batch.")
@click.option("--lr", type=click.FloatRange(min=0, min_open=True), default=1e-3, show_default=True, help="Adam learning rate.")
@click.option("--lr-decay", type=click.FloatRange(0, 1, min_open=True), default=0.5, show_default=True,
              help="Multiply the learning rate by this when validation BLEU stops improving.")
@click.option("--lr-patience", type=click.IntRange(min=0), default=1, show_default=True,
              help="Epochs without validation BLEU gain before each learning-rate decay (0: never decay).")
@click.option("--early-stopping", type=click.IntRange(min=0), default=4, show_default=True,
              help="Stop after this many epochs without validation BLEU gain (0: never).")
@click.option("--teacher-forcing", type=click.FloatRange(0, 1), default=1.0, show_default=True,
              help="Probability of feeding the reference previous token; below 1 mixes in the model's own predictions.")
@click.option("--label-smoothing", type=click.FloatRange(0, 1, max_open=True), default=0.1, show_default=True)
@click.option("--grad-clip", type=click.FloatRange(min=0), default=1.0, show_default=True, help="Gradient norm clip (0: off).")
@click.option("--seed", type=int, default=1234, show_default=True)
@click.option("--threads", type=click.IntRange(min=1), help="CPU threads (default: all cores).")
@click.option("--valid-bleu-samples", type=click.IntRange(min=1), help="Decode only the first N validation pairs for BLEU each epoch.")
@click.option("--resume", is_flag=True, help="Continue the run in --out from checkpoint-last/ (its saved settings win).")
def main(**options) -> None:
    """Train an RNN encoder-decoder translator with teacher forcing.

    \b
    Example (English -> French on Tatoeba):
      s2s-train --train data/tatoeba-eng-fra/train.tsv --valid data/tatoeba-eng-fra/valid.tsv --out runs/eng-fra
    Example (German -> English on Multi30k, one file per language):
      s2s-train --train data/multi30k/train --valid data/multi30k/val --source-lang de --target-lang en --out runs/deu-eng
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S", stream=sys.stderr)
    try:
        from .trainer import Trainer

        if options["resume"]:
            trainer = Trainer.resume(options["out"], epochs=options["epochs"] if _given("epochs") else None,
                                     max_minutes=options["max_minutes"])
            # Provenance: a model card lists every command that trained the model, resumes included.
            extra = trainer.config.extra
            extra["resume_commands"] = [*extra.get("resume_commands", []), shlex.join(["s2s-train", *sys.argv[1:]])]
        elif options["train_path"] is None:
            raise TrainingInputError("--train is required (unless --resume continues a run)")
        else:
            model_options = {k: options[k] for k in ("cell", "attention", "layers", "bidirectional", "embedding_dim",
                                                     "hidden_dim", "dropout", "tie_embeddings")}
            config = TrainConfig(
                train=options["train_path"],
                valid=options["valid_path"],
                extra={"command": shlex.join(["s2s-train", *sys.argv[1:]])},
                **{k: options[k] for k in ("out", "source_lang", "target_lang", "tokenizer", "vocab_size", "max_length",
                                           "epochs", "max_minutes", "batch_size", "lr", "lr_decay", "lr_patience",
                                           "early_stopping",
                                           "teacher_forcing", "label_smoothing", "grad_clip", "seed", "threads",
                                           "valid_bleu_samples")},
            )
            trainer = Trainer.start(config, model_options)
        click.echo(f"parameters: {trainer.model.parameter_count():,}; training pairs: {len(trainer.train_data.source_ids):,} "
                   f"(skipped: {trainer.skipped['empty']} empty, {trainer.skipped['too_long']} too long)", err=True)
        result = trainer.run()
    except (TrainingInputError, ValueError) as exc:
        click.echo(f"s2s-train: error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("s2s-train: interrupted; checkpoint-last/ saved, continue with --resume", err=True)
        sys.exit(130)
    state = result.state
    click.echo(f"done: {state.stop_reason}; best epoch {state.best_epoch} (valid BLEU {state.best_bleu:.2f}); "
               f"best checkpoint: {result.best_checkpoint}", err=True)


def _given(name: str) -> bool:
    context = click.get_current_context()
    return context.get_parameter_source(name) is not click.core.ParameterSource.DEFAULT
