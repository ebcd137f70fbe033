"""The pages in Debian's headless Chromium (chromium + chromium-driver, driven by
python3-selenium): log in, change the call bridge settings on Configuration >
General and see `callbridge status` follow, create and delete a space on Spaces
(the delete confirmed in the browser's dialog) and see `callbridge space list`
follow, and see the Status page follow a
killed cluster node on its own (no reload). Screenshots go to docs/ when
CONVENE_SCREENSHOTS is set."""
import os
import re
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from harness import TOP, wait_for
from webadmin_fixtures import ACCOUNTS, PORT, enable_webadmin, set_up_call_bridge, web  # noqa: F401
from xmpp_cluster_fixtures import ADDR, build_cluster, leader_index

TIMEOUT = 30.0


@pytest.fixture
def browser():
    # A missing browser fails the test (never skips it).
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    profile = tempfile.mkdtemp(prefix="convene-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for flag in ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--window-size=1100,900", f"--user-data-dir={profile}", "--ignore-certificate-errors"):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"), options=options)
    driver.set_page_load_timeout(TIMEOUT)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)


def screenshot(driver, name):
    if os.environ.get("CONVENE_SCREENSHOTS"):
        driver.save_screenshot(str(TOP / "docs" / f"webadmin-{name}.png"))


def log_in(driver, web, user="ops"):
    from selenium.webdriver.common.by import By
    driver.get(f"https://{web.node.address}:{PORT}/")
    wait_for(lambda: driver.find_elements(By.ID, "user"), TIMEOUT, "the login form")
    screenshot(driver, "login")
    driver.find_element(By.ID, "user").send_keys(user)
    driver.find_element(By.ID, "password").send_keys(ACCOUNTS[user][1])
    driver.find_element(By.ID, "login").click()
    wait_for(lambda: driver.find_elements(By.ID, "blocks"), TIMEOUT, "the status page after login")


def text_of(driver, element_id):
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    for _ in range(5):  # the page's own refresh may swap the element between finding and reading it
        try:
            found = driver.find_elements(By.ID, element_id)
            return found[0].text if found else ""
        except StaleElementReferenceException:
            continue
    return ""


def test_general_settings_from_the_browser_reach_callbridge_status(browser, web):
    from selenium.webdriver.common.by import By
    log_in(browser, web)
    browser.get(f"https://{web.node.address}:{PORT}/config/general")
    for name, value in (("name", "cb5"), ("domain", "tptac9.com"), ("server", "127.0.0.1:5223"),
                        ("secret", "Ab1Cd2Ef3Gh4Ij5Kl6")):
        box = browser.find_element(By.ID, name)
        box.clear()
        box.send_keys(value)
    browser.find_element(By.ID, "submit").click()
    wait_for(lambda: "cb5" in text_of(browser, "callbridge-status"), TIMEOUT,
             "the page to show the new name")
    screenshot(browser, "general")
    out = web.node.mmp("callbridge", "status").stdout
    assert re.search(r"^Name\s*:\s*cb5$", out, re.M), out
    assert re.search(r"^Domain\s*:\s*tptac9.com$", out, re.M), out
    assert re.search(r"^Server\s*:\s*127.0.0.1:5223$", out, re.M), out
    assert re.search(r"^Secret\s*:\s*set$", out, re.M), out
    # A refused value shows mmp's own message and changes nothing.
    box = browser.find_element(By.ID, "name")
    box.clear()
    box.send_keys("bad name!")
    browser.find_element(By.ID, "submit").click()
    wait_for(lambda: "ERROR:" in text_of(browser, "result"), TIMEOUT, "the refusal on the page")
    assert re.search(r"^Name\s*:\s*cb5$", web.node.mmp("callbridge", "status").stdout, re.M)
    for page in ("users", "logs"):
        browser.get(f"https://{web.node.address}:{PORT}/{page}")
        screenshot(browser, page)


def test_spaces_from_the_browser_reach_the_space_list(browser, web):
    from selenium.webdriver.common.by import By
    set_up_call_bridge(web.node)
    log_in(browser, web)
    browser.get(f"https://{web.node.address}:{PORT}/spaces")
    for name in ("weekly", "standup"):
        browser.find_element(By.ID, "name").send_keys(name)
        browser.find_element(By.ID, "create").click()
        wait_for(lambda: f"Space {name} created" in text_of(browser, "result"), TIMEOUT, "the space created")
    listed = web.node.mmp("callbridge", "space", "list").stdout
    assert "  weekly" in listed and "  standup" in listed, listed
    assert {r.get_attribute("data-space") for r in browser.find_elements(By.CSS_SELECTOR, "tr.space")} == \
        {"weekly", "standup"}
    screenshot(browser, "spaces")
    # Delete asks in the browser first; dismissed, nothing changes.
    row = lambda: browser.find_element(By.CSS_SELECTOR, 'tr[data-space="standup"]')  # noqa: E731
    row().find_element(By.CLASS_NAME, "delete").click()
    browser.switch_to.alert.dismiss()
    assert "  standup" in web.node.mmp("callbridge", "space", "list").stdout
    row().find_element(By.CLASS_NAME, "delete").click()
    browser.switch_to.alert.accept()
    wait_for(lambda: "Space standup deleted" in text_of(browser, "result"), TIMEOUT, "the space deleted")
    listed = web.node.mmp("callbridge", "space", "list").stdout
    assert "  standup" not in listed and "  weekly" in listed, listed


def test_status_page_follows_a_killed_node_on_its_own(browser, nodes):
    three = {i: nodes(i) for i in (1, 2, 3)}
    build_cluster(three)
    web1 = enable_webadmin(three[1])
    log_in(browser, web1)
    screenshot(browser, "status")
    leader = leader_index(three)
    victim = leader if leader != 1 else 3
    before = text_of(browser, "xmpp-cluster-status")
    assert ADDR[victim] in before, before
    three[victim].kill()

    def page_shows_it():
        text = text_of(browser, "xmpp-cluster-status")
        line = next((l for l in text.splitlines() if l.startswith(ADDR[victim])), "")
        if victim == leader:
            return "(Leader)" in text and "(Leader)" not in line
        return re.search(r"last keep-alive \d+ s ago", line) is not None
    # The page is not reloaded: its script fetches the blocks again.
    wait_for(page_shows_it, 60, "the status page to show the killed node\n" + text_of(browser, "xmpp-cluster-status"))
    screenshot(browser, "status-after-kill")


def certificate_row(driver, use):
    """(class, days left, state) of the Status page's row for `use`, or None."""
    from selenium.common.exceptions import StaleElementReferenceException
    from selenium.webdriver.common.by import By
    for _ in range(5):  # the page's refresh may swap the table while it is read
        try:
            rows = driver.find_elements(By.CSS_SELECTOR, f'#certificates tr.certificate[data-use="{use}"]')
            if not rows:
                return None
            cells = rows[0].find_elements(By.TAG_NAME, "td")
            return rows[0].get_attribute("class"), cells[2].text, cells[1].text
        except StaleElementReferenceException:
            continue
    return None


def test_status_page_shows_certificate_days_and_warns_30_days_ahead(browser, web):
    from selenium.webdriver.common.by import By
    node = web.node
    log_in(browser, web)
    cls, days, file = certificate_row(browser, "webadmin")
    assert file == "web.crt" and "warning" not in cls and int(days) > 300, (cls, days, file)
    assert not browser.find_elements(By.CSS_SELECTOR, ".cert-warning")
    # A certificate that expires in 20 days: the page warns on its next refresh.
    node.mmp("pki", "selfsigned", "soon", f"CN:{node.address}", f"subjectAltName:{node.address}", "days:20")
    node.mmp("webadmin", "certs", "soon.key", "soon.crt")
    wait_for(lambda: (certificate_row(browser, "webadmin") or ("", "", ""))[2] == "soon.crt", TIMEOUT,
             "the Status page to show the new certificate on its own")
    cls, days, _ = certificate_row(browser, "webadmin")
    assert "warning" in cls and 19 <= int(days) <= 20, (cls, days)
    warning = " ".join(e.text for e in browser.find_elements(By.CSS_SELECTOR, ".cert-warning"))
    assert "WARNING: webadmin certificate soon.crt" in warning and "replace it with 'webadmin certs'" in warning, warning
    screenshot(browser, "status-certificates")
