"""Reading a bundle: every file its manifest lists is read once, bounded by the size announced,
and checked against its sha256 before anything uses it (docs/bundle-format.md)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BundleError
from .contract import MANIFEST, MAX_MANIFEST_BYTES, MODEL_CARD
from .manifest import FileEntry, Manifest


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class Bundle:
    """A verified bundle, held in memory: every file the manifest lists was read once, checked
    against its sha256 and byte count, and is served from those bytes (nothing else is read,
    and no file can change between the check and its use)."""

    manifest: Manifest
    origin: Path  # what the user gave: the directory or the .zip
    files: dict[str, bytes] = field(default_factory=dict, repr=False)

    @property
    def path(self) -> Path | None:
        """The bundle directory (None for a .zip bundle)."""
        return self.origin if self.origin.is_dir() else None

    def read(self, name: str) -> bytes:
        """The verified bytes of one of the bundle's files."""
        try:
            return self.files[name]
        except KeyError:
            raise BundleError(f"{self.origin} has no verified file {name}") from None


def _verified(name: str, data: bytes, entry: FileEntry, origin: Path) -> bytes:
    if len(data) != entry.bytes or hashlib.sha256(data).hexdigest() != entry.sha256:
        if name == MODEL_CARD:
            raise BundleError(f"checksum mismatch: {name} in {origin} was edited; the model card is verified like every "
                              "file of a bundle (it states what the model is): restore it, or re-export the bundle")
        raise BundleError(f"checksum mismatch: {name} in {origin} is corrupt or was modified")
    return data


def _read_directory(directory: Path) -> Bundle:
    manifest_path = directory / MANIFEST
    if manifest_path.is_symlink():
        # Like every listed file: a link could lead anywhere (out of the bundle, a device).
        raise BundleError(f"{manifest_path} is a symbolic link; a bundle's files must be regular files in it")
    if not manifest_path.is_file():
        raise BundleError(f"not a model bundle: {directory} has no {MANIFEST}")
    manifest = Manifest.read(directory)
    files = {}
    for name, entry in manifest.files.items():
        path = directory / name
        if path.is_symlink() or not path.is_file():
            raise BundleError(f"incomplete bundle {directory}: {name} is missing" if not path.exists()
                              else f"{path} is not a plain file of the bundle")
        with open(path, "rb") as handle:
            data = handle.read(entry.bytes + 1)  # never more than the manifest announces
        files[name] = _verified(name, data, entry, directory)
    return Bundle(manifest=manifest, origin=directory, files=files)


def _read_zip(origin: Path) -> Bundle:
    """Read the listed members of a .zip bundle into memory, each capped at its announced size
    (nothing is extracted to disk; unlisted members are ignored)."""
    import zipfile

    try:
        archive = zipfile.ZipFile(origin)
    except (zipfile.BadZipFile, OSError) as exc:
        raise BundleError(f"{origin} is not a readable .zip bundle ({exc})") from None
    with archive:
        members = {info.filename: info for info in archive.infolist() if not info.is_dir()}
        # The files sit at the zip's root or inside one folder.
        prefix = ""
        if MANIFEST not in members:
            candidates = [name for name in members if name.count("/") == 1 and name.endswith("/" + MANIFEST)]
            if len(candidates) != 1:
                raise BundleError(f"not a model bundle: {origin} holds no {MANIFEST}")
            prefix = candidates[0][: -len(MANIFEST)]

        def read(name: str, limit: int) -> bytes:
            info = members.get(prefix + name)
            if info is None:
                raise BundleError(f"incomplete bundle {origin}: {name} is missing")
            if info.file_size > limit:
                raise BundleError(f"{origin}: {name} is larger than its manifest entry allows")
            try:
                with archive.open(info) as handle:
                    return handle.read(limit + 1)
            except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError) as exc:
                raise BundleError(f"{origin}: cannot read {name} ({exc})") from None

        data = read(MANIFEST, MAX_MANIFEST_BYTES)
        if len(data) > MAX_MANIFEST_BYTES:
            raise BundleError(f"{origin}: {MANIFEST} is too large to be a manifest")
        manifest = Manifest.from_bytes(data, f"{origin}:{MANIFEST}")
        files = {name: _verified(name, read(name, entry.bytes), entry, origin) for name, entry in manifest.files.items()}
    return Bundle(manifest=manifest, origin=origin, files=files)


def load_bundle(path: str | Path) -> Bundle:
    """Open a bundle directory or .zip: check its manifest, and read and verify every file it lists."""
    origin = Path(path)
    if not origin.exists():
        raise BundleError(f"model bundle not found: {origin}")
    if origin.is_dir():
        return _read_directory(origin)
    if not origin.is_file():
        # A device, a FIFO or a socket would be read without end (or block): never opened.
        raise BundleError(f"not a model bundle: {origin} is neither a directory nor a regular file")
    import zipfile  # imported here: directory bundles (the common case) never need it

    if not zipfile.is_zipfile(origin):
        raise BundleError(f"{origin} is neither a bundle directory nor a .zip bundle")
    return _read_zip(origin)
