"""The meeting client /meet in Debian's headless Chromium (python3-selenium):
the node serves the page and its npm XMPP library without a session, and refuses
what is not one of those files. The meeting itself (spaces, chat, a node killed
under a user) is in test_meet_cluster.py."""
import pytest

from harness import wait_for
from test_webadmin_browser import browser  # noqa: F401  (fixture)
from webadmin_fixtures import PORT, web  # noqa: F401  (fixture)

TIMEOUT = 30.0


def test_meet_is_served_without_a_session_with_its_library(browser, web):  # noqa: F811
    status, headers, _ = web.request("GET", "/meet")
    assert status == 301 and headers["location"] == "/meet/"
    status, headers, page = web.request("GET", "/meet/")
    assert status == 200, page
    assert headers["content-type"].startswith("text/html")
    assert "default-src 'self'" in headers["content-security-policy"]
    assert 'id="login-form"' in page
    status, headers, library = web.request("GET", "/meet/xmpp.min.js")
    assert status == 200 and headers["content-type"].startswith("text/javascript")
    assert "XMPP" in library[:200]

    # Only the client's own files, only read.
    for path in ("/meet/../config.json", "/meet/.hidden", "/meet/nosuch.js", "/meet/a/b.js"):
        assert web.request("GET", path)[0] == 404, path
    status, headers, _ = web.request("POST", "/meet/", body="x")
    assert status == 405 and headers["allow"] == "GET, HEAD"
    # The web admin's pages still want their login.
    status, headers, _ = web.request("GET", "/")
    assert status in (302, 303) and headers["location"] == "/login"

    from selenium.webdriver.common.by import By
    browser.get(f"https://{web.node.address}:{PORT}/meet/")
    wait_for(lambda: browser.find_elements(By.ID, "jid"), TIMEOUT, "the meeting client's login form")
    assert browser.execute_script("return typeof window.XMPP.client") == "function"
    assert browser.find_element(By.ID, "status").text == "Not connected."
    assert not browser.find_element(By.ID, "login").get_attribute("disabled")


def test_meet_refuses_a_bad_address_without_connecting(browser, web):  # noqa: F811
    from selenium.webdriver.common.by import By
    browser.get(f"https://{web.node.address}:{PORT}/meet/")
    wait_for(lambda: browser.find_elements(By.ID, "jid"), TIMEOUT, "the login form")
    browser.find_element(By.ID, "jid").send_keys("no-domain")
    browser.find_element(By.ID, "password").send_keys("x")
    browser.find_element(By.ID, "login").click()
    wait_for(lambda: browser.find_element(By.ID, "login-error").text, TIMEOUT, "the error")
    assert browser.find_element(By.ID, "login-error").text == "Give your address as user@domain."
    assert browser.execute_script("return window.convene.state.xmpp") is None
