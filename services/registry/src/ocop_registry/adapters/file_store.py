"""Where dossier files live: a local folder, content-addressed by sha256
(`<root>/<first two hex digits>/<sha256>`), each file written atomically (temp file, then
rename) so a crash never leaves a half-written file under its final name."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Protocol


class FileStore(Protocol):
    def put(self, content: bytes) -> tuple[str, int]: ...
    def open(self, sha256: str) -> bytes: ...


class StoredFileMissing(FileNotFoundError):
    """No stored file has that checksum."""


class LocalFileStore:
    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError(f"not a sha256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256

    def put(self, content: bytes) -> tuple[str, int]:
        """Store `content`; its sha256 (hex) and size. Storing the same bytes twice keeps
        one file."""
        digest = hashlib.sha256(content).hexdigest()
        path = self._path(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".upload-")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(content)
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temp, path)
            except BaseException:
                Path(temp).unlink(missing_ok=True)
                raise
        return digest, len(content)

    def open(self, sha256: str) -> bytes:
        """The stored bytes (StoredFileMissing when there are none); callers verify them."""
        try:
            return self._path(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise StoredFileMissing(sha256) from exc
