"""The Python desktop host (hosts/desktop): the worker that keeps the window free, the self-test a
frozen build runs, and the window itself on a virtual screen (Xvfb)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hosts" / "desktop"))

from s2s_desktop.worker import Outcome, TranslationWorker  # noqa: E402

from s2s.runtime import InputError  # noqa: E402


class _SlowTranslator:
    def __init__(self, gate: threading.Event) -> None:
        self.gate = gate

    def translate(self, texts):
        self.gate.wait(5)
        return [t.upper() for t in texts]


def _collect(worker_factory):
    delivered: list[Outcome] = []
    done = threading.Event()

    def deliver(outcome: Outcome) -> None:
        delivered.append(outcome)
        done.set()

    return worker_factory(deliver), delivered, done


def test_the_latest_request_wins_and_older_results_are_dropped():
    gate = threading.Event()
    worker, delivered, done = _collect(lambda deliver: TranslationWorker(deliver, lambda model: _SlowTranslator(gate)))
    worker.submit(None, "first")  # running, held at the gate
    time.sleep(0.1)
    worker.submit(None, "second")  # replaced before it starts
    last = worker.submit(None, "third")
    gate.set()
    deadline = time.monotonic() + 10
    while not any(o.request == last for o in delivered) and time.monotonic() < deadline:
        time.sleep(0.01)
    worker.close()
    assert [o.text for o in delivered] == ["THIRD"]  # "first" finished stale, "second" never ran


def test_cancel_drops_the_running_translation():
    gate = threading.Event()
    worker, delivered, _ = _collect(lambda deliver: TranslationWorker(deliver, lambda model: _SlowTranslator(gate)))
    worker.submit(None, "text")
    time.sleep(0.1)
    worker.cancel()
    gate.set()
    time.sleep(0.3)
    worker.close()
    assert delivered == []


def test_a_model_that_cannot_load_is_one_line_in_the_status():
    def refuse(model):
        raise InputError(f"model bundle not found: {model}")

    worker, delivered, done = _collect(lambda deliver: TranslationWorker(deliver, refuse))
    worker.submit("nowhere", "text")
    assert done.wait(5)
    worker.close()
    assert delivered[0].error == "model bundle not found: nowhere" and delivered[0].text is None


def test_self_test_translates_without_a_window():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "hosts" / "desktop"), "DISPLAY": ""}
    run = subprocess.run([sys.executable, "-m", "s2s_desktop", "--self-test"], capture_output=True, text=True,
                         env=env, timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.startswith("I am a student. -> ") and run.stdout.splitlines()[0].split("-> ")[1].strip()


@pytest.fixture
def virtual_screen():
    if os.environ.get("DISPLAY") and not os.environ.get("S2S_XVFB"):
        yield os.environ["DISPLAY"]
        return
    xvfb = shutil.which("Xvfb")
    if xvfb is None:
        if os.environ.get("S2S_REQUIRE_DISPLAY"):
            pytest.fail("S2S_REQUIRE_DISPLAY is set but Xvfb is not installed (apt-get install xvfb)")
        pytest.skip("no display and no Xvfb (apt-get install xvfb)")
    display = f":{90 + os.getpid() % 500}"
    server = subprocess.Popen([xvfb, display, "-screen", "0", "1024x600x24", "-nolisten", "tcp"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)
    try:
        yield display
    finally:
        server.terminate()
        server.wait(10)


def test_the_window_translates_as_you_type_and_never_blocks(virtual_screen, monkeypatch, tmp_path):
    import tkinter as tk

    from s2s.runtime import Translator
    from s2s_desktop.app import TranslatorWindow

    monkeypatch.setenv("DISPLAY", virtual_screen)
    root = tk.Tk()
    window = TranslatorWindow(root)
    text = "I am a student. The weather is nice today."
    window.source.insert("1.0", text)
    expected = Translator.load().translate([text])[0]
    deadline = time.monotonic() + 30
    longest_frame = 0.0
    while time.monotonic() < deadline and window.target.get("1.0", "end-1c") != expected:
        started = time.perf_counter()
        root.update()
        longest_frame = max(longest_frame, time.perf_counter() - started)
        time.sleep(0.01)
    assert window.target.get("1.0", "end-1c") == expected
    assert window.status.get().startswith("Translated in")
    assert longest_frame < 0.5  # the model ran on the worker thread, not in the window's loop
    folder = os.environ.get("S2S_SCREENSHOT_DIR")
    if folder:
        from PIL import ImageGrab

        ImageGrab.grab(xdisplay=virtual_screen).crop((0, 0, 900, 420)).save(Path(folder) / "desktop-window.png")
    window.close()


def test_a_bug_in_one_request_is_shown_and_the_next_request_still_runs():
    class Flaky:
        def translate(self, lines):
            if lines == ["boom"]:
                raise KeyError("a bug")  # not the project's own error: it killed the worker thread
            return [line.upper() for line in lines]

    delivered, arrived = [], threading.Semaphore(0)

    def deliver(outcome):
        delivered.append(outcome)
        arrived.release()

    worker = TranslationWorker(deliver, lambda model: Flaky())
    worker.submit(None, "boom")
    assert arrived.acquire(timeout=5)
    worker.submit(None, "fine")
    assert arrived.acquire(timeout=5)  # was never answered: "Translating…" forever
    worker.close()
    assert delivered[0].error.startswith("internal error (KeyError") and delivered[1].text == "FINE"
