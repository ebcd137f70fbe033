"""Creates the same users on a server through in-band registration (XEP-0077), on
plain TCP, many at a time. Used for Prosody and ejabberd: their own command-line
tools take most of a second per user (an Erlang VM or a Lua state started per
call), too slow for thousands. The servers run with registration on only while
this runs; the measured runs use a configuration without it."""
import asyncio


async def _register(host, domain, user, password, sem):
    async with sem:
        reader, writer = await asyncio.open_connection(host, 5222)
        try:
            writer.write((f"<?xml version='1.0'?><stream:stream xmlns='jabber:client' "
                          f"xmlns:stream='http://etherx.jabber.org/streams' to='{domain}' version='1.0'>").encode())
            buf = b""
            while b"</stream:features>" not in buf:
                chunk = await asyncio.wait_for(reader.read(65536), 10)
                if not chunk:
                    raise RuntimeError(f"{host}: closed before features")
                buf += chunk
            writer.write((f"<iq type='set' id='r1'><query xmlns='jabber:iq:register'><username>{user}</username>"
                          f"<password>{password}</password></query></iq>").encode())
            buf = b""
            while b"id='r1'" not in buf and b'id="r1"' not in buf:
                chunk = await asyncio.wait_for(reader.read(65536), 10)
                if not chunk:
                    raise RuntimeError(f"{host}: closed during registration of {user}")
                buf += chunk
            text = buf.decode(errors="replace")
            if "type='result'" not in text and 'type="result"' not in text and "<conflict" not in text:
                raise RuntimeError(f"{host}: registering {user} failed: {text[:300]}")
        finally:
            writer.close()


def register_users(host, domain, prefix, count, password, parallel=50):
    async def go():
        sem = asyncio.Semaphore(parallel)
        await asyncio.gather(*(_register(host, domain, f"{prefix}{i}", password, sem) for i in range(count)))
    asyncio.run(go())
