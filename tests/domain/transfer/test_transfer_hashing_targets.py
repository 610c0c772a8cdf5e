from __future__ import annotations

import hashlib
import os

import keyring
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bioimage_depositor.domain import secrets
from bioimage_depositor.domain.secrets import PASSWORD_ENV, SecretStore, resolve_password
from bioimage_depositor.domain.transfer import targets
from bioimage_depositor.domain.transfer.ftp import FtpTransport
from bioimage_depositor.domain.transfer.hashing import HashAborted, StreamHasher
from bioimage_depositor.domain.transfer.local import FolderTransport
from bioimage_depositor.domain.transfer.targets import display_url, open_transport, parse_target
from bioimage_depositor.domain.transfer.transport import TransferError

DATA = os.urandom(300_000)


@settings(max_examples=40, deadline=None)
@given(
    start=st.integers(0, len(DATA)),
    chunk=st.integers(1, 70_000),
    keep=st.integers(1, 4),
    drop=st.sets(st.integers(0, 50), max_size=10),
)
def test_stream_hasher_matches_hashlib_however_the_bytes_arrive(tmp_path_factory, start, chunk, keep, drop):
    path = tmp_path_factory.mktemp("h") / "f.bin"
    path.write_bytes(DATA)
    hasher = StreamHasher(str(path), len(DATA), start=start, sha256=True, max_buffered=keep)
    for index, offset in enumerate(range(start, len(DATA), chunk)):
        if index not in drop:  # a dropped chunk is read back from the disk
            hasher.offer(offset, memoryview(DATA[offset : offset + chunk]))
    md5, sha = hasher.finish()
    assert md5 == hashlib.md5(DATA).hexdigest()
    assert sha == hashlib.sha256(DATA).hexdigest()


def test_stream_hasher_copies_reused_buffers_and_can_be_aborted(tmp_path):
    path = tmp_path / "f.bin"
    path.write_bytes(DATA)
    hasher = StreamHasher(str(path), len(DATA))
    buffer = bytearray(1000)
    for offset in range(0, len(DATA), 1000):
        buffer[:] = DATA[offset : offset + 1000]
        hasher.offer(offset, memoryview(buffer))
    buffer[:] = b"\0" * 1000  # the sender reuses its buffer: the hasher must not see this
    assert hasher.finish()[0] == hashlib.md5(DATA).hexdigest()
    waiting = StreamHasher(str(path), len(DATA), start=len(DATA))  # waits for chunks that never come
    waiting.abort()
    with pytest.raises(HashAborted):
        waiting.finish()
    missing = StreamHasher(str(tmp_path / "nope"), 10)
    with pytest.raises(OSError):
        missing.finish()


def test_display_url_never_shows_the_password():
    assert display_url("ftp://user:s3cret@host:2121/dir") == "ftp://user@host:2121/dir"
    assert display_url("ftp://host/dir") == "ftp://host/dir"
    target = parse_target("ftps://me:pa%40ss@ftp.example.org/a%20b")
    assert (target.scheme, target.username, target.password, target.host, target.path) == (
        "ftps", "me", "pa@ss", "ftp.example.org", "/a b")
    assert "pa@ss" not in repr(target) and "pa" not in target.display.split("@")[0].split("//")[1].replace("me", "")
    assert target.account == "ftps://me@ftp.example.org"


@pytest.mark.parametrize("url", ["http://host/x", "/data/folder", "C:/data", "s3://bucket/x", "ftp://host:99999/x"])
def test_unusable_targets_get_a_sentence(url):
    with pytest.raises(TransferError) as info:
        open_transport(url)
    assert info.value.code == "target.invalid" and info.value.permanent
    assert "file://" in str(info.value) or "Port" in str(info.value)


def test_schemes_build_their_transports_with_the_password():
    folder = open_transport("file:///tmp/somewhere")
    assert isinstance(folder, FolderTransport) and str(folder.root) == "/tmp/somewhere"
    ftp = open_transport("ftp://bob:inurl@127.0.0.1:2121/up/load", "given")
    assert isinstance(ftp, FtpTransport)
    assert (ftp.host, ftp.port, ftp.user, ftp.password, ftp.root, ftp.tls) == (
        "127.0.0.1", 2121, "bob", "given", "up/load", False)
    assert "given" not in repr(ftp) and "inurl" not in repr(ftp)
    assert open_transport("ftps://bob@127.0.0.1/x").tls


def test_a_missing_transport_module_is_not_available_rather_than_a_traceback(monkeypatch):
    monkeypatch.setitem(targets.SCHEME_MODULES, "globus", "no_such_transport_module")
    with pytest.raises(TransferError) as info:
        open_transport("globus://collection/path")
    assert info.value.code == "target.unavailable"
    assert "not available" in str(info.value)


def test_secret_store_falls_back_to_memory_with_the_fail_backend():
    store = SecretStore()
    assert not store.persistent and "only until the program ends" in store.notice
    store.set("ftp://u@h", "pw")
    assert store.get("ftp://u@h") == "pw"
    store.delete("ftp://u@h")
    assert store.get("ftp://u@h") is None


class BrokenKeyring(keyring.backend.KeyringBackend):
    priority = 5

    def get_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")

    def set_password(self, service, username, password):
        raise keyring.errors.KeyringLocked("locked")

    def delete_password(self, service, username):
        raise keyring.errors.KeyringLocked("locked")


class DictKeyring(keyring.backend.KeyringBackend):
    priority = 5

    def __init__(self):
        self.items = {}

    def get_password(self, service, username):
        return self.items.get((service, username))

    def set_password(self, service, username, password):
        self.items[(service, username)] = password

    def delete_password(self, service, username):
        self.items.pop((service, username))


def test_secret_store_uses_a_working_keyring_and_survives_a_locked_one(monkeypatch):
    working = DictKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: working)
    monkeypatch.setattr(keyring, "get_password", working.get_password)
    monkeypatch.setattr(keyring, "set_password", working.set_password)
    monkeypatch.setattr(keyring, "delete_password", working.delete_password)
    store = SecretStore()
    assert store.persistent
    store.set("acct", "pw")
    assert working.items == {(secrets.SERVICE, "acct"): "pw"} and store.get("acct") == "pw"
    broken = BrokenKeyring()
    monkeypatch.setattr(keyring, "get_keyring", lambda: broken)
    monkeypatch.setattr(keyring, "set_password", broken.set_password)
    locked = SecretStore()
    locked.set("acct", "pw2")  # falls back to memory and says so
    assert not locked.persistent and locked.get("acct") == "pw2" and locked.notice


def test_password_resolution_order_and_warning():
    store = SecretStore()
    store.set("ftp://u@h", "from-keyring")
    choice = resolve_password("in-url", "ftp://u@h", store, environ={PASSWORD_ENV: "from-env"})
    assert (choice.password, choice.source) == ("in-url", "url") and "shell history" in choice.warning
    assert "in-url" not in repr(choice)
    choice = resolve_password(None, "ftp://u@h", store, environ={PASSWORD_ENV: "from-env"})
    assert (choice.password, choice.source, choice.warning) == ("from-env", "environment", "")
    assert resolve_password(None, "ftp://u@h", store, environ={}).password == "from-keyring"
    assert resolve_password(None, "ftp://other@h", store, environ={}).source == "none"
