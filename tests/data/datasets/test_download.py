"""Downloads (checksums, atomic writes, offline message) and safe tar extraction."""
import hashlib
import io
import os
import tarfile
import urllib.error
import urllib.request

import pytest

from minidl.data.datasets._download import (DownloadError, check_md5, default_root,
                                            download_url, extract_archive, md5sum)


class FakeResponse(io.BytesIO):
    def __init__(self, payload):
        super().__init__(payload)
        self.headers = {"Content-Length": str(len(payload))}


def serve(monkeypatch, payload):
    calls = []

    def fake_urlopen(url, timeout=None):
        calls.append(url)
        return FakeResponse(payload)
    monkeypatch.setattr(urllib.request, "urlopen", fake_urlopen)
    return calls


def test_default_root_follows_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("MINIDL_DATA", str(tmp_path))
    assert default_root() == str(tmp_path)
    monkeypatch.delenv("MINIDL_DATA")
    assert default_root() == os.path.expanduser(os.path.join("~", ".cache", "minidl"))


def test_download_verifies_md5_and_renames(monkeypatch, tmp_path):
    payload = b"minidl" * 1000
    md5 = hashlib.md5(payload).hexdigest()
    calls = serve(monkeypatch, payload)
    target = tmp_path / "sub" / "file.bin"
    got = download_url("http://example.invalid/file.bin", str(target), md5, progress=False)
    assert got == str(target)
    assert target.read_bytes() == payload and md5sum(str(target)) == md5
    assert check_md5(str(target), md5) and not check_md5(str(target), "0" * 32)
    # a second call finds the verified file and does not download again
    download_url("http://example.invalid/file.bin", str(target), md5, progress=False)
    assert len(calls) == 1
    assert sorted(os.listdir(target.parent)) == ["file.bin"]  # no temporary files left


def test_corrupted_download_fails_md5_and_leaves_nothing(monkeypatch, tmp_path):
    serve(monkeypatch, b"corrupted bytes")
    target = tmp_path / "archive.tar.gz"
    with pytest.raises(DownloadError, match=r"has MD5 .*expected 0123") as info:
        download_url("http://example.invalid/archive.tar.gz", str(target), "0123" + "0" * 28,
                     progress=False)
    assert str(target) in str(info.value)
    assert os.listdir(tmp_path) == []


def test_offline_error_says_what_to_fetch_and_where(monkeypatch, tmp_path):
    def offline(url, timeout=None):
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    target = tmp_path / "cifar-10-binary.tar.gz"
    url = "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"
    with pytest.raises(DownloadError) as info:
        download_url(url, str(target), "c32a1d4ab5d03f1284b67883e8d87530", progress=False)
    msg = str(info.value)
    assert url in msg and str(target) in msg and "offline" in msg
    assert "c32a1d4ab5d03f1284b67883e8d87530" in msg and "name resolution" in msg
    assert os.listdir(tmp_path) == []


def test_offline_cifar_download_message(monkeypatch, tmp_path):
    from minidl.data.datasets import CIFAR10

    def offline(url, timeout=None):
        raise OSError("network is unreachable")
    monkeypatch.setattr(urllib.request, "urlopen", offline)
    with pytest.raises(DownloadError, match=r"cifar-10-binary\.tar\.gz.*extract it into"):
        CIFAR10(str(tmp_path), download=True)


def _tar(path, entries, mode="w:gz"):
    """Write a tar archive; entries are (TarInfo, bytes or None)."""
    with tarfile.open(path, mode) as tar:
        for info, data in entries:
            if data is not None:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
            else:
                tar.addfile(info)


def _file(name):
    return tarfile.TarInfo(name)


def test_extract_archive_writes_files_atomically(tmp_path):
    folder = tarfile.TarInfo("pack")
    folder.type = tarfile.DIRTYPE
    archive = tmp_path / "a.tar.gz"
    _tar(archive, [(folder, None), (_file("pack/x.txt"), b"x"), (_file("pack/sub/y.txt"), b"yy")])
    dest = tmp_path / "out"
    assert extract_archive(str(archive), str(dest)) == str(dest)
    assert (dest / "pack" / "x.txt").read_bytes() == b"x"
    assert (dest / "pack" / "sub" / "y.txt").read_bytes() == b"yy"
    assert sorted(os.listdir(dest)) == ["pack"]  # the temporary folder is gone


@pytest.mark.parametrize("name", ["../escape.txt", "/tmp/minidl-absolute.txt",
                                  "pack/../../escape.txt"])
def test_extract_refuses_paths_outside_target(tmp_path, name):
    archive = tmp_path / "evil.tar.gz"
    _tar(archive, [(_file("pack/ok.txt"), b"ok"), (_file(name), b"evil")])
    dest = tmp_path / "out"
    with pytest.raises(ValueError, match="outside the target"):
        extract_archive(str(archive), str(dest))
    assert not (tmp_path / "escape.txt").exists()
    assert not os.path.exists("/tmp/minidl-absolute.txt")
    assert not (dest / "pack").exists()  # nothing is extracted when any member is bad


@pytest.mark.parametrize("kind", [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.FIFOTYPE])
def test_extract_refuses_links_and_special_files(tmp_path, kind):
    link = tarfile.TarInfo("pack/link")
    link.type = kind
    link.linkname = "/etc/passwd"
    archive = tmp_path / "links.tar"
    _tar(archive, [(link, None)], mode="w")
    with pytest.raises(ValueError, match="refusing to extract"):
        extract_archive(str(archive), str(tmp_path / "out"))

