"""Live XMPP certificates and cluster trust: `xmpp certs` and `xmpp cluster trust`
take effect at once on the client port, the component port and the cluster port,
without a restart and without dropping a session; the staged CA change of the
README (old+new bundle everywhere, then new certificates node by node, then the
new CA alone) keeps slixmpp users on two nodes connected, and messages between
them routed, through every step; a certificate or bundle that the cluster's peers
would refuse is refused with the certificate and the cause named, changing
nothing. Real processes, real TLS; waits are bounded polls or events."""
import asyncio
import re
import shutil
import socket
import ssl
from types import SimpleNamespace

import pytest

from harness import wait_for
from xmpp_cluster_fixtures import ADDR, TIMEOUT, cluster_view, cluster_with_users, peers_of, until
from xmpp_fixtures import DOMAIN, event, make_client, online, read_until, run

C2S, COMPONENT, CLUSTER = 5222, 5223, 5224


@pytest.fixture
def cluster(nodes):
    """Three nodes, seed 000's cluster with a lab CA ('clusterca') and one certificate per node."""
    return cluster_with_users(nodes, mode="ca")


def new_ca_material(cluster):
    """A new CA ('newca'), a certificate per node from it ('xmppserverN-new'), and the
    bundle of the old and the new CA ('bothca.crt'), in every node's file area."""
    n1 = cluster[1]
    n1.mmp("pki", "ca", "create", "newca", "CN:Convene XMPP CA 2")
    for n in cluster.values():
        base = f"xmppserver{n.index}-new"
        n1.mmp("pki", "csr", base, f"CN:xmppserver{n.index}.{DOMAIN}", f"subjectAltName:{DOMAIN},{n.address}")
        n1.mmp("pki", "ca", "sign", f"{base}.csr", f"{base}.crt", "newca")
    both = (n1.files / "clusterca.crt").read_text() + (n1.files / "newca.crt").read_text()
    (n1.files / "bothca.crt").write_text(both)
    for n in cluster.values():
        if n is not n1:
            for f in (f"xmppserver{n.index}-new.key", f"xmppserver{n.index}-new.crt", "newca.crt", "bothca.crt"):
                shutil.copy(n1.files / f, n.files / f)


def der_of(path):
    pem = path.read_text()
    first = pem[:pem.index("-----END CERTIFICATE-----") + len("-----END CERTIFICATE-----")]
    return ssl.PEM_cert_to_DER_cert(first)


def _no_verify():
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def _starttls(address, port, namespace, to):
    s = socket.create_connection((address, port), timeout=TIMEOUT)
    s.sendall(f"<?xml version='1.0'?><stream:stream xmlns='{namespace}' "
              f"xmlns:stream='http://etherx.jabber.org/streams' to='{to}' version='1.0'>".encode())
    features = read_until(s, b"</stream:features>")
    assert b"starttls" in features, features
    s.sendall(b"<starttls xmlns='urn:ietf:params:xml:ns:xmpp-tls'/>")
    assert b"<proceed" in read_until(s, b"<proceed"), "no <proceed/>"
    with _no_verify().wrap_socket(s) as t:
        return t.getpeercert(binary_form=True)


def presented(node, port, client_cert=None):
    """The certificate `node` presents now on a new connection to `port`."""
    if port == C2S:
        return _starttls(node.address, C2S, "jabber:client", DOMAIN)
    if port == COMPONENT:
        return _starttls(node.address, COMPONENT, "jabber:component:accept", f"cb1.{DOMAIN}")
    # The cluster port is mutual TLS: show it a certificate it trusts.
    ctx = _no_verify()
    ctx.load_cert_chain(certfile=str(client_cert[0]), keyfile=str(client_cert[1]))
    with ctx.wrap_socket(socket.create_connection((node.address, CLUSTER), timeout=TIMEOUT)) as t:
        return t.getpeercert(binary_form=True)


def assert_presents(node, cert_name):
    """Every listener of `node` presents `cert_name` to a new connection."""
    want = der_of(node.files / cert_name)
    key_name = cert_name[:-len(".crt")] + ".key"
    for port in (C2S, COMPONENT, CLUSTER):
        got = presented(node, port, (node.files / cert_name, node.files / key_name))
        assert got == want, f"{node.name} port {port} does not present {cert_name}"


def term_of(node):
    m = re.search(r"^Term: (\d+)", peers_of(node)[2], re.M)
    return int(m.group(1)) if m else None


async def mmp(node, *words, check=True):
    """An mmp command off the event loop, so the clients keep being served meanwhile."""
    return await asyncio.get_event_loop().run_in_executor(None, lambda: node.mmp(*words, check=check))


class Pair:
    """alice on node 1 and bob on node 2, subscribed, counting their disconnections."""

    def __init__(self, alice, bob):
        self.alice, self.bob = alice, bob
        self.got_alice, self.got_bob = [], []
        self.dropped = []
        alice.add_event_handler("message", lambda m: self.got_alice.append(str(m["body"])))
        bob.add_event_handler("message", lambda m: self.got_bob.append(str(m["body"])))
        for c in (alice, bob):
            c.add_event_handler("disconnected", lambda _=None, c=c: self.dropped.append(str(c.boundjid)))
        self.n = 0

    async def exchange(self, step):
        """A message each way across the nodes, after `step`; the sessions are the first ones."""
        self.n += 1
        a, b = f"{step} 1->2 #{self.n}", f"{step} 2->1 #{self.n}"
        self.alice.send_message(mto=f"bob@{DOMAIN}/test", mbody=a, mtype="chat")
        self.bob.send_message(mto=f"alice@{DOMAIN}/test", mbody=b, mtype="chat")
        await until(lambda: a in self.got_bob and b in self.got_alice, f"messages between the nodes after {step}")
        assert not self.dropped, f"sessions dropped during {step}: {self.dropped}"


def users_online(cluster, ca_file):
    tls = SimpleNamespace(cert=ca_file)

    async def go():
        alice = await online(make_client(tls, "alice"), address=cluster[1].address)
        bob = await online(make_client(tls, "bob"), address=cluster[2].address)
        a_sees_b = asyncio.ensure_future(event(alice, "presence_available",
                                               condition=lambda p: p["from"].bare == f"bob@{DOMAIN}"))
        alice.send_presence_subscription(pto=f"bob@{DOMAIN}")
        await asyncio.wait_for(a_sees_b, TIMEOUT)
        return Pair(alice, bob)
    return go


def test_staged_ca_change_keeps_sessions_and_routing(cluster):
    new_ca_material(cluster)
    n1 = cluster[1]
    # The clients check the server against the old CA: the sessions they make now
    # must live through the whole change (a reconnection would need the new CA).
    login = users_online(cluster, n1.files / "clusterca.crt")

    async def go():
        pair = await login()
        await pair.exchange("start")
        term = term_of(n1)
        assert_presents(n1, "xmppserver1.crt")

        # Stage 1: the old and the new CA, on every node.
        for n in cluster.values():
            out = (await mmp(n, "xmpp", "cluster", "trust", "bothca.crt")).stdout
            assert "The cluster port verifies new links with 'bothca.crt' now" in out, out
            await pair.exchange(f"trust old+new on {n.name}")

        # Stage 2: the new certificates, node by node.
        for n in cluster.values():
            base = f"xmppserver{n.index}-new"
            out = (await mmp(n, "xmpp", "certs", f"{base}.key", f"{base}.crt", "newca.crt")).stdout
            assert "uses it now on the client and component ports" in out, out
            assert "The cluster port uses it now for new links" in out, out
            assert_presents(n, f"{base}.crt")
            await pair.exchange(f"new certificate on {n.name}")

        # Stage 3: the new CA alone: every member presents a certificate of it now.
        for n in cluster.values():
            out = (await mmp(n, "xmpp", "cluster", "trust", "newca.crt")).stdout
            assert "verifies new links with 'newca.crt' now" in out, out
            assert "WARNING" not in out, out
            await pair.exchange(f"trust new CA on {n.name}")

        for n in cluster.values():
            assert cluster_view(n, ADDR.values()), peers_of(n)[2]
        # The links were never cut long enough for an election.
        assert term_of(n1) == term, peers_of(n1)[2]
        return pair

    run(go(), timeout=240)

    # New links work with the new material alone: node 3 restarts, dials the others
    # with its new certificate and is accepted by the new CA (and accepts theirs).
    cluster[3].restart()
    for n in cluster.values():
        wait_for(lambda: cluster_view(n, ADDR.values()), TIMEOUT,
                 f"{n.name} to see three peers after node3's restart\n" + peers_of(n)[2])
    assert_presents(cluster[3], "xmppserver3-new.crt")


def config_of(node):
    return (node.dir / "config.json").read_text()


def test_certificate_the_peers_would_refuse_is_refused_with_the_cause(cluster):
    new_ca_material(cluster)
    n1 = cluster[1]
    before = config_of(n1)
    # A certificate of the new CA while the cluster trusts only the old one.
    r = n1.mmp("xmpp", "certs", "xmppserver1-new.key", "xmppserver1-new.crt", "newca.crt", check=False)
    assert r.returncode == 1, r.stdout + r.stderr
    text = r.stdout + r.stderr
    assert re.search(r"ERROR: certificate 'xmppserver1-new.crt' .* is not trusted by this XMPP cluster: the trust "
                     r"bundle 'clusterca.crt' refuses it: unable to get local issuer certificate", text), text
    assert "Nothing was changed" in text, text
    assert config_of(n1) == before
    assert_presents(n1, "xmppserver1.crt")


def test_trust_bundle_the_peers_would_fail_is_refused_with_the_cause(cluster):
    new_ca_material(cluster)
    n1 = cluster[1]
    before = config_of(n1)
    # The new CA alone, skipping the stages: it accepts neither this node's
    # certificate nor what nodes 2 and 3 present.
    r = n1.mmp("xmpp", "cluster", "trust", "newca.crt", check=False)
    text = r.stdout + r.stderr
    assert r.returncode == 1, text
    assert "ERROR: the trust bundle 'newca.crt' would break this XMPP cluster" in text, text
    assert re.search(r"refuses this node's own certificate 'xmppserver1.crt'.*unable to get local issuer", text), text
    for i in (2, 3):
        assert re.search(rf"refuses the certificate '[^']*xmppserver{i}[^']*' that peer {re.escape(ADDR[i])} presents "
                         r"now: (unable to get local issuer certificate|self-signed certificate in certificate chain)",
                         text), text
    assert "xmpp cluster trust newca.crt force" in text, text
    assert config_of(n1) == before
    # The cluster port still accepts what it accepted: a certificate of the old CA.
    assert presented(n1, CLUSTER, (n1.files / "xmppserver2.crt", n1.files / "xmppserver2.key"))
