"""The bundle's README.md (model card), generated from its manifest and nothing else."""

from __future__ import annotations

from typing import Any

from .contract import ACTIVATIONS_FIXED_OR_PER_ROW, BATCH_INVARIANT_ACTIVATIONS


def _paths(paths) -> str:
    """Corpus paths as code spans: one path (older manifests) or a list of them."""
    if not paths:
        return "none"
    return ", ".join(f"`{p}`" for p in ([paths] if isinstance(paths, str) else paths))


def _mib(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MiB"


def _data_section(data: dict[str, Any] | None, languages: dict[str, Any]) -> list[str]:
    """What the model saw, and so where it will fail."""
    if not data:
        return []
    lines = ["## Training data and where the model will fail", ""]
    for corpus in data["corpora"]:
        domain = f": {corpus['domain']}" if corpus.get("domain") else ""
        lines.append(f"- `{corpus['path']}`, {corpus['pairs']:,} sentence pairs{domain}")
        sources = corpus.get("sources") or []
        if sources:
            lines.append("  - from " + "; ".join(f"{s['source']} ({s['pairs']:,}, {s['licence']})" for s in sources))
    tokens, words = data["source_tokens"], data["source_words"]
    lines += [
        f"- source sentences: median {words['p50']} words ({tokens['p50']} tokens), 90% at most {words['p90']} "
        f"words, 99% at most {words['p99']}, longest {words['max']} words ({tokens['max']} tokens)",
        "",
        "It translates best what resembles that text. Expect errors on:",
        "",
        f"- sentences longer than about {words['p99']} words, and above all beyond {tokens['max']} tokens, a length "
        "it never saw (words dropped or repeated; the runtime warns once per run): split long text into sentences "
        "(s2s-translate does, on by default)",
        "- other domains and registers (technical, legal, medical, news, literary text) and rare words, names and "
        "numbers, which the subword vocabulary splits into pieces it saw in other contexts",
        "- text in all capitals or without punctuation, unlike the training text",
        "",
    ]
    return lines


def length_penalty_note(beam_size: int, length_penalty: float) -> str:
    """", length penalty X" where it changed what beam search picked (beam > 1, X not the default 1)."""
    return f", length penalty {length_penalty:g}" if beam_size > 1 and length_penalty != 1.0 else ""


def render_model_card(manifest: dict[str, Any]) -> str:
    arch = manifest["architecture"]
    prov = manifest.get("provenance", {})
    languages = manifest.get("languages", {})
    verification = manifest.get("verification", {})
    lines = [
        f"# {manifest.get('name', 'model')}"
        + (f": {languages['source']} → {languages['target']}" if languages.get("source") and languages.get("target") else ""),
        "",
        "An RNN encoder-decoder translation model bundle for the s2s-onnx runtime "
        "(`s2s-translate -m THIS_DIRECTORY`), or any ONNX Runtime host (see the bundle format documentation).",
        "",
        "## Model",
        "",
        f"- {arch['cell'].upper()} encoder-decoder, {arch['layers']} layer(s), "
        f"{'bidirectional' if arch['bidirectional'] else 'unidirectional'} encoder, "
        f"attention: {arch['attention']}",
        f"- embedding {arch['embedding_dim']}, hidden {arch['hidden_dim']}, "
        f"vocabularies {arch['source_vocab_size']:,} (source) / {arch['target_vocab_size']:,} (target), "
        f"tied output embeddings: {'yes' if arch.get('tie_embeddings') else 'no'}",
        f"- parameters: {arch.get('parameters', 0):,}",
        f"- precision: {manifest['onnx']['precision']}, ONNX opset {manifest['onnx']['opset']}",
        "",
        "## Files",
        "",
        "| file | size | sha256 |",
        "|---|---|---|",
    ]
    for name, entry in manifest["files"].items():
        if name == "README.md":
            continue
        lines.append(f"| {name} | {_mib(entry['bytes'])} | `{entry['sha256'][:16]}…` |")
    total = sum(e["bytes"] for n, e in manifest["files"].items() if n != "README.md")
    lines += [f"| total (without this card) | {_mib(total)} | |", ""]
    lines += _data_section(manifest.get("training_data"), languages)
    protection = manifest.get("protection")
    if protection:
        lines += ["## Protection", "",
                  f"Trained to carry placeholders ({100 * protection['trained_share']:.0f}% of the training pairs that held a "
                  f"name, number or code had them as placeholders: {', '.join(protection.get('rules', []))}), so the "
                  "runtime protects numbers, names, codes, URLs, e-mail addresses, paths and your glossary and keep "
                  "terms by default (`--no-protect` turns it off).", ""]
    lines += ["## Training", ""]
    parent = prov.get("fine_tuned_from")
    if parent:
        tuned_on = ", ".join(f"`{m['path']}` ({m['bytes']:,} bytes, sha256 `{(m['sha256'] or ['?'])[0][:16]}…`)"
                             for m in parent.get("memories", [])) or "the data below"
        replay = parent.get("replay")
        lines += [f"Fine-tuned from `{parent['path']}`" + (f" ({parent['name']}, model.json sha256 "
                                                          f"`{parent['manifest_sha256'][:16]}…`)" if parent.get("name") else "")
                  + f" on {tuned_on}" + (f", {100 * replay['share']:.0f}% of the pairs replayed from its own training "
                                         f"data" if replay else "") + ".", ""]
    if prov.get("training_command"):
        lines += ["```", prov["training_command"], *prov.get("resume_commands", []), "```", ""]
    training = prov.get("training", {})
    if training:
        data = f"- data: {_paths(training.get('train'))} (validation: {_paths(training.get('valid'))})"
        if isinstance(training.get("training_pairs"), int):
            data += f"; {training['training_pairs']:,} training pairs"
        lines.append(data)
        if training.get("epochs_completed") is not None:
            lines.append(
                f"- {training['epochs_completed']} epochs in {training.get('training_minutes', 0):.1f} minutes"
                + (f" ({training['stop_reason']})" if training.get("stop_reason") else "")
                + f"; best epoch {training.get('best_epoch')}"
            )
        if training.get("best_valid_bleu") is not None:
            lines.append(f"- validation BLEU (greedy, sacreBLEU) at the best epoch: {training['best_valid_bleu']:.2f}")
        if training.get("machine"):
            lines.append(f"- machine: {training['machine']}")
        lines.append("")
    lines += ["## Export", ""]
    if prov.get("export_command"):
        lines += ["```", prov["export_command"], "```", ""]
    rewrites = [prov[key] for key in ("one_call_command", "requantize_command") if prov.get(key)]
    if rewrites:
        lines += ["Rewritten since by these commands, which keep the int8 weights as exported:", "",
                  "```", *rewrites, "```", ""]
    fp32 = verification.get("fp32_parity")
    if fp32:
        lines.append(f"- fp32 parity with PyTorch: {fp32['summary']}")
    int8 = verification.get("int8")
    if int8 and "greedy_agreement" in int8:
        lines.append(
            f"- int8: greedy output identical to fp32 for {100 * int8['greedy_agreement']:.1f}% of "
            f"{int8['sentences']} sentences (threshold {100 * int8['threshold']:.0f}%); graphs "
            f"{_mib(int8['fp32_bytes'])} → {_mib(int8['int8_bytes'])}"
        )
    if int8 and int8.get("activation_quantisation") in BATCH_INVARIANT_ACTIVATIONS:
        form = ("with a fixed scale where proved within [-1, 1], per row elsewhere"
                if int8["activation_quantisation"] == ACTIVATIONS_FIXED_OR_PER_ROW else "per row")
        counts = int8.get("activations")
        if counts:
            form += f" ({counts['fixed']} fixed, {counts['per_row']} per row)"
        lines.append(
            f"- int8 activations quantised {form}: output identical at batch sizes 1, 7 and 64 for all "
            f"{int8['batch_invariant_sentences']} sample sentences (a translation never depends on its batch)"
        )
    lines.append("")
    evaluation = manifest.get("evaluation")
    if evaluation:
        lines += ["## Evaluation", ""]
        for result in evaluation:
            protection = {True: ", protected", False: ", unprotected (--no-protect)"}.get(result.get("protected"), "")
            penalty = length_penalty_note(result["beam_size"], result.get("length_penalty", 1.0))
            lines.append(
                f"- `{result['test']}` ({result['sentences']:,} sentences), beam {result['beam_size']}{penalty}{protection}: "
                f"BLEU {result['bleu']:.2f}, chrF {result['chrf']:.2f}; {result['sentences_per_second']:.0f} sentences/s "
                f"on {result.get('threads', '?')} thread(s)"
            )
            if result.get("by_length"):
                lines.append("  by source length: " + ", ".join(
                    f"{b['words']} words ({b['sentences']:,}): {b['bleu']:.2f}" for b in result["by_length"]))
            if result.get("command"):
                lines.append(f"  (`{result['command']}`)")
            if result.get("signature"):
                lines.append(f"  sacreBLEU signature: `{result['signature']}`")
        lines.append("")
    if manifest.get("attribution"):
        lines += ["## Data licence and attribution", "", manifest["attribution"], ""]
    return "\n".join(lines)
