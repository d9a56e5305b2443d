"""s2s-desktop: a translator window over the public runtime API (`Translator`).

    python -m s2s_desktop                 # the window
    python -m s2s_desktop --self-test     # translate one sentence without a window, exit 0 or 1

Source text on the left, translation on the right, translated as you type on a worker thread
(the window never waits for the model); a model picker lists the packaged and installed models
with their language pairs; Cancel drops the translation in progress; Copy puts the translation on
the clipboard.
"""

from __future__ import annotations

import argparse
import queue
import sys
import time

SELF_TEST_SENTENCE = "I am a student."
DEBOUNCE_MS = 300  # typing pauses this long before a translation is asked for
POLL_MS = 30  # how often the window looks for finished translations


def self_test(model: str | None) -> int:
    """Translate one sentence with the runtime, print it and the time taken; 0 if it gave text."""
    from s2s.runtime import Translator

    started = time.perf_counter()
    translator = Translator.load(model)
    loaded = time.perf_counter()
    text = translator.translate([SELF_TEST_SENTENCE])[0]
    done = time.perf_counter()
    print(f"{SELF_TEST_SENTENCE} -> {text}")
    print(f"model {translator.bundle.origin.name}: loaded in {loaded - started:.2f} s, translated in "
          f"{done - loaded:.3f} s")
    return 0 if text.strip() else 1


class TranslatorWindow:
    def __init__(self, root, model: str | None = None) -> None:
        import tkinter as tk
        from tkinter import ttk

        from s2s.runtime import installed_models

        from .worker import TranslationWorker

        self.root = root
        root.title("s2s translator")
        root.geometry("900x420")
        self.models = {f"{m.name} ({m.source or '?'} → {m.target or '?'})": str(m.path) for m in installed_models()}
        bar = ttk.Frame(root, padding=6)
        bar.pack(fill="x")
        ttk.Label(bar, text="Model:").pack(side="left")
        self.model = tk.StringVar(value=next(iter(self.models), ""))
        if model is not None:
            self.models = {model: model, **self.models}
            self.model.set(model)
        picker = ttk.Combobox(bar, textvariable=self.model, values=list(self.models), state="readonly", width=40)
        picker.pack(side="left", padx=6)
        picker.bind("<<ComboboxSelected>>", lambda _: self.schedule())
        ttk.Button(bar, text="Copy", command=self.copy).pack(side="right")
        ttk.Button(bar, text="Cancel", command=self.cancel).pack(side="right", padx=6)
        self.status = tk.StringVar(value="Type to translate.")
        ttk.Label(root, textvariable=self.status, padding=6, anchor="w").pack(side="bottom", fill="x")
        panes = ttk.Frame(root, padding=(6, 0))
        panes.pack(fill="both", expand=True)
        # Two equal columns whatever the window's size (a Text asks for 80x24 characters otherwise).
        panes.columnconfigure(0, weight=1, uniform="pane")
        panes.columnconfigure(1, weight=1, uniform="pane")
        panes.rowconfigure(0, weight=1)
        self.source = tk.Text(panes, wrap="word", undo=True, font=("TkDefaultFont", 12), width=1, height=1)
        self.target = tk.Text(panes, wrap="word", font=("TkDefaultFont", 12), state="disabled", background="#f4f4f4",
                              width=1, height=1)
        self.source.grid(row=0, column=0, sticky="nsew", padx=(0, 3))
        self.target.grid(row=0, column=1, sticky="nsew", padx=(3, 0))
        self.source.bind("<<Modified>>", self._edited)
        # Tk may be called from its own thread only: the worker hands results over through a
        # queue that the window polls.
        self._outcomes: queue.SimpleQueue = queue.SimpleQueue()
        self.worker = TranslationWorker(self._outcomes.put)
        self._poll()
        self._timer: str | None = None
        self._request = 0
        root.protocol("WM_DELETE_WINDOW", self.close)
        self.source.focus_set()

    def _edited(self, _event) -> None:
        if self.source.edit_modified():
            self.source.edit_modified(False)
            self.schedule()

    def schedule(self) -> None:
        """Ask for a translation once typing pauses."""
        if self._timer is not None:
            self.root.after_cancel(self._timer)
        self._timer = self.root.after(DEBOUNCE_MS, self.translate)

    def translate(self) -> None:
        self._timer = None
        text = self.source.get("1.0", "end-1c")
        if not text.strip():
            self._set_target("")
            self.status.set("Type to translate.")
            return
        self._request = self.worker.submit(self.models.get(self.model.get()), text)
        self.status.set("Translating…")

    def cancel(self) -> None:
        if self._timer is not None:
            self.root.after_cancel(self._timer)
            self._timer = None
        self.worker.cancel()
        self.status.set("Cancelled.")

    def copy(self) -> None:
        self.root.clipboard_clear()
        self.root.clipboard_append(self.target.get("1.0", "end-1c"))
        self.status.set("Translation copied.")

    def _poll(self) -> None:
        while True:
            try:
                self._show(self._outcomes.get_nowait())
            except queue.Empty:
                break
        self.root.after(POLL_MS, self._poll)

    def _show(self, outcome) -> None:
        if outcome.request != self._request:
            return  # an older request's result
        if outcome.error is not None:
            self.status.set(f"Error: {outcome.error}")
            return
        self._set_target(outcome.text)
        self.status.set(f"Translated in {outcome.seconds * 1000:.0f} ms.")

    def _set_target(self, text: str) -> None:
        self.target.configure(state="normal")
        self.target.delete("1.0", "end")
        self.target.insert("1.0", text)
        self.target.configure(state="disabled")

    def close(self) -> None:
        self.worker.close()
        self.root.destroy()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="s2s-desktop", description="A translator window over s2s-onnx bundles.")
    parser.add_argument("-m", "--model", help="a bundle path or installed model name (default: the packaged model)")
    parser.add_argument("--self-test", action="store_true", help="translate one sentence without a window and exit")
    parser.add_argument("--text", help="start with this source text (it is translated at once)")
    args = parser.parse_args(argv)
    if args.self_test:
        try:
            return self_test(args.model)
        except Exception as exc:  # a frozen app's missing file or library: one line, exit 1
            print(f"s2s-desktop: self-test failed: {exc}", file=sys.stderr)
            return 1
    import tkinter as tk

    try:
        root = tk.Tk()
    except tk.TclError as exc:
        print(f"s2s-desktop: cannot open a window ({exc}); --self-test runs without one", file=sys.stderr)
        return 2
    window = TranslatorWindow(root, args.model)
    if args.text:
        window.source.insert("1.0", args.text)
    root.mainloop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
