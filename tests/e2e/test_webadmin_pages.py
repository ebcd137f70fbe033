"""The pages over real HTTPS with http.client: login with a session cookie
(Secure, HttpOnly, SameSite=Strict), CSRF tokens on every change, Configuration >
General through the same commands (and messages) as `mmp callbridge ...`."""
import re
import urllib.parse

from webadmin_fixtures import set_up_call_bridge, web  # noqa: F401

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def login(web, user="ops", password="ops-pass-123"):
    status, headers, body = web.request("POST", "/login", body=urllib.parse.urlencode({"user": user, "password": password}),
                                        headers=FORM)
    assert status == 303, body
    cookie = headers["set-cookie"]
    return cookie.split(";")[0], cookie


def page(web, cookie, path):
    status, _, body = web.request("GET", path, headers={"Cookie": cookie})
    assert status == 200, body
    return body


def csrf_of(body):
    return re.search(r'name="csrf" value="([^"]+)"', body).group(1)


def callbridge_name(web):
    out = web.node.mmp("callbridge", "status").stdout
    return re.search(r"^Name\s*:\s*(.*)$", out, re.M).group(1)


def test_login_sets_a_strict_session_cookie(web):
    assert web.request("GET", "/")[0] == 303  # to /login
    cookie, full = login(web)
    for attribute in ("Secure", "HttpOnly", "SameSite=Strict"):
        assert attribute in full, full
    assert "callbridge status" in page(web, cookie, "/")
    status, _, body = web.request("POST", "/login", body="user=ops&password=nope", headers=FORM)
    assert status == 401 and "Wrong user name or password" in body


def test_api_accounts_have_no_pages(web):
    status, _, body = web.request("POST", "/login", body="user=robot&password=robot-pass-123", headers=FORM)
    assert status == 403, body


def test_general_settings_go_through_the_callbridge_commands(web):
    cookie, _ = login(web)
    token = csrf_of(page(web, cookie, "/config/general"))
    form = {"csrf": token, "name": "cb9", "domain": "tptac9.com", "server": "127.0.0.1:5223", "secret": ""}
    status, _, body = web.request("POST", "/config/general", body=urllib.parse.urlencode(form),
                                  headers={**FORM, "Cookie": cookie})
    assert status == 200, body
    assert callbridge_name(web) == "cb9"
    out = web.node.mmp("callbridge", "status").stdout
    assert re.search(r"^Server\s*:\s*127.0.0.1:5223$", out, re.M), out
    assert re.search(r"who=ops\(web\)@127[.0-9]+ what='callbridge name cb9' done", web.log())
    # A value mmp refuses is refused with mmp's message, and nothing changes.
    refused = web.node.mmp("callbridge", "domain", "bad domain!", check=False)
    mmp_error = refused.stdout + refused.stderr
    form.update(domain="bad domain!")
    status, _, body = web.request("POST", "/config/general", body=urllib.parse.urlencode(form),
                                  headers={**FORM, "Cookie": cookie})
    assert status == 400
    first_line = mmp_error.strip().splitlines()[0]
    assert first_line.replace("'", "&apos;") in body, (first_line, body)
    assert re.search(r"^Domain\s*:\s*tptac9.com$", web.node.mmp("callbridge", "status").stdout, re.M)


def test_changes_without_the_csrf_token_are_refused(web):
    cookie, _ = login(web)
    before = (web.node.dir / "config.json").read_text()
    for token in (None, "", "forged-token-0000000000000000000"):
        form = {"name": "evil", "domain": "evil.com", "server": "", "secret": ""}
        if token is not None:
            form["csrf"] = token
        status, _, body = web.request("POST", "/config/general", body=urllib.parse.urlencode(form),
                                      headers={**FORM, "Cookie": cookie})
        assert status == 403, body
        assert "CSRF" in body
    assert (web.node.dir / "config.json").read_text() == before


def test_wrong_content_type_and_no_session_change_nothing(web):
    cookie, _ = login(web)
    token = csrf_of(page(web, cookie, "/config/general"))
    before = (web.node.dir / "config.json").read_text()
    body = urllib.parse.urlencode({"csrf": token, "name": "evil", "domain": "", "server": "", "secret": ""})
    status, _, _ = web.request("POST", "/config/general", body=body, headers={"Content-Type": "text/plain", "Cookie": cookie})
    assert status == 415
    status, _, _ = web.request("POST", "/config/general", body=body, headers=FORM)
    assert status == 403
    assert (web.node.dir / "config.json").read_text() == before


def test_audit_accounts_read_pages_but_may_not_change(web):
    cookie, _ = login(web, "viewer", "viewer-pass-123")
    body = page(web, cookie, "/config/general")
    assert 'id="submit"' not in body
    before = (web.node.dir / "config.json").read_text()
    form = {"csrf": csrf_of(body), "name": "evil", "domain": "", "server": "", "secret": ""}
    status, _, _ = web.request("POST", "/config/general", body=urllib.parse.urlencode(form),
                               headers={**FORM, "Cookie": cookie})
    assert status == 403
    assert (web.node.dir / "config.json").read_text() == before


def test_logout_ends_the_session(web):
    cookie, _ = login(web)
    token = csrf_of(page(web, cookie, "/"))
    status, headers, _ = web.request("POST", "/logout", body=f"csrf={token}", headers={**FORM, "Cookie": cookie})
    assert status == 303
    assert web.request("GET", "/", headers={"Cookie": cookie})[0] == 303


def test_logs_and_users_pages(web):
    cookie, _ = login(web)
    assert "who=mmp what=&apos;user add ops admin&apos;" in page(web, cookie, "/logs")
    users = page(web, cookie, "/users")
    assert "viewer" in users and "audit" in users


def spaces_listed(web):
    return web.node.mmp("callbridge", "space", "list").stdout


def test_spaces_page_creates_and_deletes_through_the_space_commands(web):
    set_up_call_bridge(web.node)
    cookie, _ = login(web)
    body = page(web, cookie, "/spaces")
    assert 'id="space-count">0<' in body
    token = csrf_of(body)
    status, _, body = web.request("POST", "/spaces", body=urllib.parse.urlencode({"csrf": token, "name": "standup"}),
                                  headers={**FORM, "Cookie": cookie})
    assert status == 200, body
    assert "Space standup created" in body
    assert "  standup" in spaces_listed(web)
    assert 'data-space="standup"' in page(web, cookie, "/spaces")
    assert re.search(r"who=ops\(web\)@127[.0-9]+ what='callbridge space add standup' done", web.log())

    # Refusals show mmp's own message, and change nothing.
    before = spaces_listed(web)
    mmp_error = web.node.mmp("callbridge", "space", "add", "no space", check=False)
    first_line = (mmp_error.stdout + mmp_error.stderr).strip().splitlines()[0]
    for path, name in (("/spaces", "no space"), ("/spaces", "standup"), ("/spaces/delete", "nosuch")):
        status, _, body = web.request("POST", path, body=urllib.parse.urlencode({"csrf": token, "name": name}),
                                      headers={**FORM, "Cookie": cookie})
        assert status == 400, (path, name, body)
        assert 'class="error"' in body
    status, _, body = web.request("POST", "/spaces", body=urllib.parse.urlencode({"csrf": token, "name": "no space"}),
                                  headers={**FORM, "Cookie": cookie})
    assert first_line.replace("'", "&apos;") in body, (first_line, body)
    status, _, body = web.request("POST", "/spaces/delete", body=urllib.parse.urlencode({"name": "standup"}),
                                  headers={**FORM, "Cookie": cookie})
    assert status == 403 and "CSRF" in body
    assert spaces_listed(web) == before

    status, _, body = web.request("POST", "/spaces/delete",
                                  body=urllib.parse.urlencode({"csrf": token, "name": "standup"}),
                                  headers={**FORM, "Cookie": cookie})
    assert status == 200, body
    assert "Space standup deleted" in body
    assert "  standup" not in spaces_listed(web)
    assert 'data-space="standup"' not in page(web, cookie, "/spaces")


def test_audit_accounts_see_spaces_but_may_not_change_them(web):
    set_up_call_bridge(web.node)
    web.node.mmp("callbridge", "space", "add", "kept")
    cookie, _ = login(web, "viewer", "viewer-pass-123")
    body = page(web, cookie, "/spaces")
    assert 'data-space="kept"' in body
    assert 'id="create"' not in body and 'class="delete"' not in body
    before = spaces_listed(web)
    for path, name in (("/spaces", "other"), ("/spaces/delete", "kept")):
        status, _, _ = web.request("POST", path, body=urllib.parse.urlencode({"csrf": csrf_of(body), "name": name}),
                                   headers={**FORM, "Cookie": cookie})
        assert status == 403
    assert spaces_listed(web) == before
