"""The chaos benchmark's load: XMPP clients (slixmpp, XEP-0198) in one asyncio loop
on a thread of its own, and a PostgreSQL writer (psycopg2) on another.

Every message and row is numbered; what was sent, acknowledged (stream management
<a h=.../>, or COMMIT), bounced and delivered is recorded with its monotonic time,
for the checker (report.py)."""
import asyncio
import os
import socket
import threading
import time
from types import SimpleNamespace

import slixmpp.plugins.xep_0045.muc as muc
from xmpp_fixtures import DOMAIN, make_client

# slixmpp 1.8.3's MUC plugin prints every group message's delay (None): mute it.
muc.print = lambda *a, **k: None

C2S_PORT = 5222


class Client:
    """One user. Reconnects on its own (home node first, then the others): a resumed
    stream keeps its session, a fresh one sends presence and rejoins the space."""

    def __init__(self, lab, user, home, room=None, nick=None):
        self.lab, self.user, self.home = lab, user, home
        self.room, self.nick = room, nick
        self.x = make_client(SimpleNamespace(cert=lab.cert), user, password="secret", resource="chaos", sm=True)
        self.x.register_plugin("xep_0045")
        sm = self.x.plugin["xep_0198"]
        sm.window = sm.window_counter = 1  # an ack request per stanza: exact accounting
        self.ready = False
        self.node = None           # index of the node the stream is on
        # [node, from, until or None]: where each stream was. A client that lost its
        # stream goes on with the next node (see reconnect) and may stay there through
        # later faults, so the checker asks where it was then, not where it ended.
        self.stints = []
        self.reconnecting = False
        self.stopping = False
        self.sent, self.acked, self.bounced = {}, {}, set()
        self.arrived = {}          # body -> first arrival time
        self.duplicates = 0
        self.downs = []            # (lost at, ready again at or None, node)
        self.last_echo = time.monotonic()
        self.x.add_event_handler("stanza_acked", self._acked)
        # slixmpp raises "message" for every message with a <body/>, group ones
        # included; the server's bounces do not repeat the payload (RFC 6120 §8.3.1
        # lets them), so they come only as "message_error".
        self.x.add_event_handler("message", self._message)
        self.x.add_event_handler("message_error", self._message)
        self.x.add_event_handler("disconnected", self._lost)
        self.x.add_event_handler("presence_unavailable", self._left)

    def _acked(self, stanza):
        body = str(stanza["body"]) if stanza.name == "message" else ""
        if body and body in self.sent:
            self.acked.setdefault(body, time.monotonic())

    def _message(self, m):
        if m["type"] == "error":
            self.bounced.add(str(m["id"]))
            return
        body = str(m["body"])
        if not body:
            return
        if body in self.arrived:
            self.duplicates += 1
        else:
            self.arrived[body] = time.monotonic()
        if self.nick and body.startswith(f"g{self.nick}-"):
            self.last_echo = time.monotonic()

    def _left(self, p):
        # Our own unavailable presence from the space (status 110) that we did not ask
        # for: the space removed us (333: for a technical reason). Join again at once,
        # as a client that wants to stay in the meeting does.
        if self.room and str(p["from"]) == f"{self.room}/{self.nick}" and self.ready and not self.stopping:
            self.join()

    def _lost(self, _event):
        if self.ready:
            now = time.monotonic()
            self.downs.append([now, None, self.node])
            if self.stints and self.stints[-1][2] is None:
                self.stints[-1][2] = now
        self.ready = False
        if not self.stopping and not self.reconnecting:
            asyncio.ensure_future(self.reconnect())

    async def _session(self, address, timeout):
        done = asyncio.get_event_loop().create_future()
        resumed = []

        def fresh(_):
            if not done.done():
                done.set_result(True)

        def again(_):
            resumed.append(1)
            fresh(_)
        self.x.add_event_handler("session_start", fresh, disposable=True)
        self.x.add_event_handler("session_resumed", again, disposable=True)
        self.x.connect(address=(address, C2S_PORT))
        try:
            await asyncio.wait_for(done, timeout)
        except asyncio.TimeoutError:
            self.x.cancel_connection_attempt()
            self.x.abort()
            return None
        finally:
            self.x.del_event_handler("session_start", fresh)
            self.x.del_event_handler("session_resumed", again)
        if not resumed:
            self.x.send_presence()
            if self.room:
                self.join()
        return "resumed" if resumed else "fresh"

    async def reconnect(self, first=False):
        self.reconnecting = True
        order = [self.home] + [i for i in self.lab.indexes if i != self.home]
        try:
            for attempt in range(200):  # bounded: 200 tries of at most 4 s
                if self.stopping:
                    return
                i = order[attempt % len(order)]
                if await self._session(self.lab.address(i), 4):
                    self.node, self.ready = i, True
                    self.stints.append([i, time.monotonic(), None])
                    if self.downs and self.downs[-1][1] is None:
                        self.downs[-1][1] = time.monotonic()
                    return
                await asyncio.sleep(0.2)
        finally:
            self.reconnecting = False

    def join(self):
        """The join presence alone (slixmpp's join_muc leaves a waiting future per call)."""
        p = self.x.make_presence(pto=f"{self.room}/{self.nick}")
        p.enable("muc_join")
        p["muc_join"]["history"]["maxchars"] = "0"
        p.send()

    def send(self, to, body, mtype):
        if not self.ready:
            return
        m = self.x.make_message(mto=to, mbody=body, mtype=mtype)
        m["id"] = body
        self.sent[body] = time.monotonic()
        m.send()


class XmppLoad:
    """`pairs` pairs on different nodes chatting one-to-one every `interval` s each
    way, and `occupants` users (one per node in turn) in space chaos@cb1 sending a
    group message every `group_interval` s."""

    def __init__(self, lab, pairs=3, occupants=3, interval=0.1, group_interval=0.25):
        self.lab, self.interval, self.group_interval = lab, interval, group_interval
        self.room = f"chaos@cb1.{DOMAIN}"
        idx = lab.indexes
        self.pairs = []
        for k in range(pairs):
            a, b = idx[k % len(idx)], idx[(k + 1) % len(idx)]
            self.pairs.append((Client(lab, f"u{2 * k}", a), Client(lab, f"u{2 * k + 1}", b)))
        self.occupants = [Client(lab, f"o{k}", idx[k % len(idx)], self.room, f"O{k}") for k in range(occupants)]
        self.loop = asyncio.new_event_loop()
        self.sending = True
        self.stop_sending_at = None
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)

    @property
    def clients(self):
        return [c for p in self.pairs for c in p] + self.occupants

    @staticmethod
    def users(pairs, occupants):
        """The accounts a load of this size logs in with (made before its clients)."""
        return [f"u{k}" for k in range(2 * pairs)] + [f"o{k}" for k in range(occupants)]

    def start(self, timeout=60):
        self.thread.start()
        asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(timeout)

    async def _start(self):
        await asyncio.gather(*(c.reconnect() for c in self.clients))
        deadline = time.monotonic() + 30
        while not all(c.ready for c in self.clients):
            if time.monotonic() > deadline:
                raise AssertionError("clients not online: " + ", ".join(c.user for c in self.clients if not c.ready))
            await asyncio.sleep(0.1)
        for c in self.clients:
            asyncio.ensure_future(self._chat(c))

    async def _chat(self, c):
        peer = next((q if c is p else p for p, q in self.pairs if c in (p, q)), None)
        k = 0
        interval = self.interval if peer else self.group_interval
        rejoined = time.monotonic()
        while self.sending:
            if peer:
                c.send(f"{peer.user}@{DOMAIN}/chaos", f"{c.user}>{peer.user}#{k}", "chat")
            else:
                c.send(self.room, f"g{c.nick}-{k}", "groupchat")
                now = time.monotonic()
                # Out of the space (the bridge restarted, or a stream was not resumed):
                # our own messages stop coming back; join again, at most every 3 s.
                if c.ready and now - c.last_echo > 3 and now - rejoined > 3:
                    c.join()
                    rejoined = now
            k += 1
            await asyncio.sleep(interval)

    def stop_sending(self):
        self.sending = False
        self.stop_sending_at = time.monotonic()

    def undelivered(self):
        """Acknowledged stanzas not delivered (yet), not bounced."""
        lost = {"chat": [], "group": []}
        for a, b in self.pairs:
            for s, r in ((a, b), (b, a)):
                lost["chat"] += [m for m in s.acked if m not in r.arrived and m not in s.bounced]
        got = set()
        for o in self.occupants:
            got |= set(o.arrived)
        for o in self.occupants:
            lost["group"] += [m for m in o.acked if m not in got and m not in o.bounced]
        return lost

    def drain(self, timeout):
        """Waits (bounded) until every acknowledged stanza arrived; clients reconnect meanwhile."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and any(self.undelivered().values()):
            time.sleep(0.5)

    def close(self):
        async def down():
            for c in self.clients:
                c.stopping = True
                if c.x.transport is not None:
                    c.x.abort()
            await asyncio.sleep(0.2)
            for t in asyncio.all_tasks():
                if t is not asyncio.current_task():
                    t.cancel()
        if self.thread.is_alive():
            try:
                asyncio.run_coroutine_threadsafe(down(), self.loop).result(15)
            except Exception:
                pass
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(10)


def end_connection(fd):
    """Ends a libpq connection's socket under it: its blocked statement then fails
    as a lost connection would."""
    try:
        s = socket.socket(fileno=os.dup(fd))
        s.shutdown(socket.SHUT_RDWR)
        s.close()
    except OSError:
        pass


class Writer(threading.Thread):
    """Commits numbered rows one at a time through libpq with every node listed and
    target_session_attrs=read-write; after an error it connects again (libpq finds
    the master). A commit whose wait for the synchronous standby was cancelled is
    not counted as acknowledged. Each statement's answer must come within
    `answer_within` s (README: libpq has no setting for it; a frozen master's kernel
    acknowledges everything): past it the connection is ended and the row counted as
    failed, as the call bridge does."""

    def __init__(self, conninfo, table="chaos_ledger", interval=0.05, limit=100000, answer_within=1.5):
        super().__init__(daemon=True)
        self.conninfo, self.table, self.interval, self.limit = conninfo, table, interval, limit
        self.answer_within = answer_within
        self.acked = []      # (id, time, host)
        self.failed = []     # (id or None, time, error)
        self.stop_flag = False
        self.conn = None

    def run(self):
        import psycopg2
        i = 0
        while not self.stop_flag and i < self.limit:
            if self.conn is None:
                try:
                    self.conn = psycopg2.connect(self.conninfo)
                    self.conn.autocommit = True
                except psycopg2.Error as e:
                    self.failed.append((None, time.monotonic(), str(e).strip().splitlines()[0]))
                    time.sleep(0.1)
                    continue
            i += 1
            deadline = threading.Timer(self.answer_within, end_connection, (self.conn.fileno(),))
            deadline.start()
            try:
                try:
                    with self.conn.cursor() as cur:
                        cur.execute(f"INSERT INTO {self.table} VALUES (%s, clock_timestamp())", (i,))
                finally:
                    deadline.cancel()
                if any("synchronous replication" in n for n in self.conn.notices):
                    self.failed.append((i, time.monotonic(), "commit wait cancelled"))
                    self.conn.notices.clear()
                else:
                    self.acked.append((i, time.monotonic(), self.conn.info.host))
            except psycopg2.Error as e:
                self.failed.append((i, time.monotonic(), (str(e).strip().splitlines() or ["?"])[0]))
                try:
                    self.conn.close()
                except psycopg2.Error:
                    pass
                self.conn = None
            time.sleep(self.interval)

    def stop(self):
        self.stop_flag = True
        self.join(15)
        if self.is_alive() and self.conn is not None:
            self.conn.cancel()  # a commit waiting forever must not hold the run
            self.join(10)
