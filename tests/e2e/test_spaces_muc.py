"""Meeting spaces as XEP-0045 clients use them, driven by slixmpp's xep_0045 plugin
(a client library nobody here wrote) against a real node and call bridge: the
instant room and the configuration form, discovery, subject and history on join
(kept in the spaces' store: still there after a restart of the bridge), nick
change, private messages, self-ping (XEP-0410), kick, ban, members-only and
password enforcement, destruction. Bad input gets XEP-0045's error and changes
nothing, which each test reads back."""
import asyncio

import pytest
from slixmpp.exceptions import IqError, PresenceError

from harness import NET
from test_callbridge import COMPONENT, callbridges, connected, xmpp_up  # noqa: F401 (callbridges is a fixture)
from xmpp_fixtures import TIMEOUT, event, instant_room, join_room, make_client, offline, online, run

ROOM = f"weekly@{COMPONENT}"
FEATURE_PLUGINS = ("xep_0045", "xep_0004", "xep_0203")


@pytest.fixture
def bridge(nodes, callbridges):  # noqa: F811
    node = nodes(1)
    secret = xmpp_up(node, users=True)
    cb = callbridges(secret, server=f"{NET}.1:5223")
    cb.wait(connected, "the call bridge to connect")

    class X:  # what make_client needs from an XmppNode
        cert = node.files / "abhiall.crt"
    return X, cb


def clients(x, *users):
    made = []
    for user in users:
        c = make_client(x, user)
        for p in FEATURE_PLUGINS:
            c.register_plugin(p)
        made.append(c)
    return made


def muc(c):
    return c.plugin["xep_0045"]


async def config_values(client, room=ROOM):
    form = await muc(client).get_room_config(room, timeout=TIMEOUT)
    return form.get_values()


def submit(client, **values):
    form = client.plugin["xep_0004"].make_form(ftype="submit")
    form.add_field(var="FORM_TYPE", ftype="hidden", value="http://jabber.org/protocol/muc#roomconfig")
    for var, value in values.items():
        form.add_field(var=var, value=value)
    return form


async def iq_error(coro):
    """The condition of the IqError `coro` raises (fails when it succeeds)."""
    try:
        await coro
    except IqError as e:
        return e.iq["error"]["condition"]
    raise AssertionError("the request succeeded; an error was expected")


async def leave(client, nick):
    """Leaves ROOM, then waits until the space has handled it: a self-ping answered
    not-acceptable (XEP-0410) comes after whatever the space sent about the leave. A
    join sent earlier could take a late echo of the leave for its own answer
    (slixmpp's join_muc_wait ends on any self-presence of the room)."""
    muc(client).leave_muc(ROOM, nick)
    assert await iq_error(client.plugin["xep_0199"].send_ping(f"{ROOM}/{nick}", timeout=TIMEOUT)) == "not-acceptable"


async def join_error(client, nick, **kw):
    try:
        await muc(client).join_muc_wait(ROOM, nick, timeout=TIMEOUT, **kw)
    except PresenceError as e:
        return e.presence["error"]["condition"]
    raise AssertionError(f"{nick} joined; an error was expected")


def test_instant_room_configuration_form_and_discovery(bridge):
    x, _ = bridge

    async def go():
        alice, bob = clients(x, "alice", "bob")
        await online(alice)
        await online(bob)
        # A new room: 201 and locked until its owner configures it.
        joined = await muc(alice).join_muc_wait(ROOM, "Alice", timeout=TIMEOUT)
        assert {110, 201} <= joined[0]["muc"]["status_codes"]
        assert joined[0]["muc"]["affiliation"] == "owner"
        assert await join_error(bob, "Bob") == "item-not-found"
        await instant_room(alice, ROOM)  # the request the issue quotes
        await muc(bob).join_muc_wait(ROOM, "Bob", timeout=TIMEOUT)

        values = await config_values(alice)
        assert values["muc#roomconfig_persistentroom"] is True
        assert values["muc#roomconfig_whois"] == "moderators"
        await muc(alice).set_room_config(ROOM, submit(
            alice, **{"muc#roomconfig_roomname": "Weekly sync", "muc#roomconfig_roomdesc": "Mondays",
                      "muc#roomconfig_whois": "anyone", "muc#roomconfig_maxusers": "10"}), timeout=TIMEOUT)
        values = await config_values(alice)
        assert values["muc#roomconfig_roomname"] == "Weekly sync"
        assert values["muc#roomconfig_roomdesc"] == "Mondays"
        assert values["muc#roomconfig_whois"] == "anyone"
        assert values["muc#roomconfig_maxusers"] == "10"

        # Bad input: an unknown field, a non-owner reading or configuring. Nothing changes.
        bad = submit(alice, **{"muc#roomconfig_roomname": "Hijacked", "muc#roomconfig_bogus": "1"})
        assert await iq_error(muc(alice).set_room_config(ROOM, bad, timeout=TIMEOUT)) == "bad-request"
        assert await iq_error(muc(bob).get_room_config(ROOM, timeout=TIMEOUT)) == "forbidden"
        by_bob = submit(bob, **{"muc#roomconfig_roomname": "Bob's"})
        assert await iq_error(muc(bob).set_room_config(ROOM, by_bob, timeout=TIMEOUT)) == "forbidden"
        assert (await config_values(alice))["muc#roomconfig_roomname"] == "Weekly sync"

        # Discovery: the bridge lists the space by name; the space says what it is.
        items = await bob.plugin["xep_0030"].get_items(jid=COMPONENT, timeout=TIMEOUT)
        listed = {(str(j), name) for j, _, name in items["disco_items"]["items"]}
        assert (ROOM, "Weekly sync") in listed
        info = await bob.plugin["xep_0030"].get_info(jid=ROOM, timeout=TIMEOUT)
        features = set(info["disco_info"]["features"])
        assert {"http://jabber.org/protocol/muc", "muc_persistent", "muc_open", "muc_unsecured",
                "muc_nonanonymous"} <= features
        assert ("conference", "text", None, "Weekly sync") in info["disco_info"]["identities"]
        assert await iq_error(bob.plugin["xep_0030"].get_info(jid=f"nosuch@{COMPONENT}", timeout=TIMEOUT)) \
            == "item-not-found"
        await offline(alice, bob)
    run(go(), timeout=90)


def test_subject_history_nick_change_private_message_and_self_ping(bridge):
    x, cb = bridge

    async def go():
        alice, bob, carol = clients(x, "alice", "bob", "carol")
        for c in (alice, bob, carol):
            await online(c)
        await join_room(alice, ROOM, "Alice")
        await muc(bob).join_muc_wait(ROOM, "Bob", timeout=TIMEOUT)
        subject = asyncio.ensure_future(event(bob, "groupchat_subject", condition=lambda m: m["subject"] == "Agenda"))
        muc(alice).set_subject(ROOM, "Agenda")
        await subject
        for i in range(3):
            got = asyncio.ensure_future(event(bob, "groupchat_message", condition=lambda m, i=i: m["body"] == f"m{i}"))
            alice.send_message(mto=ROOM, mbody=f"m{i}", mtype="groupchat")
            await got

        # History on join, as asked (the last two), then the subject.
        joined = await muc(carol).join_muc_wait(ROOM, "Carol", maxstanzas=2, timeout=TIMEOUT)
        assert [m["body"] for m in joined[3]] == ["m1", "m2"]
        assert joined[1]["subject"] == "Agenda"

        # Nick in use: conflict, and nothing changes.
        nick_taken = asyncio.ensure_future(event(carol, f"muc::{ROOM}::presence-error"))
        carol.send_presence(pto=f"{ROOM}/Alice")
        assert (await nick_taken)["error"]["condition"] == "conflict"
        # Nick change: everyone sees 303 with the new nick, then the new nick.
        changed = asyncio.ensure_future(event(
            alice, "groupchat_presence",
            condition=lambda p: p["type"] == "unavailable" and 303 in p["muc"]["status_codes"]))
        arrived = asyncio.ensure_future(event(
            alice, "groupchat_presence", condition=lambda p: p["from"].resource == "Robert" and p["type"] != "unavailable"))
        bob.send_presence(pto=f"{ROOM}/Robert")
        p = await changed
        item = p.xml.find("{http://jabber.org/protocol/muc#user}x/{http://jabber.org/protocol/muc#user}item")
        assert p["from"].resource == "Bob" and item.get("nick") == "Robert"
        await arrived
        got = asyncio.ensure_future(event(alice, "groupchat_message", condition=lambda m: m["body"] == "renamed"))
        bob.send_message(mto=ROOM, mbody="renamed", mtype="groupchat")
        assert (await got)["from"] == f"{ROOM}/Robert"

        # A private message between occupants, from the sender's occupant JID.
        pm = asyncio.ensure_future(event(carol, "message", condition=lambda m: m["body"] == "psst"))
        alice.send_message(mto=f"{ROOM}/Carol", mbody="psst", mtype="chat")
        assert (await pm)["from"] == f"{ROOM}/Alice"

        # Self-ping (XEP-0410): answered while joined, not-acceptable once gone.
        await carol.plugin["xep_0199"].send_ping(f"{ROOM}/Carol", timeout=TIMEOUT)
        left = asyncio.ensure_future(event(alice, "groupchat_presence",
                                           condition=lambda p: p["from"].resource == "Carol" and p["type"] == "unavailable"))
        await leave(carol, "Carol")
        await left
        assert await iq_error(carol.plugin["xep_0199"].send_ping(f"{ROOM}/Carol", timeout=TIMEOUT)) == "not-acceptable"
        await offline(alice, bob, carol)
    run(go(), timeout=90)

    # The history and the subject are the store's: a restarted bridge still has them.
    cb.stop()
    cb.start()
    cb.wait(connected, "the call bridge to connect again")

    async def again():
        carol, = clients(x, "carol")
        await online(carol)
        joined = await muc(carol).join_muc_wait(ROOM, "Carol", maxstanzas=1, timeout=TIMEOUT)
        assert [m["body"] for m in joined[3]] == ["renamed"]
        assert joined[1]["subject"] == "Agenda"
        await offline(carol)
    run(again())


def test_kick_ban_members_only_and_password(bridge):
    x, _ = bridge

    async def go():
        alice, bob, carol = clients(x, "alice", "bob", "carol")
        for c in (alice, bob, carol):
            await online(c)
        await join_room(alice, ROOM, "Alice")
        await muc(bob).join_muc_wait(ROOM, "Bob", timeout=TIMEOUT)
        await muc(carol).join_muc_wait(ROOM, "Carol", timeout=TIMEOUT)

        # Only moderators kick.
        assert await iq_error(muc(carol).set_role(ROOM, "Bob", "none", timeout=TIMEOUT)) == "forbidden"
        kicked = asyncio.ensure_future(event(
            bob, "groupchat_presence", condition=lambda p: p["type"] == "unavailable" and 307 in p["muc"]["status_codes"]))
        seen = asyncio.ensure_future(event(
            carol, "groupchat_presence", condition=lambda p: p["from"].resource == "Bob" and 307 in p["muc"]["status_codes"]))
        await muc(alice).set_role(ROOM, "Bob", "none", timeout=TIMEOUT)
        assert 110 in (await kicked)["muc"]["status_codes"]
        await seen

        # Ban: outcast, listed, and refused with forbidden when joining again.
        await muc(alice).set_affiliation(ROOM, "outcast", jid=bob.boundjid.bare, timeout=TIMEOUT)
        assert [str(j) for j in await muc(alice).get_affiliation_list(ROOM, "outcast", timeout=TIMEOUT)] \
            == [bob.boundjid.bare]
        assert await join_error(bob, "Bob") == "forbidden"
        # A non-owner cannot make itself admin; the lists are unchanged.
        assert await iq_error(muc(carol).set_affiliation(ROOM, "admin", jid=carol.boundjid.bare,
                                                          timeout=TIMEOUT)) == "forbidden"
        assert await muc(alice).get_affiliation_list(ROOM, "admin", timeout=TIMEOUT) == []

        # Members-only: a non-member is refused (registration-required) until made a member.
        await leave(carol, "Carol")
        await muc(alice).set_room_config(ROOM, submit(alice, **{"muc#roomconfig_membersonly": "1"}), timeout=TIMEOUT)
        assert await join_error(carol, "Carol") == "registration-required"
        await muc(alice).set_affiliation(ROOM, "member", jid=carol.boundjid.bare, timeout=TIMEOUT)
        await muc(carol).join_muc_wait(ROOM, "Carol", timeout=TIMEOUT)
        await leave(carol, "Carol")

        # Password: a password-protected space without a password is refused as bad input.
        no_secret = submit(alice, **{"muc#roomconfig_passwordprotectedroom": "1"})
        assert await iq_error(muc(alice).set_room_config(ROOM, no_secret, timeout=TIMEOUT)) == "bad-request"
        assert (await config_values(alice))["muc#roomconfig_passwordprotectedroom"] is False
        await muc(alice).set_room_config(ROOM, submit(alice, **{"muc#roomconfig_passwordprotectedroom": "1",
                                                                "muc#roomconfig_roomsecret": "s3same"}),
                                         timeout=TIMEOUT)
        assert await join_error(carol, "Carol") == "not-authorized"
        assert await join_error(carol, "Carol", password="wrong") == "not-authorized"
        await muc(carol).join_muc_wait(ROOM, "Carol", password="s3same", timeout=TIMEOUT)
        info = await carol.plugin["xep_0030"].get_info(jid=ROOM, timeout=TIMEOUT)
        assert {"muc_membersonly", "muc_passwordprotected"} <= set(info["disco_info"]["features"])
        await offline(alice, bob, carol)
    run(go(), timeout=90)


def test_owner_destroys_the_space_for_everyone(bridge):
    x, cb = bridge

    async def go():
        alice, bob = clients(x, "alice", "bob")
        await online(alice)
        await online(bob)
        await join_room(alice, ROOM, "Alice")
        await muc(bob).join_muc_wait(ROOM, "Bob", timeout=TIMEOUT)
        assert await iq_error(muc(bob).destroy(ROOM, timeout=TIMEOUT)) == "forbidden"
        gone = asyncio.ensure_future(event(bob, "groupchat_presence", condition=lambda p: p["type"] == "unavailable"))
        await muc(alice).destroy(ROOM, reason="done", timeout=TIMEOUT)
        p = await gone
        assert p.xml.find(".//{http://jabber.org/protocol/muc#user}destroy") is not None
        items = await bob.plugin["xep_0030"].get_items(jid=COMPONENT, timeout=TIMEOUT)
        assert ROOM not in {str(j) for j, _, _ in items["disco_items"]["items"]}
        await offline(alice, bob)
    run(go(), timeout=60)
    cb.wait(lambda s: "weekly" not in s["spaces"], "the space gone from the bridge's status")
