"""What operators of the web admin rely on besides its features: large bodies
answered (413) rather than cut off, audit lines that say who, from where, what
(and only for changes: status refreshes leave none), and /metrics counting the
stanzas this node routes and giving raft's commit index."""
import asyncio
import re

from harness import wait_for
from test_webadmin_pages import FORM, csrf_of, login, page
from webadmin_fixtures import enable_webadmin, set_up_call_bridge, web  # noqa: F401
from xmpp_fixtures import DOMAIN, configure_xmpp, event, make_client, offline, online, run


def audit_lines(web):
    return [line for line in web.log().splitlines() if "[audit]" in line]


def test_a_body_over_one_mebibyte_is_answered_413_on_an_open_connection(web):
    before = web.node.mmp("callbridge", "space", "list", check=False).stdout
    body = "name=" + "x" * (2 * 1024 * 1024)
    status, headers, text = web.api("POST", "/api/v1/coSpaces", body=body, headers=FORM)
    assert status == 413, text
    assert "<failureDetails><requestTooLarge" in text and 'limit="65536"' in text, text
    assert web.node.mmp("callbridge", "space", "list", check=False).stdout == before
    # JSON for scripts that ask for it, likewise.
    status, _, text = web.api("PUT", "/api/v1/coSpaces/x", body=body, headers={**FORM, "Accept": "application/json"})
    assert status == 413 and '"requestTooLarge"' in text, text


def test_audit_lines_say_who_from_where_and_what_and_reads_leave_none(web):
    set_up_call_bridge(web.node)
    cookie, _ = login(web)
    # Reads: the status page and its refreshes, API GETs.
    for _ in range(3):
        page(web, cookie, "/status/blocks")
    page(web, cookie, "/")
    assert web.api("GET", "/api/v1/coSpaces")[0] == 200
    reads = [line for line in audit_lines(web) if "status" in line or "space list" in line]
    assert reads == [], reads
    # Each change: the account, the way in, the client's address, the command.
    body = page(web, cookie, "/spaces")
    status, _, _ = web.request("POST", "/spaces", body=f"csrf={csrf_of(body)}&name=weekly",
                               headers={**FORM, "Cookie": cookie})
    assert status == 200
    assert web.api("POST", "/api/v1/coSpaces", body="name=daily", headers=FORM)[0] == 200
    log = web.log()
    address = r"127\.\d+\.\d+\.\d+"  # the client's own loopback address
    assert re.search(rf"who=ops\(web\)@{address} what='login' done", log), log
    assert re.search(rf"who=ops\(web\)@{address} what='callbridge space add weekly' done", log), log
    assert re.search(rf"who=ops@{address} what='callbridge space add daily' done", log), log
    # The refreshes' commands are not in the admin log at info level either.
    assert "command 'xmpp status' succeeded" not in log


def routed(web):
    status, _, body = web.api("GET", "/metrics", account="viewer")
    assert status == 200, body
    return {kind: float(v) for kind, v in re.findall(r'^convene_xmpp_stanzas_routed_total\{kind="(\w+)"\} (\S+)$', body, re.M)}


def test_metrics_count_the_stanzas_this_node_routes(web):
    x = configure_xmpp(web.node)
    before = routed(web)
    assert set(before) == {"message", "presence", "iq"}

    async def talk():
        alice, bob = make_client(x, "alice"), make_client(x, "bob")
        await online(alice)
        await online(bob)
        got = asyncio.ensure_future(event(bob, "message", condition=lambda m: m["body"] == "ping"))
        alice.send_message(mto=f"bob@{DOMAIN}/test", mbody="ping")
        await got
        await offline(alice, bob)

    run(talk())
    after = routed(web)
    assert after["message"] >= before["message"] + 1, (before, after)
    assert after["presence"] > before["presence"], (before, after)


def test_put_name_renames_a_space_through_the_space_command(web):
    set_up_call_bridge(web.node)
    assert web.api("POST", "/api/v1/coSpaces", body="name=weekly", headers=FORM)[0] == 200
    status, _, body = web.api("PUT", "/api/v1/coSpaces/weekly", body="name=Weekly+sync", headers=FORM)
    assert status == 200, body
    # mmp shows what the API changed (one store), the API what mmp changes.
    assert "weekly  name: Weekly sync" in web.node.mmp("callbridge", "space", "list").stdout
    assert "<name>Weekly sync</name>" in web.api("GET", "/api/v1/coSpaces/weekly")[2]
    web.node.mmp("callbridge", "space", "name", "weekly", "none")
    assert "<name>weekly</name>" in web.api("GET", "/api/v1/coSpaces/weekly")[2]
    assert re.search(r"who=ops@127\.\d+\.\d+\.\d+ what='callbridge space name weekly Weekly sync' done",
                     web.log())


def raft_values(web):
    status, _, body = web.api("GET", "/metrics", account="viewer")
    assert status == 200, body
    return {k: float(v) for k, v in re.findall(r"^convene_raft_(commit_index|last_applied|term) (\S+)$", body, re.M)}


def test_metrics_give_the_raft_commit_index_of_the_xmpp_cluster(nodes):
    from xmpp_cluster_fixtures import build_cluster
    three = {i: nodes(i) for i in (1, 2, 3)}
    build_cluster(three)
    web = enable_webadmin(three[1])
    first = raft_values(web)
    # Building the cluster committed entries (members, call bridges); none is applied
    # before it is committed.
    assert first["commit_index"] > 0 and first["commit_index"] >= first["last_applied"], first
    # A change to the replicated configuration commits another entry.
    three[1].mmp("xmpp", "callbridge", "add", "cb9")
    wait_for(lambda: raft_values(web)["commit_index"] > first["commit_index"], 10, "the commit index to grow")
