// The meeting client: one XMPP session over WebSocket (RFC 7395) with @xmpp/client
// (window.XMPP, from npm), and plain DOM for the page.
//  - Log in (or create the account first with XEP-0077 when the server offers it).
//  - List the spaces of every call bridge: disco#items on the domain, keep the items
//    whose disco#info says conference, disco#items on each (XEP-0045 §6.3).
//  - Join a space (XEP-0045 §7.2), show its occupants, who comes and goes, and its
//    group chat.
//  - Stay in it: the WebSocket endpoints of every node come from XEP-0156 host-meta
//    when the page loads (the page's own node first). When the connection drops, the
//    library reconnects; it tries the same node once (XEP-0198 resume keeps the
//    session if that node is still there), then the next node of the list, and so on.
//    A new session (no resume) joins the space again with the same resource and nick.
// Everything a user typed is shown with textContent, never parsed as HTML.
"use strict";
(() => {
  const NS = {
    discoInfo: "http://jabber.org/protocol/disco#info",
    discoItems: "http://jabber.org/protocol/disco#items",
    muc: "http://jabber.org/protocol/muc",
    mucUser: "http://jabber.org/protocol/muc#user",
    mucOwner: "http://jabber.org/protocol/muc#owner",
    data: "jabber:x:data",
    register: "jabber:iq:register",
    registerFeature: "http://jabber.org/features/iq-register",
    framing: "urn:ietf:params:xml:ns:xmpp-framing",
    delay: "urn:xmpp:delay",
    sm: "urn:xmpp:sm:3",
  };
  const WEBSOCKET_REL = "urn:xmpp:alt-connections:websocket";
  const IQ_TIMEOUT_MS = 15000;
  const JOIN_RETRY_MS = 5000;
  const JOIN_TRIES = 24;       // about two minutes of retries, then the page says so
  const LOG_MAX = 500;         // lines kept in the page
  const DROPS_MAX = 5;         // unexpected removals joined again, per space entered

  const $ = (id) => document.getElementById(id);
  const state = {
    xmpp: null,
    services: [],
    serviceIndex: 0,
    stayOnNextDrop: false,   // the first drop after being online retries the same node
    resumed: false,          // this session came back through XEP-0198 resume (not a new login)
    domain: "",
    resource: "meet-" + Math.random().toString(36).slice(2, 10),
    room: "",                // bare JID of the space we are in (or joining)
    nick: "",
    joined: false,
    joinTries: 0,
    joinTimer: null,
    drops: 0,
    occupants: new Map(),    // nick -> true
    lastMessageAt: null,     // for <history since=.../> when joining again
    seen: new Set(),         // "nick\u0000body" of messages shown, to drop repeated history
  };

  if (!window.XMPP || typeof window.XMPP.client !== "function") {
    setStatus("The XMPP library (xmpp.min.js) is missing on this node: the meeting client cannot start.");
    $("login").disabled = true;
    return;
  }
  const { client, xml } = window.XMPP;
  window.convene = { state };  // for tests and the curious: read-only use

  function setStatus(text) { $("status").textContent = text; }
  function show(section) {
    for (const id of ["login-form", "lobby", "room"]) $(id).hidden = id !== section;
  }

  // --- discovery of the nodes (XEP-0156) ---
  async function discoverServices() {
    const own = `wss://${location.host}/xmpp-websocket`;
    const found = [];
    try {
      const response = await fetch("/.well-known/host-meta.json", { cache: "no-store" });
      if (response.ok) {
        const meta = await response.json();
        for (const link of meta.links || []) {
          if (link.rel === WEBSOCKET_REL && typeof link.href === "string") found.push(link.href);
        }
      }
    } catch (e) {
      // No host-meta: this node alone.
    }
    const ownFirst = found.includes(own) ? [own, ...found.filter((u) => u !== own)] : [own, ...found];
    return [...new Set(ownFirst)];
  }

  // --- in-band registration (XEP-0077) on a stream of its own ---
  function register(service, domain, username, password) {
    const esc = (s) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
    return new Promise((resolve, reject) => {
      let settled = false;
      const ws = new WebSocket(service, "xmpp");
      const finish = (err) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        try { ws.send(`<close xmlns="${NS.framing}"/>`); } catch (e) { /* already closed */ }
        ws.close();
        err ? reject(err) : resolve();
      };
      const timer = setTimeout(() => finish(new Error("the server did not answer the registration")), IQ_TIMEOUT_MS);
      ws.onopen = () => ws.send(`<open xmlns="${NS.framing}" to="${esc(domain)}" version="1.0"/>`);
      ws.onerror = () => finish(new Error("could not reach " + service));
      ws.onclose = () => finish(new Error("the server closed the connection during registration"));
      ws.onmessage = (event) => {
        const el = new DOMParser().parseFromString(event.data, "application/xml").documentElement;
        if (el.localName === "features") {
          if (!el.getElementsByTagNameNS(NS.registerFeature, "register").length)
            return finish(new Error("in-band registration is off on this server: ask its operator for an account"));
          ws.send(`<iq type="set" id="reg1" xmlns="jabber:client"><query xmlns="${NS.register}">` +
                  `<username>${esc(username)}</username><password>${esc(password)}</password></query></iq>`);
        } else if (el.localName === "iq") {
          if (el.getAttribute("type") === "result") return finish(null);
          const condition = el.getElementsByTagName("error")[0]?.firstElementChild?.localName || "unknown error";
          finish(new Error(condition === "conflict" ? "this account exists already" : "registration refused: " + condition));
        }
      };
    });
  }

  // --- the session ---
  async function logIn(event) {
    event.preventDefault();
    $("login-error").textContent = "";
    const address = $("jid").value.trim();
    const at = address.indexOf("@");
    if (at < 1 || at === address.length - 1 || address.includes("/")) {
      $("login-error").textContent = "Give your address as user@domain.";
      return;
    }
    const username = address.slice(0, at);
    state.domain = address.slice(at + 1);
    const password = $("password").value;
    $("login").disabled = true;
    try {
      setStatus("Looking for the nodes…");
      state.services = await discoverServices();
      state.serviceIndex = 0;
      if ($("register").checked) {
        setStatus("Creating the account…");
        await register(state.services[0], state.domain, username, password);
      }
      setStatus("Connecting to " + state.services[0] + "…");
      await start(username, password);
    } catch (e) {
      const failed = state.xmpp;
      state.xmpp = null;  // first, so its disconnect handler knows it was given up
      if (failed) {
        failed.reconnect.stop();
        failed.stop().catch(() => {});
      }
      $("login-error").textContent = e && e.condition === "not-authorized"
        ? "Wrong address or password." : (e && e.message) || String(e);
      setStatus("Not connected.");
    } finally {
      $("login").disabled = false;
    }
  }

  async function start(username, password) {
    const xmpp = client({
      service: state.services[state.serviceIndex],
      domain: state.domain,
      resource: state.resource,
      username,
      password,
    });
    state.xmpp = xmpp;
    countHandledStanzas(xmpp);
    xmpp.on("error", (err) => console.warn("xmpp:", err && err.message));
    xmpp.on("stanza", onStanza);
    xmpp.on("online", onOnline);
    xmpp.streamManagement.on("resumed", () => {
      state.stayOnNextDrop = true;
      state.resumed = true;
      setStatus(`Connected as ${xmpp.jid} (session resumed on ${xmpp.options.service}).`);
      addEvent("Session resumed: nothing was lost.");
      // Still an occupant for the bridge, but the page forgot who is there: a rejoin
      // brings the list back. The library marks the connection online only after this
      // event, in the same turn, and a join is sent only online: so on the next turn.
      if (state.room) Promise.resolve().then(() => joinRoom(true));
    });
    xmpp.on("disconnect", () => {
      if (state.xmpp !== xmpp) return;  // a login given up
      // The library reconnects to options.service after a second: the same node once
      // (resume), then the next ones in turn.
      if (state.stayOnNextDrop) {
        state.stayOnNextDrop = false;
      } else {
        state.serviceIndex = (state.serviceIndex + 1) % state.services.length;
        xmpp.options.service = state.services[state.serviceIndex];
      }
      const wasIn = state.joined;
      state.joined = false;
      setStatus("Connection lost: reconnecting to " + xmpp.options.service + "…");
      if (wasIn) markRoomOffline();  // once, not at every failed attempt
    });
    await xmpp.start();
  }

  // XEP-0198's 'h' (the stanzas this page has handled), counted here. @xmpp/client
  // 0.14 counts in a middleware that its IQ caller and callee run first, and they keep
  // the IQs they handle (answers to our queries, the server's pings): its 'h' falls
  // short, and a node resuming the session sends again what the page already showed.
  // Every stanza is counted in stream order, from <enabled/> on; the library reads
  // the count for its <a/> and <resume/>, and its own writes are ignored.
  function countHandledStanzas(xmpp) {
    let handled = 0;
    xmpp.on("element", (el) => {
      if (el.is("enabled", NS.sm)) handled = 0;
      else if (xmpp.isStanza(el)) handled += 1;
    });
    Object.defineProperty(xmpp.streamManagement, "inbound", {
      get: () => handled,
      set: () => {},
      configurable: true,
    });
  }

  async function onOnline(address) {
    state.stayOnNextDrop = true;
    state.resumed = false;
    setStatus(`Connected as ${address} on ${state.xmpp.options.service}.`);
    await state.xmpp.send(xml("presence"));
    if (state.room) {
      joinRoom(true);
    } else {
      show("lobby");
      $("nick").value ||= address.local;
      $("space").focus();
      listSpaces();
    }
  }

  // --- the spaces of the call bridges ---
  async function query(to, ns) {
    const answer = await state.xmpp.iqCaller.request(
      xml("iq", { type: "get", to }, xml("query", { xmlns: ns })), IQ_TIMEOUT_MS);
    return answer.getChild("query", ns);
  }

  async function bridges() {
    const items = await query(state.domain, NS.discoItems);
    const found = [];
    for (const item of items ? items.getChildren("item") : []) {
      const jid = item.attrs.jid;
      try {
        const info = await query(jid, NS.discoInfo);
        if (info.getChildren("identity").some((i) => i.attrs.category === "conference")) found.push(jid);
      } catch (e) {
        // An item that does not answer disco#info is not a bridge we can use.
      }
    }
    return found;
  }

  async function listSpaces() {
    const list = $("spaces");
    list.replaceChildren();
    $("join-error").textContent = "";
    try {
      const found = await bridges();
      state.bridges = found;
      for (const bridge of found) {
        const items = await query(bridge, NS.discoItems);
        for (const item of items ? items.getChildren("item") : []) {
          const li = document.createElement("li");
          const button = document.createElement("button");
          button.type = "button";
          button.className = "space";
          button.dataset.jid = item.attrs.jid;
          button.textContent = `${item.attrs.name || item.attrs.jid} (${item.attrs.jid})`;
          button.addEventListener("click", () => { $("space").value = item.attrs.jid; enterRoom(); });
          li.append(button);
          list.append(li);
        }
      }
      if (!found.length) $("join-error").textContent = "No call bridge answers on this domain.";
      else if (!list.children.length) $("join-error").textContent = "No space yet: give a name to create one.";
    } catch (e) {
      $("join-error").textContent = "Could not list the spaces: " + ((e && e.message) || e);
    }
  }

  // --- a space ---
  function enterRoom(event) {
    if (event) event.preventDefault();
    let space = $("space").value.trim().toLowerCase();
    const nick = $("nick").value.trim();
    if (!space || !nick) return;
    if (!space.includes("@")) {
      if (!state.bridges || !state.bridges.length) {
        $("join-error").textContent = "No call bridge found: give the space as name@bridge.";
        return;
      }
      space = `${space}@${state.bridges[0]}`;
    }
    state.room = space;
    state.nick = nick;
    state.occupants.clear();
    state.seen.clear();
    state.drops = 0;
    $("log").replaceChildren();
    $("room-title").textContent = space;
    renderOccupants();
    show("room");
    joinRoom(false);
  }

  function joinRoom(again) {
    clearTimeout(state.joinTimer);
    state.joined = false;
    state.joinTries = again ? state.joinTries : 0;
    const attempt = () => {
      if (state.joined || !state.room || !state.xmpp || state.xmpp.status !== "online") return;
      if (++state.joinTries > JOIN_TRIES) {
        setStatus("Could not get back into the space: leave and join again.");
        return;
      }
      const history = state.lastMessageAt ? { since: state.lastMessageAt } : { maxstanzas: "20" };
      state.xmpp.send(xml("presence", { to: `${state.room}/${state.nick}` },
        xml("x", { xmlns: NS.muc }, xml("history", history)))).catch(() => {});
      state.joinTimer = setTimeout(attempt, JOIN_RETRY_MS);
    };
    if (again) addEvent("Joining the space again…");
    attempt();
  }

  function markRoomOffline() {
    if (!state.room) return;
    state.occupants.clear();
    renderOccupants();
    addEvent("Connection lost: you are out of the space until it is back.");
  }

  async function leaveRoom() {
    const room = state.room;
    clearTimeout(state.joinTimer);
    state.room = "";  // first: the answer to the leave is not a drop to rejoin after
    state.joined = false;
    state.lastMessageAt = null;
    if (room && state.xmpp) {
      await state.xmpp.send(xml("presence", { to: `${room}/${state.nick}`, type: "unavailable" })).catch(() => {});
    }
    show("lobby");
    listSpaces();
  }

  function onStanza(stanza) {
    const from = stanza.attrs.from || "";
    const slash = from.indexOf("/");
    const bare = slash < 0 ? from : from.slice(0, slash);
    if (!state.room || bare !== state.room) return;
    const nick = slash < 0 ? "" : from.slice(slash + 1);
    if (stanza.is("presence")) onRoomPresence(stanza, nick);
    else if (stanza.is("message") && stanza.attrs.type === "groupchat") onGroupMessage(stanza, nick);
  }

  function onRoomPresence(stanza, nick) {
    const x = stanza.getChild("x", NS.mucUser);
    const codes = new Set(x ? x.getChildren("status").map((s) => s.attrs.code) : []);
    if (stanza.attrs.type === "error") {
      const condition = stanza.getChild("error")?.getChildElements()[0]?.name || "error";
      if (!state.joined) addEvent(`The space refused the join (${condition}); trying again shortly.`);
      return;
    }
    const self = codes.has("110") || nick === state.nick;
    if (stanza.attrs.type === "unavailable") {
      if (state.occupants.delete(nick) && !self) addEvent(`${nick} left`);
      if (self && state.joined && !codes.has("303")) {
        state.joined = false;
        state.occupants.clear();
        const sent_away = ["301", "307", "321"].some((c) => codes.has(c)) || (x && x.getChild("destroy"));
        if (sent_away || ++state.drops > DROPS_MAX) {
          addEvent("You are out of the space" + (sent_away ? " (removed, or the space was deleted)." : "."));
        } else {
          // Dropped by the bridge (it took our old session for gone): join again.
          addEvent("The space dropped you: joining again…");
          clearTimeout(state.joinTimer);
          state.joinTimer = setTimeout(() => joinRoom(true), 500);
        }
      }
      renderOccupants();
      return;
    }
    const known = state.occupants.has(nick);
    state.occupants.set(nick, true);
    if (self) {
      if (!state.joined) {
        state.joined = true;
        state.joinTries = 0;
        clearTimeout(state.joinTimer);
        addEvent("You are in the space.");
        const how = state.resumed ? ", session resumed" : "";
        setStatus(`In ${state.room} as ${state.nick} (${state.xmpp.options.service}${how}).`);
        $("say").focus();
      }
      if (codes.has("201")) configureInstantRoom();
    } else if (!known && state.joined) {
      addEvent(`${nick} joined`);
    }
    renderOccupants();
  }

  // A space this join created is locked until its owner configures it: accept the defaults.
  function configureInstantRoom() {
    state.xmpp.iqCaller.request(xml("iq", { type: "set", to: state.room },
      xml("query", { xmlns: NS.mucOwner }, xml("x", { xmlns: NS.data, type: "submit" }))), IQ_TIMEOUT_MS)
      .catch((e) => addEvent("Could not unlock the new space: " + ((e && e.message) || e)));
  }

  function onGroupMessage(stanza, nick) {
    const body = stanza.getChildText("body");
    const delay = stanza.getChild("delay", NS.delay);
    const stamp = delay ? delay.attrs.stamp : new Date().toISOString();
    if (!state.lastMessageAt || stamp > state.lastMessageAt) state.lastMessageAt = stamp;
    if (body === null || body === undefined) return;
    const key = nick + "\u0000" + body;
    if (delay && state.seen.has(key)) return;  // history we showed already
    state.seen.add(key);
    const li = document.createElement("li");
    li.className = "message";
    const who = document.createElement("span");
    who.className = "nick";
    who.textContent = nick + ": ";
    const text = document.createElement("span");
    text.className = "body";
    text.textContent = body;
    li.append(who, text);
    appendLog(li);
  }

  function addEvent(text) {
    const li = document.createElement("li");
    li.className = "event";
    li.textContent = text;
    appendLog(li);
  }

  function appendLog(li) {
    const log = $("log");
    log.append(li);
    while (log.children.length > LOG_MAX) log.firstElementChild.remove();
    log.scrollTop = log.scrollHeight;
  }

  function renderOccupants() {
    const list = $("occupants");
    list.replaceChildren(...[...state.occupants.keys()].sort().map((nick) => {
      const li = document.createElement("li");
      li.textContent = nick;
      return li;
    }));
  }

  function say(event) {
    event.preventDefault();
    const box = $("say");
    const body = box.value.trim();
    if (!body || !state.joined) return;
    state.xmpp.send(xml("message", { to: state.room, type: "groupchat" }, xml("body", {}, body)))
      .then(() => { box.value = ""; })
      .catch((e) => addEvent("Not sent: " + ((e && e.message) || e)));
  }

  $("login-form").addEventListener("submit", logIn);
  $("join-form").addEventListener("submit", enterRoom);
  $("refresh").addEventListener("click", listSpaces);
  $("say-form").addEventListener("submit", say);
  $("leave").addEventListener("click", leaveRoom);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && !$("room").hidden) $("say").focus();
  });
})();
