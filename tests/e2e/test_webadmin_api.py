"""The CMS API (/api/v1) and /metrics over real HTTPS, with Python's http.client:
CMS shapes (XML, JSON on Accept), and bad input answered with the right status
and nothing changed (read back)."""
import asyncio
import json
import re
import xml.etree.ElementTree as ET

from test_callbridge_supervised import connected, set_up, wait_status
from test_spaces_muc import clients
from webadmin_fixtures import ACCOUNTS, set_up_call_bridge, web  # noqa: F401
from xmpp_fixtures import TIMEOUT, configure_xmpp, join_room, offline, online, run


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


FORM = {"Content-Type": "application/x-www-form-urlencoded"}
COMPONENT = "cb1.tptac9.com"


def space_list(web):
    return web.node.mmp("callbridge", "space", "list").stdout


def api_spaces(web):
    status, _, body = web.api("GET", "/api/v1/coSpaces")
    assert status == 200, body
    return {s.get("id"): {c.tag: c.text for c in s} for s in ET.fromstring(body).findall("coSpace")}


def failure_of(body):
    root = ET.fromstring(body)
    assert root.tag == "failureDetails", body
    return root[0]


def test_cospaces_post_creates_get_reads_and_delete_removes(web):
    set_up_call_bridge(web.node)
    status, headers, body = web.api("POST", "/api/v1/coSpaces", body="name=weekly", headers=FORM)
    assert status == 200, body
    assert headers["location"] == "/api/v1/coSpaces/weekly"
    # The one store: the API reads it back at once, and so does mmp.
    status, _, body = web.api("GET", headers["location"])
    assert status == 200, body
    space = ET.fromstring(body)
    assert space.get("id") == "weekly"
    assert space.find("uri").text == f"weekly@{COMPONENT}"
    assert space.find("locked").text == "false"
    assert "  weekly" in space_list(web)
    assert f"what='callbridge space add weekly' done" in web.log()
    # CMS's uri (its user part, or the whole address at this bridge) names it too.
    status, headers, body = web.api("POST", "/api/v1/coSpaces", body=f"uri=daily%40{COMPONENT}", headers=FORM)
    assert status == 200, body
    assert headers["location"] == "/api/v1/coSpaces/daily"
    status, _, body = web.api("GET", "/api/v1/coSpaces?filter=dai", headers={"Accept": "application/json"})
    listed = json.loads(body)["coSpaces"]
    assert listed["total"] == 1 and listed["coSpace"][0]["id"] == "daily"
    assert set(api_spaces(web)) == {"weekly", "daily"}

    status, _, body = web.api("DELETE", "/api/v1/coSpaces/weekly")
    assert status == 200, body
    assert web.api("GET", "/api/v1/coSpaces/weekly")[0] == 404
    assert "  weekly" not in space_list(web)
    assert set(api_spaces(web)) == {"daily"}
    assert "what='callbridge space delete weekly' done" in web.log()


def test_cospaces_bad_input_is_refused_and_changes_nothing(web):
    set_up_call_bridge(web.node)
    assert web.api("POST", "/api/v1/coSpaces", body="name=keep", headers=FORM)[0] == 200
    before_mmp, before_api = space_list(web), api_spaces(web)

    def refused(method, path, body, want_status, want_kind, account="ops", headers=FORM, **attributes):
        status, _, text = web.api(method, path, account=account, body=body, headers=headers)
        assert status == want_status, (method, path, body, text)
        if want_kind:
            failure = failure_of(text)
            assert failure.tag == want_kind, text
            for k, v in attributes.items():
                assert failure.get(k) == v, (k, text)
            return failure

    refused("POST", "/api/v1/coSpaces", "name=x&passcode=1234", 400, "parameterError", parameter="passcode",
            error="unrecognised")
    refused("POST", "/api/v1/coSpaces", "name=x", 415, None, headers={"Content-Type": "text/plain"})
    bad = refused("POST", "/api/v1/coSpaces", "name=no+space", 400, "parameterError", parameter="name",
                  error="invalidValue")
    assert "ERROR: invalid space name 'no space'" in bad.get("message")  # mmp's message
    refused("POST", "/api/v1/coSpaces", "name=keep", 400, "duplicateCoSpaceUri")
    refused("POST", "/api/v1/coSpaces", "", 400, "parameterError", parameter="name", error="required")
    refused("POST", "/api/v1/coSpaces", None, 400, "parameterError", parameter="name", error="required", headers={})
    refused("POST", "/api/v1/coSpaces", "name=a&uri=b", 400, "parameterError", parameter="name", error="invalidValue")
    refused("POST", "/api/v1/coSpaces", "uri=x%40elsewhere.com", 400, "parameterError", parameter="uri",
            error="invalidValue")
    refused("DELETE", "/api/v1/coSpaces/nosuch", None, 404, "coSpaceDoesNotExist")
    refused("PUT", "/api/v1/coSpaces/nosuch", "", 404, "coSpaceDoesNotExist")
    refused("PUT", "/api/v1/coSpaces/keep", "uri=other", 400, "parameterError", parameter="uri",
            error="unrecognised")
    refused("PUT", "/api/v1/coSpaces/keep", "name=Renamed&passcode=1234", 400, "parameterError", parameter="passcode",
            error="unrecognised")
    refused("PUT", "/api/v1/coSpaces/keep", "name=" + "x" * 201, 400, "parameterError", parameter="name",
            error="invalidValue")
    assert web.api("PUT", "/api/v1/coSpaces/keep")[0] == 200  # nothing asked, nothing changed
    refused("POST", "/api/v1/coSpaces", "name=fromaudit", 403, "operationNotPermitted", account="viewer")
    refused("DELETE", "/api/v1/coSpaces/keep", None, 403, "operationNotPermitted", account="viewer")

    assert space_list(web) == before_mmp
    assert api_spaces(web) == before_api
    assert "what='callbridge space add no space' refused: invalid space name" in web.log()


def test_cospaces_post_before_the_call_bridge_is_set_up_says_what_to_do(web):
    status, _, body = web.api("POST", "/api/v1/coSpaces", body="name=early", headers=FORM)
    assert status == 400, body
    failure = failure_of(body)
    assert failure.tag == "operationRefused"
    assert "Set the call bridge up first" in failure.get("message")
    assert ET.fromstring(web.api("GET", "/api/v1/coSpaces")[2]).get("total") == "0"


def test_a_posted_cospace_is_offered_to_xmpp_clients_and_a_deleted_one_withdrawn(web):
    x = configure_xmpp(web.node)
    set_up(web.node, x.callbridge_secret)
    web.node.mmp("callbridge", "enable")
    wait_status(web.node, connected, "the call bridge to connect")
    status, _, body = web.api("POST", "/api/v1/coSpaces", body="name=posted", headers=FORM)
    assert status == 200, body
    room = f"posted@{COMPONENT}"

    async def disco_follows():
        bob, = clients(x, "bob")
        await online(bob)

        async def items():
            got = await bob.plugin["xep_0030"].get_items(jid=COMPONENT, timeout=TIMEOUT)
            return {str(j) for j, _, _ in got["disco_items"]["items"]}

        async def until(listed):
            for _ in range(50):  # the bridge follows the store every 2 s
                if (room in await items()) == listed:
                    return
                await asyncio.sleep(0.2)
            assert (room in await items()) == listed
        await until(True)
        await join_room(bob, room, "Bob")
        status, _, body = web.api("GET", "/api/v1/coSpaces/posted")
        assert status == 200 and ET.fromstring(body).findtext("occupants") == "1", body
        status, _, body = web.api("DELETE", "/api/v1/coSpaces/posted")
        assert status == 200, body
        await until(False)
        await offline(bob)
    run(disco_follows(), timeout=90)
