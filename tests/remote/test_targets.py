"""SSH targets of the direct mode: `[user@]host[:port]` (IPv6 in brackets) and the hosts file, bad lines named."""

from __future__ import annotations

import pytest

from fleetcompat.remote.target import TargetError, parse_target, read_hosts_file


@pytest.mark.parametrize(("text", "user", "host", "port"), [
    ("node1", None, "node1", 22),
    ("ops@node1:2222", "ops", "node1", 2222),
    ("[fe80::1%eth0]:22", None, "fe80::1%eth0", 22),
    ("root@[::1]:2200", "root", "::1", 2200),
    ("2001:db8::7", None, "2001:db8::7", 22),
])
def test_targets(text, user, host, port):
    target = parse_target(text)
    assert (target.user, target.host, target.port, target.name) == (user, host, port, text)


@pytest.mark.parametrize("text", ["a@b@c", "node:99999", "node:", "[::1", "a b"])
def test_bad_targets(text):
    with pytest.raises(TargetError):
        parse_target(text)


def test_hosts_file_names_the_bad_line(tmp_path):
    path = tmp_path / "hosts"
    path.write_text("# fleet\nnode1\n\nops@node2:2222  # rack 4\nbad host\n")
    with pytest.raises(TargetError, match=rf"{path}:5"):
        read_hosts_file(str(path))
    path.write_text("node1\nops@node2:2222 # rack 4\n")
    assert [t.name for t in read_hosts_file(str(path))] == ["node1", "ops@node2:2222"]
