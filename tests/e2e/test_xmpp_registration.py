"""XEP-0077 in-band registration: off by default; when the operator turns it on, a
new account made over the wire logs in with STARTTLS + SCRAM like any other."""
from xmpp_fixtures import (ADDRESS, C2S_PORT, DOMAIN, make_client, offline, online, raw_stream, read_until, run,
                           wait_port, xmpp_node)  # noqa: F401  (fixture)

REGISTER = ("<iq type='set' id='reg1'><query xmlns='jabber:iq:register'>"
            "<username>{user}</username><password>{password}</password></query></iq>")


def test_registration_is_off_by_default(xmpp_node):
    s = raw_stream(xmpp_node)
    s.sendall(REGISTER.format(user="mallory", password="x").encode())
    reply = read_until(s, b"</iq>")
    assert b"type='error'" in reply and b"service-unavailable" in reply, reply
    s.close()
    assert "mallory" not in xmpp_node.node.mmp("xmpp", "user", "list").stdout


def test_register_then_log_in_with_scram(xmpp_node):
    node = xmpp_node.node
    node.mmp("xmpp", "registration", "on")
    node.mmp("xmpp", "enable")  # settings apply at the next enable
    wait_port(ADDRESS, C2S_PORT)

    s = raw_stream(xmpp_node)
    s.sendall(b"<iq type='get' id='form'><query xmlns='jabber:iq:register'/></iq>")
    form = read_until(s, b"</iq>")
    assert b"<username/>" in form and b"<password/>" in form, form
    s.sendall(REGISTER.format(user="newcomer", password="newcomers-secret").encode())
    done = read_until(s, b"</iq>")
    assert done.startswith(b"<iq type='result' id='reg1'"), done
    s.sendall(REGISTER.format(user="newcomer", password="other").replace("reg1", "reg2").encode())
    again = read_until(s, b"</iq>")
    assert b"conflict" in again, again
    s.close()

    assert "newcomer" in node.mmp("xmpp", "user", "list").stdout

    async def go():
        newcomer = make_client(xmpp_node, "newcomer", password="newcomers-secret")
        await online(newcomer)
        assert str(newcomer.boundjid) == f"newcomer@{DOMAIN}/test"
        assert newcomer.plugin["feature_mechanisms"].mech.name.startswith("SCRAM-SHA-")
        await offline(newcomer)
    run(go())
