"""The one line reader: lines, bytes and sha256 of what was read, and lines cut while reading so
that memory stays bounded whatever the input."""

from __future__ import annotations

import hashlib
import io

import pytest

from s2s.runtime.errors import InputError
from s2s.runtime.line_reader import LineReader


def test_lines_bytes_and_digest():
    data = "un\r\ndeux\n\ntrois".encode()
    reader = LineReader(io.BytesIO(data), "x")
    assert list(reader) == ["un", "deux", "", "trois"]
    assert (reader.lines_read, reader.bytes_read, reader.digest()) == (4, len(data), hashlib.sha256(data).hexdigest())


def test_a_line_longer_than_the_limit_is_cut_while_read_and_the_rest_still_counted():
    long_line = ("é" * 40).encode() + b"x" * 10_000  # the cut falls inside a two-byte character
    data = long_line + b"\nnext\n"
    reader = LineReader(io.BytesIO(data), "x", max_line_bytes=41)
    assert list(reader) == ["é" * 20, "next"]  # 41 bytes: 20 characters, the half of the 21st dropped
    assert reader.lines_cut == 1 and reader.bytes_read == len(data)
    assert reader.digest() == hashlib.sha256(data).hexdigest()  # what a resumed job compares


class _Endless(io.RawIOBase):
    """/dev/zero as a stream: bytes without end, never a line end."""

    def __init__(self, limit: int) -> None:
        self.left = limit

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        n = min(len(buffer), self.left)
        buffer[:n] = b"\0" * n
        self.left -= n
        return n


def test_memory_stays_bounded_on_an_endless_line():
    import tracemalloc

    stream = io.BufferedReader(_Endless(64 << 20))  # 64 MiB without a newline
    tracemalloc.start()
    lines = list(LineReader(stream, "zero", max_line_bytes=1 << 20))
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert len(lines) == 1 and len(lines[0]) == 1 << 20
    assert peak < 8 << 20  # it used to hold the whole line: gigabytes for /dev/zero


def test_invalid_utf8_names_the_line():
    with pytest.raises(InputError, match="line 2: invalid UTF-8"):
        list(LineReader(io.BytesIO(b"ok\n\xff\n"), "x"))


def test_the_one_tsv_reader_gives_pairs_and_sources(tmp_path):
    from s2s.runtime.line_reader import read_pairs, read_sources

    tsv = tmp_path / "pairs.tsv"
    tsv.write_text("one\tun\textra\n\ntwo\tdeux\n", encoding="utf-8")
    assert read_pairs(tsv) == [("one", "un"), ("", ""), ("two", "deux")]  # a blank line: an empty pair
    assert read_sources(tsv) == ["one", "", "two"]
    tsv.write_text("one\tun\nno tab here\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"pairs.tsv, line 2: no tab; expected source<TAB>reference"):
        read_pairs(tsv, "reference")


def test_batched_bounds_lines_and_characters():
    from s2s.runtime.line_reader import batched

    assert list(batched(["a", "b", "c"], 2)) == [["a", "b"], ["c"]]
    assert list(batched(["aaaa", "b", "cccc", "d"], 10, max_chars=4)) == [["aaaa"], ["b", "cccc"], ["d"]]
    assert list(batched([], 3)) == []
