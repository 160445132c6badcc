"""Hostile registries: each case ends, through the real CLI in a child process, in exit 2 and one exact line naming
the image and what happened, within a bounded wall time (the image's deadline plus generous slack for a loaded
2-core CI machine) — or, for the credential cases, works without the credentials ever reaching another host.
Servers listen on 127.0.0.1 (the registry) and 127.0.0.2 (another host); nothing leaves 127.0.0.0/8."""

from __future__ import annotations

import base64
import json
import re
import shutil
from urllib.parse import parse_qs, urlsplit

import pytest

from fleetcompat.registry import Credential, RegistryClient, RegistryOptions
from fleetcompat.registry.client import OCI_INDEX, OCI_MANIFEST, Repository
from tests.support.hostile import fleetcompat
from tests.support.registry_hostile_servers import (
    CLI_WALL_S,
    OTHER_HOST,
    ScriptedServer,
    image_manifest,
    one_line_error,
)
from tests.support.registry_images import features_json, push_image, spec_yaml
from tests.support.registry_servers import (
    PASSWORD,
    REGISTRY_BINARY,
    USER,
    RegistryFront,
    RegistryProcess,
    htpasswd_auth,
    tls_material,
)

DEADLINE = 2  # --registry-timeout for the slow cases
SLACK = 15  # process start-up on a loaded machine; a hang, or the old behaviour (20 s and more), is beyond
MANIFEST, DIGEST = image_manifest()
NAME_UNKNOWN = b'{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known"}]}'


@pytest.fixture
def home(tmp_path):
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def features(tmp_path):
    path = tmp_path / "features.json"
    path.write_text(json.dumps(features_json("AVX2")))
    return path


@pytest.fixture
def serve():
    """serve(script, address="127.0.0.1", tls=None) -> a running ScriptedServer, stopped after the test."""
    servers = []

    def start(script, address="127.0.0.1", tls=None) -> ScriptedServer:
        servers.append(ScriptedServer(script, address, tls))
        return servers[-1]

    yield start
    for server in servers:
        server.stop()


def validate(home, features, host: str, *extra, stdin: str = "", ca=None):
    """`validate --image HOST/app:v1`: plain HTTP, or HTTPS verified with the CA bundle `ca`."""
    transport = ["--registry-ca", ca] if ca else ["--plain-http-registry", host]
    return fleetcompat("validate", "--image", f"{host}/app:v1", "--features", features, *transport,
                       "--cache-dir", home / "cache", *extra, home=home, stdin=stdin, wall_s=CLI_WALL_S)


def serve_manifest(handler) -> None:
    handler.reply(200, MANIFEST, {"Content-Type": OCI_MANIFEST, "Docker-Content-Digest": DIGEST})


def deadline_message(url: str) -> str:
    return re.escape(f"GET {url}: no complete answer within the {DEADLINE}s deadline; gave up after 1 attempt in ") \
        + r"\d+\.\ds"


# -- time: every socket operation ends at the image's deadline ------------------------------------------------


def trickle_headers(handler) -> None:
    handler.wfile.write(b"HTTP/1.1 200 OK\r\nX-Slow: ")
    while not handler.owner.stopping.wait(0.3):  # each byte well within the 5 s read timeout, forever
        handler.wfile.write(b"a")
        handler.wfile.flush()


def slow_redirects(handler) -> None:
    if not handler.owner.stopping.wait(0.8):
        hop = int(parse_qs(urlsplit(handler.path).query).get("hop", ["0"])[0])
        handler.reply(302, headers={"Location": f"/v2/app/manifests/v1?hop={hop + 1}"})


def slow_endless_body(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", OCI_MANIFEST)
    handler.send_header("Connection", "close")
    handler.end_headers()
    while not handler.owner.stopping.wait(0.2):
        handler.wfile.write(b" " * 1024)
        handler.wfile.flush()


@pytest.mark.parametrize("script", [trickle_headers, slow_redirects, slow_endless_body],
                         ids=["trickled-headers", "slow-redirects", "slow-endless-body"])
def test_slow_registry_ends_at_the_deadline(serve, home, features, script):
    registry = serve(script)
    run = validate(home, features, registry.host, "--registry-timeout", DEADLINE)
    assert re.fullmatch(deadline_message(f"http://{registry.host}/v2/app/manifests/v1"),
                        one_line_error(run, f"{registry.host}/app:v1"))
    assert run.seconds < DEADLINE + SLACK


def test_trickled_headers_over_tls_end_at_the_deadline(serve, home, features, tmp_path):
    """The watchdog shuts down the socket under the TLS layer too."""
    ca, cert, key = tls_material(tmp_path / "tls")
    registry = serve(trickle_headers, tls=(cert, key))
    ref = f"{registry.host}/app:v1"
    run = validate(home, features, registry.host, "--registry-timeout", DEADLINE, ca=ca)
    assert re.fullmatch(deadline_message(f"https://{registry.host}/v2/app/manifests/v1"), one_line_error(run, ref))
    assert run.seconds < DEADLINE + SLACK


@pytest.mark.parametrize("location", ["/v2/app/manifests/v1", "/v2/app/manifests/v1?hop={n}"])
def test_redirect_loop_and_long_chain_stop_after_5_hops(serve, home, features, location):
    def redirect(handler) -> None:
        handler.reply(307, headers={"Location": location.format(n=len(handler.owner.seen))})

    registry = serve(redirect)
    run = validate(home, features, registry.host)
    url = f"http://{registry.host}/v2/app/manifests/v1"
    assert one_line_error(run, f"{registry.host}/app:v1") == f"GET {url}: more than 5 redirects (the last to {url})"
    assert len(registry.seen) == 6  # the request and 5 hops, not retried
    assert run.seconds < SLACK


# -- referrers: pages and entries are capped, and the deadline holds across pages -----------------------------


def endless_referrers(per_page: int, pause: float = 0.0):
    def script(handler) -> None:
        url = urlsplit(handler.path)
        if "/manifests/" in url.path:
            serve_manifest(handler)
            return
        if handler.owner.stopping.wait(pause):
            return
        page = int(parse_qs(url.query).get("page", ["0"])[0])
        entries = [{"mediaType": OCI_MANIFEST, "digest": f"sha256:{page * per_page + k:064x}", "size": 100,
                    "artifactType": "application/vnd.example.other"} for k in range(per_page)]
        body = json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode()
        handler.reply(200, body, {"Content-Type": OCI_INDEX,
                                  "Link": f'</v2/app/referrers/{DIGEST}?page={page + 1}>; rel="next"'})

    return script


@pytest.mark.parametrize(("per_page", "expected", "requests"), [
    (1, f"referrers of app@{DIGEST}: more than 100 pages (the registry's Link pagination does not end)", 101),
    (2500, f"referrers of app@{DIGEST}: more than 10000 referrers", 6),
])
def test_endless_referrers_pagination_is_capped(serve, home, features, per_page, expected, requests):
    registry = serve(endless_referrers(per_page))
    run = validate(home, features, registry.host, "--registry-timeout", 30)
    assert one_line_error(run, f"{registry.host}/app:v1") == expected
    assert len(registry.seen) == requests  # the manifest, then the pages
    assert run.seconds < 30


def test_slow_referrers_pages_share_the_image_deadline(serve, home, features):
    registry = serve(endless_referrers(1, pause=0.4))
    run = validate(home, features, registry.host, "--registry-timeout", DEADLINE)
    page_url = rf"http://{re.escape(registry.host)}/v2/app/referrers/{DIGEST}\?\S+"
    error = one_line_error(run, f"{registry.host}/app:v1")
    # Between two pages the deadline may pass before the next one is sent.
    assert re.fullmatch(rf"GET {page_url}: (no complete answer within the {DEADLINE}s deadline; gave up after 1 "
                        rf"attempt in \d+\.\ds|not sent: the {DEADLINE}s deadline had passed)", error), error
    assert run.seconds < DEADLINE + SLACK


# -- bodies: capped by kind ----------------------------------------------------------------------------------


def endless_body(handler) -> None:
    handler.send_response(200)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Connection", "close")
    handler.end_headers()
    chunk = b"[" * 65536
    while not handler.owner.stopping.is_set():
        handler.wfile.write(chunk)


def bearer_registry(token_answer):
    """A registry wanting a bearer token from its own /token, which answers with `token_answer(handler)`; with
    the token `good-token` the repository is unknown (so a usable token shows as 'repository not found')."""

    def script(handler) -> None:
        if handler.path.startswith("/token"):
            token_answer(handler)
        elif handler.headers.get("Authorization") == "Bearer good-token":
            handler.reply(404, NAME_UNKNOWN, {"Content-Type": "application/json"})
        else:
            realm = f"http://{handler.headers['Host']}/token"
            handler.reply(401, b"{}", {"WWW-Authenticate": f'Bearer realm="{realm}",service="hostile"'})

    return script


def test_endless_manifest_body_is_capped(serve, home, features):
    registry = serve(endless_body)
    run = validate(home, features, registry.host)
    assert one_line_error(run, f"{registry.host}/app:v1") == (
        f"GET http://{registry.host}/v2/app/manifests/v1: content is over the 4194304-byte limit")
    assert run.seconds < SLACK


def test_endless_token_answer_is_capped_at_64_kib(serve, home, features):
    registry = serve(bearer_registry(endless_body))
    run = validate(home, features, registry.host)
    assert one_line_error(run, f"{registry.host}/app:v1") == (
        f"token request to http://{registry.host}/token: content is over the 65536-byte limit")
    assert run.seconds < SLACK


NO_TOKEN = ("the answer holds no usable token (token/access_token must be a non-empty string of visible ASCII "
            "characters)")
BAD_LIFETIME = "expires_in is not a positive number of seconds"


@pytest.mark.parametrize(("answer", "expected"), [
    (b"<html>sign in</html>", "the answer is not a JSON object"),
    (b'["good-token"]', "the answer is not a JSON object"),
    (b'{"token": ""}', NO_TOKEN),
    (b'{"token": 12345}', NO_TOKEN),
    (b'{"access_token": {"value": "good-token"}}', NO_TOKEN),
    (b'{"token": "good-token\\r\\nX-Injected: 1"}', NO_TOKEN),
    (json.dumps({"token": "t" * 20000}).encode(), "the token is 20000 characters, over the 16384 limit"),
    (b'{"token": "good-token", "expires_in": -5}', BAD_LIFETIME),
    (b'{"token": "good-token", "expires_in": NaN}', BAD_LIFETIME),
    (b'{"token": "good-token", "expires_in": "300"}', BAD_LIFETIME),
    (b'{"token": "good-token", "expires_in": true}', BAD_LIFETIME),
])
def test_garbage_token_answer(serve, home, features, answer, expected):
    registry = serve(bearer_registry(lambda handler: handler.reply(200, answer,
                                                                   {"Content-Type": "application/json"})))
    run = validate(home, features, registry.host)
    error = one_line_error(run, f"{registry.host}/app:v1")
    assert error == f"token request to http://{registry.host}/token: {expected}"
    assert run.seconds < SLACK


def test_usable_token_answer_is_used(serve, home, features):
    """The control case for the garbage answers: a sane answer gets as far as the (unknown) repository."""
    registry = serve(bearer_registry(lambda handler: handler.reply(
        200, b'{"access_token": "good-token", "expires_in": 300}', {"Content-Type": "application/json"})))
    run = validate(home, features, registry.host)
    assert one_line_error(run, f"{registry.host}/app:v1") == (
        "manifest app:v1: repository not found (NAME_UNKNOWN: repository name not known)")


# -- credentials: only to the registry's own origin ------------------------------------------------------------


def test_plain_http_token_realm_on_another_host_gets_no_credentials(serve, home, features):
    token_service = serve(lambda handler: handler.reply(200, b'{"token": "good-token"}'), OTHER_HOST)

    def registry_script(handler) -> None:
        if handler.headers.get("Authorization") == "Bearer good-token":
            handler.reply(404, NAME_UNKNOWN, {"Content-Type": "application/json"})
        else:
            handler.reply(401, b"{}", {"WWW-Authenticate":
                                       f'Bearer realm="http://{token_service.host}/token",service="hostile"'})

    registry = serve(registry_script)
    ref = f"{registry.host}/app:v1"
    run = validate(home, features, registry.host, "--registry-username", USER, "--registry-password-stdin",
                   stdin=PASSWORD)
    assert one_line_error(run, ref) == (
        f"token request to http://{token_service.host}/token: refused: a plain-HTTP token service on another host "
        f"than the registry {registry.host}; the credential from --registry-username is sent there only over HTTPS")
    assert token_service.seen == []
    assert run.seconds < SLACK
    # Without credentials there is nothing to leak: an anonymous token is fetched from there as usual.
    run = validate(home, features, registry.host)
    assert one_line_error(run, ref) == "manifest app:v1: repository not found (NAME_UNKNOWN: repository name not known)"
    assert [seen.authorization for seen in token_service.seen] == [None]


def test_plain_http_token_realm_on_the_host_of_an_https_registry_gets_no_credentials(serve, home, features,
                                                                                     tmp_path):
    """Same host name, but the registry is HTTPS: sending the password in the clear to its token service would be
    a downgrade. (The same realm for a registry configured plain HTTP is allowed: tests/registry's token auth.)"""
    ca, cert, key = tls_material(tmp_path / "tls")
    token_service = serve(lambda handler: handler.reply(200, b'{"token": "good-token"}'))
    registry = serve(lambda handler: handler.reply(401, b"{}", {
        "WWW-Authenticate": f'Bearer realm="http://{token_service.host}/token",service="hostile"'}), tls=(cert, key))
    ref = f"{registry.host}/app:v1"
    run = validate(home, features, registry.host, "--registry-username", USER, "--registry-password-stdin",
                   stdin=PASSWORD, ca=ca)
    assert one_line_error(run, ref) == (
        f"token request to http://{token_service.host}/token: refused: a plain-HTTP token service for the HTTPS "
        f"registry {registry.host}; the credential from --registry-username is sent there only over HTTPS")
    assert token_service.seen == []
    assert run.seconds < SLACK


def test_challenge_from_a_redirect_target_on_another_host_is_not_answered(serve, home, features):
    """A CDN the registry redirects to answers 401 naming its own HTTPS token realm: the credential would go
    there if the challenge were answered like the registry's."""
    cdn = serve(lambda handler: handler.reply(401, b"{}", {
        "WWW-Authenticate": f'Bearer realm="https://{handler.headers["Host"]}/token",service="cdn"'}), OTHER_HOST)

    def registry_script(handler) -> None:
        if handler.headers.get("Authorization", "").startswith("Basic "):
            handler.reply(307, headers={"Location": f"http://{cdn.host}{handler.path}"})
        else:
            handler.reply(401, b"{}", {"WWW-Authenticate": 'Basic realm="registry"'})

    registry = serve(registry_script)
    run = validate(home, features, registry.host, "--registry-username", USER, "--registry-password-stdin",
                   stdin=PASSWORD)
    assert one_line_error(run, f"{registry.host}/app:v1") == (
        f"GET http://{registry.host}/v2/app/manifests/v1: unauthorized at {cdn.host}, which is not the registry "
        f"{registry.host}; its credentials are sent only to the registry")
    assert [seen.authorization for seen in cdn.seen] == [None]
    assert run.seconds < SLACK


def test_refresh_token_is_not_redirected_to_another_host(serve, home, features):
    """An OAuth2 refresh token (docker login's identitytoken) travels in the token POST's body, which a 307 would
    carry along to wherever it points."""
    elsewhere = serve(lambda handler: handler.reply(200, b'{"token": "good-token"}'), OTHER_HOST)
    registry = serve(bearer_registry(lambda handler: handler.reply(
        307, headers={"Location": f"http://{elsewhere.host}/token"})))
    docker = home / ".docker"
    docker.mkdir()
    (docker / "config.json").write_text(json.dumps({"auths": {registry.host: {
        "username": USER, "identitytoken": "refresh-token-0123456789"}}}))
    run = validate(home, features, registry.host)
    assert one_line_error(run, f"{registry.host}/app:v1") == (
        f"token request to http://{registry.host}/token: redirected to {elsewhere.host}, another host; the "
        "credential in the request is not sent there")
    assert elsewhere.seen == []
    assert run.seconds < SLACK


@pytest.fixture(scope="module")
def offsite_storage(tmp_path_factory):
    """The real registry (htpasswd) behind a front whose upload Locations and blob downloads point at storage on
    127.0.0.2, which authorizes what reaches it by itself (as signed storage URLs do): (front, storage)."""
    if not shutil.which(REGISTRY_BINARY):
        pytest.skip("docker-registry is not installed (scripts/setup.sh --test installs it)")
    workdir = tmp_path_factory.mktemp("registry-offsite")
    registry = RegistryProcess(workdir, auth=htpasswd_auth(workdir, {USER: PASSWORD}))
    basic = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    storage = RegistryFront(registry.host, referrers=False, address=OTHER_HOST, upstream_authorization=basic)
    front = RegistryFront(registry.host, referrers=False, offsite=storage.host)
    yield front, storage
    front.stop()
    storage.stop()
    registry.stop()


def test_upload_location_and_blob_cdn_on_another_host_get_no_credentials(offsite_storage, home, features, tmp_path):
    front, storage = offsite_storage
    client = RegistryClient(RegistryOptions(credentials={front.host: Credential(USER, PASSWORD)},
                                            plain_http_registries=frozenset({front.host}), cache_dir=None))
    push_image(client, Repository(front.host, "team/app"), "v1")
    spec = tmp_path / "spec.yaml"
    spec.write_bytes(spec_yaml("AVX2"))
    ref = f"{front.host}/team/app:v1"
    login = ["--plain-http-registry", front.host, "--registry-username", USER, "--registry-password-stdin"]
    front.reset_counts()
    storage.reset_counts()

    attached = fleetcompat("attach", ref, spec, *login, home=home, stdin=PASSWORD, wall_s=CLI_WALL_S)
    assert (attached.code, attached.stderr) == (0, ""), attached.stderr
    uploads = [path for method, path in storage.log if method == "PUT" and "/blobs/uploads/" in path]
    assert uploads, storage.log  # the blobs really went to the other host ...
    assert set(storage.authorizations) == {None}  # ... and it never saw the registry's credentials
    assert any(auth and auth.startswith("Basic ") for auth in front.authorizations)

    storage.reset_counts()
    validated = fleetcompat("validate", "--image", ref, "--features", features, "--cache-dir", home / "cache",
                            *login, home=home, stdin=PASSWORD, wall_s=CLI_WALL_S)
    assert (validated.code, validated.stderr) == (0, ""), validated.stderr
    assert any(method == "GET" and "/blobs/sha256:" in path for method, path in storage.log)  # the CDN served it
    assert set(storage.authorizations) == {None}
    assert attached.seconds + validated.seconds < 2 * SLACK


# -- options ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_nonsense_registry_timeout_is_refused(home, features, value):
    run = fleetcompat("validate", "--image", "127.0.0.1:9/app:v1", "--features", features,
                      "--registry-timeout", value, home=home, wall_s=CLI_WALL_S)
    assert (run.code, run.stdout) == (2, "")
    assert run.stderr == (f"fleetcompat: error: --registry-timeout: expected a positive number of seconds, "
                          f"got {float(value)!r}\n")
