"""docs/architecture.md's thread table against running processes: a standalone
node with its XMPP service and call bridge (the XMPP and database clusters check
theirs in test_xmpp_cluster.py and test_database_cluster.py)."""
from harness import TOP, assert_threads_documented, thread_names, wait_for
from test_callbridge_supervised import connected, pid_of, set_up, wait_status
from xmpp_fixtures import configure_xmpp


def test_a_node_with_xmpp_and_a_call_bridge_has_only_documented_threads(node):
    # A fresh node: the main thread, the admin acceptor, the call bridge follower.
    assert_threads_documented(node, "convened", "admin-accept", "cb-follow")
    x = configure_xmpp(node)
    set_up(node, x.callbridge_secret)
    node.mmp("callbridge", "enable")
    s = wait_status(node, connected, "the call bridge to connect")
    names = assert_threads_documented(node, "xmpp-io", "xmpp-log", "cb-supervise")
    # No thread is left with the process's name but the main one.
    assert names.count("convened") == 1, names
    # The call bridge, a process of its own, has the two threads the text under the
    # table names: its main thread and `cb-connector`.
    bridge = pid_of(s)
    wait_for(lambda: "cb-connector" in thread_names(bridge), 10, "the call bridge's connector thread")
    assert sorted(thread_names(bridge)) == ["cb-connector", "convene-callbri"]
    assert "`cb-connector`" in (TOP / "docs" / "architecture.md").read_text().split("## Threads", 1)[1]
