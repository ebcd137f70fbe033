"""The CMS API (/api/v1) and /metrics over real HTTPS, with Python's http.client:
CMS shapes (XML, JSON on Accept), and bad input answered with the right status
and nothing changed (read back)."""
import json
import re
import xml.etree.ElementTree as ET

from webadmin_fixtures import ACCOUNTS, web  # noqa: F401


def config(web):
    return (web.node.dir / "config.json").read_text()


def test_no_or_wrong_credentials_are_401_with_a_challenge(web):
    status, headers, body = web.request("GET", "/api/v1/coSpaces")
    assert status == 401
    assert headers["www-authenticate"].startswith("Basic realm=")
    assert web.request("GET", "/api/v1/coSpaces", user="ops", password="wrong")[0] == 401
    assert web.request("GET", "/api/v1/coSpaces", user="nobody", password="ops-pass-123")[0] == 401
    assert web.request("GET", "/metrics")[0] == 401


def test_system_status_in_xml_and_json(web):
    status, headers, body = web.api("GET", "/api/v1/system/status")
    assert status == 200, body
    assert headers["content-type"].startswith("text/xml")
    root = ET.fromstring(body)
    assert root.tag == "status"
    assert root.find("softwareVersion").text.startswith("Convene")
    assert root.find("xmppServerRunning").text == "false"
    assert root.find("callBridgeState").text == "notRunning"
    status, headers, body = web.api("GET", "/api/v1/system/status", headers={"Accept": "application/json"})
    assert status == 200
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["status"]["xmppServerRunning"] == "false"


def test_cospaces_list_and_unknown_id(web):
    status, _, body = web.api("GET", "/api/v1/coSpaces?offset=0&limit=10")
    assert status == 200, body
    root = ET.fromstring(body)
    assert root.tag == "coSpaces" and root.get("total") == "0"
    status, _, body = web.api("GET", "/api/v1/coSpaces/no-such-space")
    assert status == 404
    assert ET.fromstring(body).find("coSpaceDoesNotExist") is not None
    status, _, body = web.api("GET", "/api/v1/coSpaces/no-such-space", headers={"Accept": "application/json"})
    assert status == 404
    assert "coSpaceDoesNotExist" in json.loads(body)["failureDetails"]


def test_bad_pagination_is_a_parameter_error(web):
    for query in ("limit=-1", "offset=x", "limit=100000", "offset=%zz"):
        status, _, body = web.api("GET", "/api/v1/coSpaces?" + query)
        assert status == 400, query
        assert ET.fromstring(body).find("parameterError") is not None, body


def test_call_bridges_follow_the_callbridge_commands(web):
    status, _, body = web.api("GET", "/api/v1/callBridges")
    assert ET.fromstring(body).get("total") == "0"
    web.node.mmp("callbridge", "name", "cb7")
    web.node.mmp("callbridge", "domain", "tptac9.com")
    status, _, body = web.api("GET", "/api/v1/callBridges")
    root = ET.fromstring(body)
    assert root.get("total") == "1"
    bridge = root.find("callBridge")
    assert bridge.get("id") == "cb7"
    assert bridge.find("domain").text == "tptac9.com"
    assert bridge.find("state").text == "notRunning"


def test_audit_role_reads_but_may_not_change(web):
    before = config(web)
    assert web.api("GET", "/api/v1/coSpaces", account="viewer")[0] == 200
    status, _, body = web.api("POST", "/api/v1/coSpaces", account="viewer", body="name=x",
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 403
    assert config(web) == before


def test_oversized_body_is_413_and_changes_nothing(web):
    before = config(web)
    status, _, body = web.api("POST", "/api/v1/coSpaces", body="name=" + "x" * (70 * 1024),
                              headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 413, body
    assert config(web) == before


def test_repeated_wrong_passwords_are_throttled_per_address(web):
    for _ in range(5):
        assert web.request("GET", "/api/v1/coSpaces", user="ops", password="guess")[0] == 401
    status, headers, _ = web.request("GET", "/api/v1/coSpaces", user="ops", password="guess")
    assert status == 429
    assert "retry-after" in headers
    # While the address waits, even the right password is not checked.
    assert web.api("GET", "/api/v1/coSpaces")[0] == 429
    assert "who=ops@" in web.log() and "what='login' refused" in web.log()


def test_metrics_in_prometheus_text_format(web):
    web.request("GET", "/api/v1/coSpaces", user="ops", password="wrong")
    status, headers, body = web.api("GET", "/metrics", account="viewer")
    assert status == 200, body
    assert headers["content-type"].startswith("text/plain; version=0.0.4")
    values = dict(re.findall(r"^(convene_\S+) (\S+)$", body, re.M))
    assert values["convene_xmpp_up"] == "0"
    assert values["convene_xmpp_client_sessions"] == "0"
    assert float(values['convene_webadmin_logins_total{result="failed"}']) >= 1
    assert float(values['convene_webadmin_logins_total{result="ok"}']) >= 1
    days = float(values['convene_certificate_days_left{use="webadmin",file="web.crt"}'])
    assert 300 < days < 10000
    for line in body.splitlines():
        assert line.startswith("#") or re.match(r"^[a-z_]+(\{[^}]*\})? -?[0-9.e+]+$", line), line
