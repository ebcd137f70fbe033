"""Browsers in meetings, on seed 000's three-node XMPP cluster with call bridge cb1
served by node 1 and the web admin (with /meet and /xmpp-websocket) on every node,
driven in Debian's headless Chromium:
- a wrong password is refused; a new user registers from the page (XEP-0077);
- two meeting clients (/meet) on nodes 2 and 3 find the space in the bridge's list
  (disco#items), join it, see each other come and go, and exchange messages;
- node 3 is killed (kill -9 by pid) under one of them: that page moves to another
  node of host-meta's list by itself and is back in the space (its page says so,
  the other user's page lists it again and gets its next message);
- converse.js (npm, served by this test over HTTP on loopback) logs in over node
  2's WebSocket, joins the space and exchanges group messages with a slixmpp user
  on node 3.
Screenshots of the meeting client go to docs/ when CONVENE_SCREENSHOTS is set.
Waits are bounded polls of what the page shows, never sleeps."""
import asyncio
import functools
import http.server
import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path

import pytest

from harness import NET, TOP, wait_for
from test_callbridge_takeover import serve_cb1_on_node1
from test_webadmin_browser import text_of
from test_xmpp_cluster_routing import cluster, on  # noqa: F401  (fixture)
from webadmin_fixtures import PORT, enable_webadmin
from xmpp_fixtures import DOMAIN, USERS, event, join_room, offline, run

TIMEOUT = 30.0
SPACE = "standup"
ROOM = f"{SPACE}@cb1.{DOMAIN}"
CONVERSE_DIST = TOP / "web" / "node_modules" / "converse.js" / "dist"


def chromium(size="1100,900"):
    # A missing browser fails the test (never skips it).
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="convene-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 f"--window-size={size}", f"--user-data-dir={profile}", "--ignore-certificate-errors"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"),
                              options=options)
    driver.set_page_load_timeout(TIMEOUT)
    driver.profile_dir = profile
    return driver


@pytest.fixture
def browsers():
    made = []

    def make(size="1100,900"):
        made.append(chromium(size))
        return made[-1]
    yield make
    for driver in made:
        driver.quit()
        shutil.rmtree(driver.profile_dir, ignore_errors=True)


def origin(node):
    return f"https://{node.address}:{PORT}"


def allow_origins(nodes, origins):
    """The WebSocket endpoint admits its own origin and a configured list: a page
    loaded from node 3 that moves to node 1 when node 3 dies comes with node 3's."""
    for n in nodes:
        for o in origins:
            if o != origin(n):
                n.mmp("webadmin", "websocket", "origins", "add", o)


@pytest.fixture
def meeting_cluster(cluster):  # noqa: F811
    serve_cb1_on_node1(cluster)
    for n in cluster.values():
        enable_webadmin(n)
    cluster[1].mmp("callbridge", "space", "add", SPACE)
    return cluster


text = text_of  # the element's text, read again if the page swapped it meanwhile


def occupants(driver):
    return set(text(driver, "occupants").split("\n")) - {""}


def screenshot(driver, name):
    if os.environ.get("CONVENE_SCREENSHOTS"):
        driver.save_screenshot(str(TOP / "docs" / f"meet-{name}.png"))


def log_in(driver, node, user, password=None, register=False):
    from selenium.webdriver.common.by import By
    driver.get(f"{origin(node)}/meet/")
    wait_for(lambda: driver.find_elements(By.ID, "jid"), TIMEOUT, "the meeting client's login form")
    driver.find_element(By.ID, "jid").send_keys(f"{user}@{DOMAIN}")
    driver.find_element(By.ID, "password").send_keys(password or USERS[user])
    if register:
        driver.find_element(By.ID, "register").click()
    driver.find_element(By.ID, "login").click()
    wait_for(lambda: driver.find_element(By.ID, "lobby").is_displayed(), TIMEOUT,
             f"{user}'s lobby (status: {text(driver, 'status')!r}, error: {text(driver, 'login-error')!r})")


def join_from_list(driver, user):
    """Joins ROOM by its button in the bridge's list of spaces (disco#items)."""
    from selenium.webdriver.common.by import By
    button = f"button.space[data-jid='{ROOM}']"
    wait_for(lambda: driver.find_elements(By.CSS_SELECTOR, button), TIMEOUT,
             f"{ROOM} in {user}'s list of spaces (shown: {text(driver, 'spaces')!r}, {text(driver, 'join-error')!r})")
    driver.find_element(By.CSS_SELECTOR, button).click()
    wait_for(lambda: text(driver, "status").startswith(f"In {ROOM} as {user} "), TIMEOUT,
             f"{user} in the space (status: {text(driver, 'status')!r}, log: {text(driver, 'log')!r})")


def say(driver, words):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    box = driver.find_element(By.ID, "say")
    box.send_keys(words)
    box.send_keys(Keys.ENTER)


def said_and_seen(speaker, name, words, listener):
    """`speaker` (nick `name`) says `words` in the space; they reach `listener`'s page."""
    say(speaker, words)
    wait_for(lambda: f"{name}: {words}" in text(listener, "log"), TIMEOUT,
             f"{name}'s {words!r} on the other page: {text(listener, 'log')!r}")


def test_two_browsers_on_two_nodes_meet_in_one_space(meeting_cluster, browsers):
    from selenium.webdriver.common.by import By
    alice, dave = browsers(), browsers("412,860")  # Dave on a phone-sized window
    # A wrong password is said so, and the page does not go on trying.
    alice.get(f"{origin(meeting_cluster[2])}/meet/")
    wait_for(lambda: alice.find_elements(By.ID, "jid"), TIMEOUT, "the login form")
    alice.find_element(By.ID, "jid").send_keys(f"alice@{DOMAIN}")
    alice.find_element(By.ID, "password").send_keys("not-her-password")
    alice.find_element(By.ID, "login").click()
    wait_for(lambda: text(alice, "login-error"), TIMEOUT, "the login error")
    assert text(alice, "login-error") == "Wrong address or password."
    assert text(alice, "status") == "Not connected."

    log_in(alice, meeting_cluster[2], "alice")
    # Dave has no account: the page registers him first (XEP-0077, on for node 3).
    meeting_cluster[3].mmp("xmpp", "registration", "on")
    meeting_cluster[3].mmp("xmpp", "enable")  # settings apply at the next enable
    log_in(dave, meeting_cluster[3], "dave", password="Dave-pass-42", register=True)
    wait_for(lambda: f"dave@{DOMAIN}" in meeting_cluster[1].mmp("xmpp", "user", "list").stdout, TIMEOUT,
             "the registered user on node 1")
    join_from_list(alice, "alice")
    join_from_list(dave, "dave")
    wait_for(lambda: occupants(alice) == {"alice", "dave"}, TIMEOUT, f"alice to list dave: {occupants(alice)}")
    wait_for(lambda: occupants(dave) == {"alice", "dave"}, TIMEOUT, f"dave to list alice: {occupants(dave)}")
    assert "dave joined" in text(alice, "log").split("\n")

    said_and_seen(alice, "alice", "Hello from node 2 <b>not bold</b>", dave)
    said_and_seen(dave, "dave", "Hi from node 3", alice)
    screenshot(alice, "space")
    screenshot(dave, "phone")

    dave.find_element(By.ID, "leave").click()
    wait_for(lambda: "dave left" in text(alice, "log").split("\n"), TIMEOUT, "alice to see dave leave")
    assert occupants(alice) == {"alice"}


def announce_peers(nodes):
    """Each node's host-meta lists the others' WebSocket endpoints after its own, so a
    page whose node dies knows where else to go (XEP-0156)."""
    for n in nodes:
        for other in nodes:
            if other is not n:
                n.mmp("webadmin", "websocket", "peers", "add", f"wss://{other.address}:{PORT}/xmpp-websocket")


def alice_and_bob_in_the_space(meeting_cluster, browsers):
    """Alice's page on node 2 and Bob's on node 3, both in the space, each listing both."""
    alice, bob = browsers(), browsers()
    log_in(alice, meeting_cluster[2], "alice")
    log_in(bob, meeting_cluster[3], "bob")
    join_from_list(alice, "alice")
    join_from_list(bob, "bob")
    wait_for(lambda: occupants(alice) == {"alice", "bob"}, TIMEOUT, "alice to list bob")
    wait_for(lambda: occupants(bob) == {"alice", "bob"}, TIMEOUT, "bob to list alice")
    return alice, bob


def test_a_browser_whose_node_dies_is_back_in_the_space_by_itself(meeting_cluster, browsers):
    announce_peers(list(meeting_cluster.values()))
    alice, bob = alice_and_bob_in_the_space(meeting_cluster, browsers)

    allow_origins(meeting_cluster.values(), [origin(n) for n in meeting_cluster.values()])
    meeting_cluster[3].kill()
    survivors = (f"wss://{meeting_cluster[1].address}:{PORT}/", f"wss://{meeting_cluster[2].address}:{PORT}/")
    # Bob's page, with nobody touching it: in the space again, through another node.
    wait_for(lambda: text(bob, "status").startswith(f"In {ROOM} as bob (wss://")
             and any(s in text(bob, "status") for s in survivors), 60,
             f"bob's page back in the space on another node (status: {text(bob, 'status')!r}, "
             f"log: {text(bob, 'log')!r})")
    wait_for(lambda: occupants(bob) == {"alice", "bob"}, TIMEOUT, f"bob's page to list alice: {occupants(bob)}")
    assert "Joining the space again…" in text(bob, "log").split("\n")
    # Alice's page lists him, and he is an occupant for the bridge: his words reach her.
    wait_for(lambda: "bob" in occupants(alice), TIMEOUT, f"alice's page to list bob: {occupants(alice)}")
    said_and_seen(bob, "bob", "back after node 3 died", alice)


def cut_connections_to(node):
    """Every TCP connection to `node`'s HTTPS listener reset at once (ss -K destroys
    the client ends; the kernel sends the node a reset), as a network fault would cut
    them: no close frame, no <close/>, and the node stays up. Returns how many."""
    done = subprocess.run(["ss", "-K", "-tnH", "dst", node.address, "dport", "=", str(PORT)],
                          capture_output=True, text=True, timeout=TIMEOUT)
    assert done.returncode == 0, done.stderr
    return len([line for line in done.stdout.splitlines() if line.strip()])


def test_a_browser_whose_connection_drops_resumes_its_session_on_the_same_node(meeting_cluster, browsers):
    """Bob's WebSocket to node 3 is cut while node 3 stays up: his page reconnects to
    node 3 by itself and resumes the session (XEP-0198), so the bridge never saw him
    leave; it is still in the space, and messages still flow both ways."""
    alice, bob = alice_and_bob_in_the_space(meeting_cluster, browsers)
    node3 = meeting_cluster[3]
    own = f"wss://{node3.address}:{PORT}/xmpp-websocket"
    assert text(bob, "status") == f"In {ROOM} as bob ({own})."
    said_and_seen(alice, "alice", "before the cut", bob)

    assert cut_connections_to(node3) >= 1
    wait_for(lambda: text(bob, "status") == f"In {ROOM} as bob ({own}, session resumed).", 60,
             f"bob's page back in the space through resume (status: {text(bob, 'status')!r}, "
             f"log: {text(bob, 'log')!r})")
    log = text(bob, "log").split("\n")
    assert "Connection lost: you are out of the space until it is back." in log, log
    assert "Session resumed: nothing was lost." in log, log
    node3_log = (node3.dir / "logs" / "convened.log").read_text(errors="replace") + node3.output()
    assert re.search(rf"session bob@{re.escape(DOMAIN)}/meet-\w+ resumed", node3_log), "no resume on node 3"
    wait_for(lambda: occupants(bob) == {"alice", "bob"}, TIMEOUT, f"bob's page to list alice: {occupants(bob)}")
    # For the bridge he never left: alice's page saw no one go.
    assert "bob left" not in text(alice, "log").split("\n")
    said_and_seen(bob, "bob", "still here after the cut", alice)
    said_and_seen(alice, "alice", "welcome back", bob)
    # Once each: the resumed session sends again only what the page had not handled
    # (XEP-0198 'h'), so nothing it showed before the cut comes twice.
    lines = text(bob, "log").split("\n")
    assert [lines.count(m) for m in ("alice: before the cut", "alice: welcome back", "bob: still here after the cut")] \
        == [1, 1, 1], lines


class StaticSite:
    """converse.js's files and a page that starts it, over HTTP on this test's
    loopback block (a web client from elsewhere, as a real deployment has)."""

    def __init__(self, address, page):
        self.root = Path(tempfile.mkdtemp(prefix="convene-converse-"))
        os.symlink(CONVERSE_DIST, self.root / "dist")
        (self.root / "index.html").write_text(page)
        handler = functools.partial(QuietHandler, directory=str(self.root))
        self.server = http.server.ThreadingHTTPServer((address, 0), handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.origin = f"http://{address}:{self.server.server_address[1]}"

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        shutil.rmtree(self.root, ignore_errors=True)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


def converse_page(websocket, jid, password, room):
    settings = {
        "websocket_url": websocket, "jid": jid, "password": password, "auto_login": True,
        "discover_connection_methods": False, "view_mode": "fullscreen", "auto_join_rooms": [room],
        "muc_nickname_from_jid": True, "persistent_store": "sessionStorage", "play_sounds": False,
        "show_send_button": True,
    }
    import json
    return ('<!DOCTYPE html><html><head><meta charset="utf-8">'
            '<link rel="stylesheet" href="dist/converse.min.css">'
            '<script type="module" src="dist/converse.min.js"></script></head>'
            f'<body class="converse-fullscreen"><script type="module">converse.initialize({json.dumps(settings)});'
            '</script></body></html>')


def test_converse_js_meets_a_slixmpp_user_on_another_node(meeting_cluster, browsers):
    assert (CONVERSE_DIST / "converse.min.js").exists(), \
        "converse.js is not installed: run scripts/install-deps.sh (npm ci in web/)"
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    node2 = meeting_cluster[2]
    site = StaticSite(f"{NET}.9", converse_page(f"wss://{node2.address}:{PORT}/xmpp-websocket",
                                                f"alice@{DOMAIN}", USERS["alice"], ROOM))
    try:
        allow_origins([node2], [site.origin])
        browser = browsers()

        async def go():
            carol = await on(meeting_cluster[3], "carol")
            carol.register_plugin("xep_0045")
            await join_room(carol, ROOM, "carol")
            loop = asyncio.get_event_loop()
            textarea = "converse-muc textarea.chat-textarea"
            arrived = asyncio.ensure_future(event(carol, "groupchat_presence",
                                                  condition=lambda p: p["from"] == f"{ROOM}/alice"))
            await loop.run_in_executor(None, lambda: browser.get(f"{site.origin}/index.html"))
            await asyncio.wait_for(arrived, TIMEOUT)
            await loop.run_in_executor(None, lambda: wait_for(
                lambda: browser.find_elements(By.CSS_SELECTOR, textarea), TIMEOUT, "converse.js in the space"))

            heard = asyncio.ensure_future(event(carol, "groupchat_message",
                                                condition=lambda m: m["from"] == f"{ROOM}/alice"))

            def type_message():
                box = browser.find_element(By.CSS_SELECTOR, textarea)
                box.send_keys("Hello from converse.js")
                box.send_keys(Keys.ENTER)
            await loop.run_in_executor(None, type_message)
            assert (await asyncio.wait_for(heard, TIMEOUT))["body"] == "Hello from converse.js"

            carol.send_message(mto=ROOM, mbody="Hello converse, carol on node 3 here", mtype="groupchat")

            def shown():
                return [e.text for e in browser.find_elements(By.CSS_SELECTOR, ".chat-msg__text")]
            await loop.run_in_executor(None, lambda: wait_for(
                lambda: "Hello converse, carol on node 3 here" in shown(), TIMEOUT,
                f"carol's message in converse.js: {shown()}"))
            await offline(carol)
        run(go(), timeout=120)
    finally:
        site.close()
