"""The web admin on a running node, set up through mmp as an operator would: a
self-signed certificate made now for the node's address, `webadmin listen`,
`webadmin certs`, `webadmin enable`, and one account per role. HTTPS requests are
made with Python's http.client, verifying the node's certificate."""
import base64
import http.client
import json
import ssl
import time
from pathlib import Path

import pytest

PORT = 445
ACCOUNTS = {"ops": ("admin", "ops-pass-123"), "robot": ("api", "robot-pass-123"), "viewer": ("audit", "viewer-pass-123")}


class WebNode:
    def __init__(self, node):
        self.node = node
        self.cert = node.files / "web.crt"

    def context(self):
        ctx = ssl.create_default_context(cafile=str(self.cert))
        return ctx

    def request(self, method, path, body=None, headers=None, user=None, password=None):
        """(status, headers dict with lower-case names, body text)."""
        conn = http.client.HTTPSConnection(self.node.address, PORT, context=self.context(), timeout=10)
        h = dict(headers or {})
        if user is not None:
            h["Authorization"] = "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()
        if isinstance(body, str):
            body = body.encode()
        try:
            conn.request(method, path, body=body, headers=h)
            resp = conn.getresponse()
            data = resp.read().decode(errors="replace")
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, data
        finally:
            conn.close()

    def api(self, method, path, account="ops", **kw):
        role, password = ACCOUNTS[account]
        return self.request(method, path, user=account, password=password, **kw)

    def log(self):
        return (self.node.dir / "logs" / "convened.log").read_text(errors="replace")


def wait_https(web, timeout=10.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            web.request("GET", "/login")
            return
        except OSError as e:
            last = e
            time.sleep(0.05)
    raise AssertionError(f"the web admin does not answer on {web.node.address}:{PORT}: {last}")


def enable_webadmin(node):
    node.mmp("pki", "selfsigned", "web", f"CN:{node.address}", f"subjectAltName:{node.address}")
    node.mmp("webadmin", "listen", "a", str(PORT))
    node.mmp("webadmin", "certs", "web.key", "web.crt")
    node.mmp("webadmin", "enable")
    for name, (role, password) in ACCOUNTS.items():
        node.mmp("user", "add", name, role, input=f"{password}\n{password}\n")
    web = WebNode(node)
    wait_https(web)
    return web


@pytest.fixture
def web(node):
    return enable_webadmin(node)


def set_up_call_bridge(node, name="cb1", domain="tptac9.com"):
    """The call bridge's settings through mmp (it is not enabled): from then on the
    node has a store of meeting spaces."""
    node.mmp("callbridge", "name", name)
    node.mmp("callbridge", "domain", domain)
    node.mmp("callbridge", "secret", input="Spaces-secret-0123456789\n")
