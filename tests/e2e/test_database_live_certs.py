"""`database cluster certs` on a live cluster checks the new files against the other
members before it swaps anything: a node given a new CA alone (that does not
verify the members' server certificates) is refused with the member and the cause
named, changes nothing, and its status and the master's still say what they see.
Real PostgreSQL over mutual TLS; waits are bounded polls."""
from db_cluster_fixtures import build_cluster, db_nodes, make_certs, status_lines  # noqa: F401
from harness import NET, wait_for


def test_new_ca_that_the_members_do_not_share_is_refused(db_nodes):
    n1, n2 = db_nodes(1), db_nodes(2)
    build_cluster([n1, n2])
    in_sync = f"  {NET}.2 (me)     : Connected Slave ( In Sync )"
    wait_for(lambda: in_sync in status_lines(n2), 30, "node2 in sync\n" + "\n".join(status_lines(n2)))
    # A new CA and certificates from it, given to node 2 alone, in one step.
    names = make_certs(n1, [n1, n2], server="newserver", client="newclient", ca="NewCA")
    before = (n2.dir / "config.json").read_text()
    r = n2.mmp("database", "cluster", "certs", *names, check=False)
    text = r.stdout + r.stderr
    assert r.returncode == 1, text
    assert f"ERROR: the new certificates do not work with cluster member {NET}.1 (CA NewCA.cer" in text, text
    assert "certificate verify failed" in text, text
    assert "Nothing was changed" in text and "Certificates updated" not in text, text
    assert (n2.dir / "config.json").read_text() == before
    # Both sides still see node 2 streaming, and say so.
    assert in_sync in status_lines(n2), status_lines(n2)
    assert f"  {NET}.2          : Connected Slave ( In Sync )" in status_lines(n1), status_lines(n1)
