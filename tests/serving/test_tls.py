"""TLS and mutual TLS between `LocalServer` and `ServingClient`, with certificates made in the
test by the `openssl` command (a throwaway CA, a server certificate for localhost/127.0.0.1 and a
client certificate), and the safe defaults: 127.0.0.1, range-checked limits."""

import shutil
import subprocess

import grpc
import numpy as np
import pytest

from tests.serving.conftest import images
from tf_ivg.serving.client import ServingClient, ServingError
from tf_ivg.serving.server import LocalServer

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command")


def _openssl(*args, cwd):
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True, timeout=60)


def _signed(folder, name, subject, extensions):
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    _openssl("req", *key, "-keyout", f"{name}.key", "-out", f"{name}.csr", "-subj", subject, cwd=folder)
    (folder / f"{name}.ext").write_text(extensions)
    _openssl(
        "x509",
        "-req",
        "-in",
        f"{name}.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-days",
        "2",
        "-out",
        f"{name}.pem",
        "-extfile",
        f"{name}.ext",
        cwd=folder,
    )


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    """Folder with ca.pem, server.pem/.key (localhost, 127.0.0.1), client.pem/.key, other_ca.pem."""
    folder = tmp_path_factory.mktemp("certs")
    key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
    for ca in ("ca", "other_ca"):
        _openssl("req", "-x509", *key, "-keyout", f"{ca}.key", "-out", f"{ca}.pem", "-days", "2", "-subj",
                 f"/CN=tf-ivg test {ca}", cwd=folder)  # fmt: skip
    _signed(folder, "server", "/CN=localhost", "subjectAltName=DNS:localhost,IP:127.0.0.1\n")
    _signed(folder, "client", "/CN=tf-ivg test client", "extendedKeyUsage=clientAuth\n")
    return folder


def _expect_refused(target, **tls):
    with ServingClient(target, timeout=5.0, retries=0, **tls) as client:
        with pytest.raises(ServingError) as caught:
            client.status("tiny")
    assert caught.value.code == grpc.StatusCode.UNAVAILABLE, caught.value


def test_tls_round_trip_and_plaintext_refused(exported, certs):
    base, model = exported
    with LocalServer(
        base, port=0, poll_seconds=0, tls_cert=certs / "server.pem", tls_key=certs / "server.key"
    ) as server:
        assert server.tls and server.host == "127.0.0.1"
        target = f"127.0.0.1:{server.port}"
        x = images(2, seed=4)
        with ServingClient(target, timeout=20, root_certificates=certs / "ca.pem") as client:
            assert client.tls
            np.testing.assert_allclose(client.predict("tiny", image=x)["logits"], model(x)[0], atol=1e-5)
        pem = (certs / "ca.pem").read_bytes()
        with ServingClient(f"localhost:{server.port}", timeout=20, root_certificates=pem) as client:
            assert client.status("tiny")[0]["state"] == "AVAILABLE"
        _expect_refused(target)  # plaintext client
        _expect_refused(target, root_certificates=certs / "other_ca.pem")  # server not trusted
        _expect_refused(target, root_certificates=certs / "ca.pem", tls_server_name="elsewhere.example")


def test_mutual_tls(exported, certs):
    base, model = exported
    server_files = {"tls_cert": certs / "server.pem", "tls_key": certs / "server.key"}
    with LocalServer(base, port=0, poll_seconds=0, tls_client_ca=certs / "ca.pem", **server_files) as server:
        target = f"127.0.0.1:{server.port}"
        client_files = {"client_cert": certs / "client.pem", "client_key": certs / "client.key"}
        with ServingClient(target, timeout=20, root_certificates=certs / "ca.pem", **client_files) as client:
            x = images(1, seed=8)
            np.testing.assert_allclose(client.predict("tiny", image=x)["logits"], model(x)[0], atol=1e-5)
        _expect_refused(target, root_certificates=certs / "ca.pem")  # no client certificate
        _expect_refused(target)  # plaintext


def test_tls_configuration_errors(exported, certs):
    base, _ = exported
    with pytest.raises(ValueError, match="both a certificate and its private key"):
        LocalServer(base, port=0, tls_cert=certs / "server.pem")
    with pytest.raises(ValueError, match="needs the server's own certificate"):
        LocalServer(base, port=0, tls_client_ca=certs / "ca.pem")
    with pytest.raises(FileNotFoundError, match="missing.pem"):
        LocalServer(base, port=0, tls_cert=certs / "missing.pem", tls_key=certs / "server.key")
    with pytest.raises(ValueError, match="not a PEM file"):
        LocalServer(base, port=0, tls_cert=certs / "server.ext", tls_key=certs / "server.key")
    with pytest.raises(ValueError, match="client_cert and client_key"):
        ServingClient("127.0.0.1:1", client_cert=certs / "client.pem")
    with pytest.raises(FileNotFoundError, match="nope.pem"):
        ServingClient("127.0.0.1:1", root_certificates=certs / "nope.pem")


def test_safe_defaults_and_range_checks(exported):
    base, _ = exported
    server = LocalServer(base, port=0)
    try:
        assert server.host == "127.0.0.1" and not server.tls
        assert server.limits.max_batch == 64 and not server.limits.allow_non_finite
    finally:
        server.stop(0)
    bad = [
        ({"port": 70000}, "port must be an integer 0..65535"),
        ({"port": -1}, "port"),
        ({"poll_seconds": -1}, "poll_seconds"),
        ({"poll_seconds": float("nan")}, "poll_seconds"),
        ({"max_batch": 0}, "max_batch must be an integer 1"),
        ({"max_batch": 2.5}, "max_batch"),
        ({"max_message_bytes": 2**31}, "max_message_bytes"),
        ({"max_workers": 0}, "max_workers"),
        ({"host": "no-such-host.invalid"}, "host 'no-such-host.invalid' does not resolve"),
        ({"host": ""}, "host is empty"),
    ]
    for kwargs, words in bad:
        with pytest.raises(ValueError, match=words):
            LocalServer(base, **{"port": 0, **kwargs})
