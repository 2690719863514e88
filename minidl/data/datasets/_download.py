"""Downloading and unpacking datasets safely.

* :func:`download_url` writes to a temporary file beside the target, checks the MD5 and
  only then renames it into place, so an interrupted or corrupted download never leaves
  a file that looks complete.
* :func:`extract_archive` unpacks a tar archive into a temporary folder and renames the
  result into place. It refuses members that would land outside the target (absolute
  paths, ``..``), links, and device files, and it writes the files itself instead of
  trusting the archive's metadata.
* Offline, a :class:`DownloadError` says which file to fetch from where and where to put it.

Example:
    >>> import os
    >>> default_root() == os.environ.get("MINIDL_DATA", os.path.expanduser("~/.cache/minidl"))
    True
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.request

__all__ = ["DownloadError", "default_root", "md5sum", "check_md5", "download_url",
           "extract_archive"]


class DownloadError(RuntimeError):
    """A download failed (no network, bad checksum); the message says how to fix it by hand."""


def default_root() -> str:
    """The data folder: ``$MINIDL_DATA`` if set, else ``~/.cache/minidl``."""
    return os.environ.get("MINIDL_DATA") or os.path.join(os.path.expanduser("~"), ".cache",
                                                          "minidl")


def md5sum(path: str, chunk_size: int = 1 << 20) -> str:
    """The hex MD5 digest of a file, read in chunks.

    Example:
        >>> import tempfile, os
        >>> with tempfile.NamedTemporaryFile(delete=False) as f:
        ...     _ = f.write(b"abc")
        >>> md5sum(f.name)
        '900150983cd24fb0d6963f7d28e17f72'
        >>> os.remove(f.name)
    """
    digest = hashlib.md5(usedforsecurity=False)
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(chunk_size), b""):
            digest.update(chunk)
    return digest.hexdigest()


def check_md5(path: str, md5: str | None) -> bool:
    """True if ``path`` exists and (when ``md5`` is given) has that MD5 digest."""
    if not os.path.isfile(path):
        return False
    return md5 is None or md5sum(path) == md5.lower()


def _manual_instructions(url: str, path: str, md5: str | None) -> str:
    checksum = f" (MD5 {md5})" if md5 else ""
    return (f"Download {url} by hand{checksum} and save it as {path}, or set MINIDL_DATA "
            "to a folder that already holds it.")


def download_url(url: str, path: str, md5: str | None = None, progress: bool = True,
                 timeout: float = 30.0) -> str:
    """Download ``url`` to the file ``path`` unless a file with the right MD5 is there.

    Args:
        url: where to fetch the file.
        path: the destination file (its folder is created).
        md5: the expected hex MD5 digest; a mismatch deletes the download and raises.
        progress: show a tqdm progress bar on stderr.
        timeout: seconds to wait for the server.

    Returns:
        ``path``.

    Raises:
        DownloadError: offline or unreachable (with instructions), or a wrong checksum.
    """
    if check_md5(path, md5):
        return path
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".download-", suffix=".part")
    try:
        try:
            with os.fdopen(fd, "wb") as out, urllib.request.urlopen(url, timeout=timeout) as resp:
                total = int(resp.headers.get("Content-Length") or 0) or None
                from tqdm import tqdm
                with tqdm(total=total, unit="B", unit_scale=True, disable=not progress,
                          desc=os.path.basename(path)) as bar:
                    for chunk in iter(lambda: resp.read(1 << 16), b""):
                        out.write(chunk)
                        bar.update(len(chunk))
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise DownloadError(
                f"download_url: could not download {url}: {reason}. This machine may be "
                f"offline. {_manual_instructions(url, path, md5)}") from exc
        if md5 is not None:
            got = md5sum(tmp)
            if got != md5.lower():
                raise DownloadError(
                    f"download_url: the file from {url} has MD5 {got}, expected {md5}; it was "
                    f"deleted. {_manual_instructions(url, path, md5)}")
        os.replace(tmp, path)  # atomic: the file appears complete or not at all
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _safe_members(tar: tarfile.TarFile, archive: str):
    """The archive's members after checking that each stays inside the target folder."""
    members = []
    for m in tar.getmembers():
        name = m.name.replace("\\", "/")
        parts = [p for p in name.split("/") if p not in ("", ".")]
        if name.startswith("/") or (len(name) > 1 and name[1] == ":") or ".." in parts:
            raise ValueError(f"extract_archive: {archive} holds the path {m.name!r}, which "
                             "would be written outside the target folder; refusing to extract")
        if not (m.isfile() or m.isdir()):
            kind = "link" if (m.issym() or m.islnk()) else "special file"
            raise ValueError(f"extract_archive: {archive} holds a {kind} {m.name!r}; only "
                             "regular files and folders are extracted, refusing to extract")
        members.append((m, parts))
    return members


def extract_archive(archive: str, dest: str | None = None) -> str:
    """Unpack a tar archive (plain, .gz, .bz2 or .xz) into the folder ``dest``.

    Extraction goes to a temporary folder inside ``dest``; each top-level entry is then
    renamed into ``dest`` (entries already there are kept, so a finished extraction is
    never overwritten half-way).

    Args:
        archive: path of the archive.
        dest: target folder (default: the archive's folder).

    Returns:
        ``dest``.

    Raises:
        ValueError: a member is absolute, contains ``..``, is a link or a special file.
    """
    dest = os.path.abspath(dest or os.path.dirname(os.path.abspath(archive)))
    os.makedirs(dest, exist_ok=True)
    with tarfile.open(archive, "r:*") as tar:
        members = _safe_members(tar, archive)
        tmp = tempfile.mkdtemp(dir=dest, prefix=".extract-")
        try:
            for member, parts in members:
                if not parts:
                    continue
                target = os.path.join(tmp, *parts)
                if member.isdir():
                    os.makedirs(target, exist_ok=True)
                    continue
                os.makedirs(os.path.dirname(target), exist_ok=True)
                with tar.extractfile(member) as src, open(target, "wb") as out:
                    shutil.copyfileobj(src, out)
            for entry in sorted(os.listdir(tmp)):
                final = os.path.join(dest, entry)
                if not os.path.exists(final):
                    os.replace(os.path.join(tmp, entry), final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return dest
