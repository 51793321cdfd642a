"""The playground and the HTML report as people meet them: over real HTTP, in a real headless
browser (Debian's Chromium driven by Selenium and chromium-driver).

The browser tests skip on a machine without Chromium, but fail under CI=true: CI must run
them (`.ci/run` installs Chromium). Screenshots go to `.ci/artifacts/` for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("starlette")
pytest.importorskip("markdown")

from starlette.testclient import TestClient

from mph_rules import render
from mph_rules.engine import Engine
from mph_rules.loading import load_case, load_pack
from mph_rules.playground import create_app

ROOT = Path(__file__).parent.parent
EXAMPLE = ROOT / "examples" / "hilversum" / "household_closed.yaml"
AS_OF = "2024-10-01"
ARTIFACTS = ROOT / ".ci" / "artifacts"


def _decision() -> Any:
    engine = Engine(load_pack("hilversum"))
    return engine, engine.evaluate(load_case(EXAMPLE), as_of=dt.date(2024, 10, 1))


# --- over HTTP (no browser) -------------------------------------------------------------------


@pytest.fixture(scope="module")
def client() -> TestClient:
    return TestClient(create_app())


def test_an_example_case_is_offered_with_its_as_of(client: TestClient) -> None:
    page = client.get("/", params={"pack": "hilversum", "example": "household_closed"})
    assert page.status_code == 200
    assert "hilversum-example-closed" in page.text and 'value="2024-10-01"' in page.text


def test_an_uploaded_case_is_evaluated(client: TestClient) -> None:
    reply = client.post(
        "/evaluate",
        data={"pack": "hilversum", "as_of": AS_OF, "lang": "en"},
        files={"case_file": ("case.yaml", EXAMPLE.read_bytes(), "application/yaml")},
    )
    assert reply.status_code == 200
    assert "Who must be told" in reply.text and 'class="timeline"' in reply.text


def test_a_bad_case_is_refused_with_a_located_hint_and_no_traceback(client: TestClient) -> None:
    case = "id: x\nevents:\n  - {type: case_registred, at: 2024-01-02, actor: {role: x}}\n"
    reply = client.post(
        "/evaluate", data={"pack": "hilversum", "case_text": case, "as_of": AS_OF, "lang": "nl"}
    )
    assert reply.status_code == 422
    assert ":3:5: fout" in reply.text and "bedoelde u &#x27;case_registered&#x27;?" in reply.text
    assert "Traceback" not in reply.text
    reply = client.post(
        "/evaluate",
        data={"pack": "hilversum", "case_text": EXAMPLE.read_text(), "as_of": "gisteren"},
    )
    assert reply.status_code == 422 and "--as-of" in reply.text


def test_every_citation_target_exists_on_the_pack_page(client: TestClient) -> None:
    reply = client.post(
        "/evaluate",
        data={"pack": "hilversum", "case_text": EXAMPLE.read_text(), "as_of": AS_OF},
    )
    targets = set(
        re.findall(
            r'class="cite" href="[^"#]*/packs/hilversum/docs\?lang=nl#([^"]+)"', reply.text
        )
    )
    assert len(targets) > 5
    # the page in either language holds every target: anchors do not depend on the language
    for lang, heading in (("nl", "Toegangsmatrix"), ("en", "Access matrix")):
        docs = client.get(f"/packs/hilversum/docs?lang={lang}").text
        assert heading in docs
        missing = [t for t in targets if f'id="{t}"' not in docs]
        assert not missing, lang
        assert f'src="hilversum.access.svg?lang={lang}"' in docs
    nl_svg = client.get("/packs/hilversum/hilversum.access.svg?lang=nl")
    en_svg = client.get("/packs/hilversum/hilversum.access.svg?lang=en")
    assert nl_svg.status_code == en_svg.status_code == 200
    assert "Toegangsmatrix" in nl_svg.text and "Access matrix" in en_svg.text
    assert client.get("/packs/nowhere/docs").status_code == 404


def test_the_playground_mounts_under_a_prefix() -> None:
    from starlette.applications import Starlette
    from starlette.routing import Mount

    outer = TestClient(Starlette(routes=[Mount("/playground", app=create_app())]))
    page = outer.get("/playground/")
    assert page.status_code == 200
    assert 'action="http://testserver/playground/evaluate"' in page.text
    assert outer.get("/playground/static/playground.css").status_code == 200


# --- in a real browser ---------------------------------------------------------------------------


def _chromium() -> tuple[str, str] | None:
    browser = shutil.which("chromium") or shutil.which("chromium-browser")
    driver = shutil.which("chromedriver")
    return (browser, driver) if browser and driver else None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    found = _chromium()
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI=true but Chromium/chromium-driver are missing (see .ci/run)")
        pytest.skip("Chromium and chromium-driver are not installed")
    webdriver = pytest.importorskip("selenium.webdriver")
    options = webdriver.ChromeOptions()
    options.binary_location = found[0]
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,2200"):
        options.add_argument(arg)
    service = webdriver.ChromeService(executable_path=found[1])
    driver = webdriver.Chrome(options=options, service=service)
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    uvicorn = pytest.importorskip("uvicorn")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not srv.started:
        assert time.monotonic() < deadline, "the playground did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        srv.should_exit = True
        thread.join(10)


def _shot(driver: Any, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / name
    driver.save_screenshot(str(path))
    print(f"screenshot: {path}")
    return path


def _follow(driver: Any, element: Any, until_id: str) -> Any:
    """Click an element that loads a new page and wait for that page.

    A click returns before the browser has navigated (the playground has no script, every click
    is a page load), so reading the next page at once can still see the old one: wait until the
    old page is gone and the element with `until_id` is there.
    """
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    old = driver.find_element(By.TAG_NAME, "html")
    element.click()
    wait = WebDriverWait(driver, 30)
    wait.until(ec.staleness_of(old))
    return wait.until(ec.presence_of_element_located((By.ID, until_id)))


def test_the_playground_in_a_browser(browser: Any, server: str) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    engine, decision = _decision()
    browser.get(f"{server}/?lang=nl")
    assert Select(browser.find_element(By.ID, "pack")).first_selected_option.text == "hilversum"
    # take the example case: its text and as-of fill the form
    _follow(browser, browser.find_element(By.LINK_TEXT, "household_closed"), "case_text")
    text = browser.find_element(By.ID, "case_text").get_property("value")
    assert text == EXAMPLE.read_text(encoding="utf-8")
    assert browser.find_element(By.ID, "as_of").get_property("value") == AS_OF
    section = _follow(browser, browser.find_element(By.ID, "evaluate"), "decision")
    heading = section.find_element(By.TAG_NAME, "h1").text
    assert heading.startswith("Casus hilversum-example-closed onder Hilversum")
    assert "Wie moet worden geïnformeerd" in section.text
    # the decision: every event with its verdict, the denied ones marked
    rows = section.find_elements(By.CSS_SELECTOR, "table.events tr.ev")
    assert len(rows) == len(decision.events)
    denied = [r for r in rows if r.find_elements(By.CSS_SELECTOR, "span.denied")]
    assert len(denied) == sum(not ev.allowed for ev in decision.events) > 0
    # the timeline: one drawn item per event, notification, dated deadline and deletion
    items = section.find_elements(By.CSS_SELECTOR, "svg.timeline g.tl-item")
    dated = (
        len(decision.events)
        + len(decision.notifications)
        + sum(pd.due is not None for pd in decision.deadlines)
        + sum(dl.date is not None for dl in decision.deletions)
    )
    assert len(items) == dated
    assert section.find_elements(By.CSS_SELECTOR, "svg.timeline g.tl-is-late")
    assert all(i.is_displayed() for i in items[:3])
    _shot(browser, "playground-decision.png")
    # a citation: its link leads to the rule's row in the pack's reference page
    link = section.find_element(By.CSS_SELECTOR, "table.events a.cite")
    href = link.get_attribute("href")
    assert href and "/packs/hilversum/docs?lang=nl#" in href
    rule = href.rsplit("#", 1)[1]
    assert link.text == engine.compiled.cite(rule)
    target = _follow(browser, link, rule)
    assert target.find_element(By.XPATH, "./ancestor::tr").is_displayed()
    # the reference page is in the language of the decision, its pictures too
    assert "Toegangsmatrix" in browser.find_element(By.CSS_SELECTOR, "article.docs").text
    images = browser.find_elements(By.CSS_SELECTOR, "article.docs img")
    assert images and all(
        browser.execute_script("return arguments[0].naturalWidth", img) > 0 for img in images
    )
    _shot(browser, "playground-docs.png")


def test_the_html_report_in_a_browser(browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By

    engine, decision = _decision()
    report = tmp_path / "report.html"
    report.write_text(render.html.decision(decision, engine.pack, lang="en"), encoding="utf-8")
    browser.get(report.as_uri())
    assert browser.find_element(By.TAG_NAME, "h1").text.startswith("Case hilversum-example-closed")
    assert browser.find_elements(By.CSS_SELECTOR, "svg.timeline g.tl-item")
    link = browser.find_element(By.CSS_SELECTOR, "table.notifications a.cite")
    rule = (link.get_attribute("href") or "").rsplit("#", 1)[1]
    assert rule.startswith("rule-")
    row = browser.find_element(By.ID, rule)
    assert engine.compiled.cite(rule.removeprefix("rule-")) in row.text
    _shot(browser, "report.png")
