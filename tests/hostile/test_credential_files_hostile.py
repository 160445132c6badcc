"""The operator's own files, when they are not what they seem: a hosts list, known_hosts, an identity file or a
registry auth file that is a FIFO or too big, and a registry cache holding FIFOs. None may block a run."""

from __future__ import annotations

import hashlib
import os
import time

from fleetcompat.registry.cache import SpecCache
from fleetcompat.registry.credentials import CredentialStore
from tests.support.hostile import SPEC, assert_one_line_error, fleetcompat, make_fifo


def test_hosts_file_fifo(tmp_path):
    hosts = make_fifo(tmp_path / "hosts.txt")
    assert_one_line_error(fleetcompat("gather", "--hosts", hosts), str(hosts), "hosts file: a FIFO")


def test_known_hosts_fifo_is_the_runs_error(tmp_path):
    known = make_fifo(tmp_path / "known_hosts")
    run = fleetcompat("gather", "--host", "127.0.0.1:1", "--known-hosts", known)
    assert_one_line_error(run, str(known), "known_hosts file: a FIFO")


def test_identity_fifo_and_oversized_identity(tmp_path):
    known = tmp_path / "known_hosts"
    known.write_text("")
    key = make_fifo(tmp_path / "id_ed25519")
    run = fleetcompat("gather", "--host", "127.0.0.1:1", "--known-hosts", known, "--identity", key)
    assert_one_line_error(run, str(key), "identity file: a FIFO")
    big = tmp_path / "id_big"
    with big.open("wb") as out:
        out.truncate(2 * 1024 * 1024)
    run = fleetcompat("gather", "--host", "127.0.0.1:1", "--known-hosts", known, "--identity", big)
    assert_one_line_error(run, str(big), "larger than 1 MiB", "FLEETCOMPAT_MAX_KEY_BYTES")


def test_known_hosts_malformed_lines_are_skipped(tmp_path):
    """Garbage lines are skipped as OpenSSH does; the unknown host is then refused, not trusted."""
    known = tmp_path / "known_hosts"
    known.write_text("garbage\n|1|x|y ssh-ed25519 AAAA\n127.0.0.1 ssh-ed25519 not-base64!\n")
    run = fleetcompat("validate", "--spec", SPEC, "--host", "127.0.0.1:1", "--known-hosts", known,
                      "--ssh-timeout", "5")
    assert run.code == 2 and "Traceback" not in run.stderr, run.stderr


def test_auth_file_fifo_and_garbage_are_skipped_with_a_warning(tmp_path, caplog):
    fifo = make_fifo(tmp_path / "auth.json")
    garbage = tmp_path / "config.json"
    garbage.write_text('{"auths": {"r.example": {"auth": "c2VjcmV0OnNlY3JldA=="}}, "x": ' + "9" * 5000 + "}")
    good = tmp_path / "good.json"
    good.write_text('{"auths": {"r.example": {"auth": "dXNlcjpwYXNz"}}}')
    store = CredentialStore(auth_files=[fifo, garbage, good])
    started = time.monotonic()
    credential = store.get("r.example", "app")
    assert time.monotonic() - started < 5
    assert (credential.username, credential.password) == ("user", "pass")
    assert f"ignoring unreadable auth file {fifo} (cannot read auth file: a FIFO" in caplog.text
    assert f"ignoring unreadable auth file {garbage} (not JSON that fleetcompat reads" in caplog.text
    assert "c2VjcmV0" not in caplog.text  # the reason never quotes an auth file's content


def test_registry_cache_fifos_are_misses(tmp_path):
    cache = SpecCache(tmp_path)
    data = b'{"schemaVersion": 2}'
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    cache.put_blob(digest, data)
    assert cache.get_blob(digest) == data
    blob = tmp_path / "blobs" / "sha256" / digest.split(":")[1]
    os.unlink(blob)
    make_fifo(blob)
    assert cache.get_blob(digest) is None  # a FIFO where a blob should be: a miss, at once
    registries = tmp_path / "registries"
    registries.mkdir(exist_ok=True)
    make_fifo(registries / "127.0.0.1_1.json")
    assert cache.referrers_api("127.0.0.1:1", 3600) is None
