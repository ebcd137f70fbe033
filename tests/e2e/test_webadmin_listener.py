"""The web admin's HTTPS listener and accounts, driven through mmp: enable, disable,
status, certificates checked like `xmpp certs`, accounts by role, audit lines."""
import http.client
import ssl

import pytest

from webadmin_fixtures import PORT, WebNode, enable_webadmin, wait_https, web  # noqa: F401


def test_serves_https_with_the_nodes_certificate(web):
    ctx = web.context()
    with ssl.create_connection((web.node.address, PORT), timeout=5) as raw:
        with ctx.wrap_socket(raw, server_hostname=web.node.address) as tls:
            der = tls.getpeercert(binary_form=True)
    assert ssl.DER_cert_to_PEM_cert(der).split() == web.cert.read_text().split()[: len(ssl.DER_cert_to_PEM_cert(der).split())]
    out = web.node.mmp("webadmin", "status").stdout
    assert "Enabled, listening" in out, out
    assert f"https://{web.node.address}:{PORT}/" in out, out
    assert "web.crt (Certificate is valid" in out, out


def test_disable_stops_serving_and_status_says_so(web):
    web.node.mmp("webadmin", "disable")
    with pytest.raises(OSError):
        web.request("GET", "/login")
    out = web.node.mmp("webadmin", "status").stdout
    assert "Status              : Disabled" in out, out
    assert "URL" not in out, out
    web.node.mmp("webadmin", "enable")
    wait_https(web)


def test_enable_comes_back_after_a_restart(web):
    web.node.restart()
    wait_https(web)
    assert web.api("GET", "/api/v1/system/status")[0] == 200


def test_certs_refuses_bad_files_and_changes_nothing(web):
    before = (web.node.dir / "config.json").read_text()
    r = web.node.mmp("webadmin", "certs", "missing.key", "web.crt", check=False)
    assert r.returncode != 0
    assert "ERROR: file 'missing.key' not found" in r.stdout + r.stderr
    web.node.mmp("pki", "selfsigned", "other", "CN:other")
    r = web.node.mmp("webadmin", "certs", "other.key", "web.crt", check=False)
    assert r.returncode != 0, r.stdout
    assert (web.node.dir / "config.json").read_text() == before
    # Still served with the old certificate.
    assert web.api("GET", "/api/v1/system/status")[0] == 200


def test_listen_refuses_bad_interface_and_port(web):
    before = (web.node.dir / "config.json").read_text()
    for args in (("z", "445"), ("a", "0"), ("a", "70000"), ("a", "http")):
        r = web.node.mmp("webadmin", "listen", *args, check=False)
        assert r.returncode != 0, args
        assert "ERROR:" in r.stdout + r.stderr
    assert (web.node.dir / "config.json").read_text() == before


def test_enable_without_certificate_says_what_is_missing(node):
    r = node.mmp("webadmin", "enable", check=False)
    assert r.returncode != 0
    assert "ERROR: the web admin has no interface" in r.stdout + r.stderr
    node.mmp("webadmin", "listen", "a", str(PORT))
    r = node.mmp("webadmin", "enable", check=False)
    assert "ERROR: the web admin has no certificate" in r.stdout + r.stderr
    assert "Disabled" in node.mmp("webadmin", "status").stdout


def test_user_accounts_and_their_audit_lines(web):
    node = web.node
    out = node.mmp("user", "list").stdout
    assert [line.split() for line in out.splitlines()] == [["ops", "admin"], ["robot", "api"], ["viewer", "audit"]]
    assert "viewer-pass-123" not in (node.dir / "config.json").read_text()
    r = node.mmp("user", "add", "ops", "admin", input="x-pass-1234\nx-pass-1234\n", check=False)
    assert "already exists" in r.stdout + r.stderr
    r = node.mmp("user", "add", "eve", "root", input="x-pass-1234\nx-pass-1234\n", check=False)
    assert "'root' is not a role" in r.stdout + r.stderr
    r = node.mmp("user", "add", "eve", "admin", input="x-pass-1234\nother-pass\n", check=False)
    assert "do not match" in r.stdout + r.stderr
    assert "eve" not in node.mmp("user", "list").stdout
    node.mmp("user", "passwd", "viewer", input="new-pass-456\nnew-pass-456\n")
    assert web.api("GET", "/api/v1/system/status", account="viewer")[0] == 401
    assert web.request("GET", "/api/v1/system/status", user="viewer", password="new-pass-456")[0] == 200
    node.mmp("user", "del", "robot")
    assert web.api("GET", "/api/v1/system/status", account="robot")[0] == 401
    log = web.log()
    for what in ("user add ops admin", "user passwd viewer", "user del robot", "webadmin enable"):
        assert f"[audit] [info] who=mmp what='{what}'" in log, what


def test_the_listener_thread_is_documented(web):
    from harness import assert_threads_documented
    assert_threads_documented(web.node, "web-io")
