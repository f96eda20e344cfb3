"""The query page of ``tieskg serve`` in headless Chromium (Debian's chromium and
chromium-driver, driven by Selenium): a person types a query, runs it, sees rows.

Without Chromium the tests are skipped, except in CI (CI=true), where they fail.
"""

from __future__ import annotations

import os
import shutil

import pytest
from serving import build_small_store, running_server

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")


def _need_chromium() -> None:
    if CHROMIUM and DRIVER:
        return
    message = ("headless Chromium is missing: install the Debian packages chromium and "
               "chromium-driver (.ci/run does)")
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def url(tmp_path_factory):
    folder = tmp_path_factory.mktemp("serve-page")
    store = build_small_store(folder / "store")
    with running_server(store, "--timeout", "5", "--max-rows", "20",
                        log=folder / "serve.log") as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    _need_chromium()
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(executable_path=DRIVER), options=options)
    driver.set_page_load_timeout(30)
    yield driver
    driver.quit()


def _wait(browser, condition, seconds: float = 20):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(browser, seconds).until(condition)


def _open(browser, url: str) -> None:
    from selenium.webdriver.common.by import By

    browser.get(f"{url}/")
    _wait(browser, lambda b: len(b.find_elements(By.CSS_SELECTOR, "#examples option")) > 5)


def _rows(browser) -> list[list[str]]:
    from selenium.webdriver.common.by import By

    return [[cell.text for cell in row.find_elements(By.TAG_NAME, "td")]
            for row in browser.find_elements(By.CSS_SELECTOR, "#results tbody tr")]


def test_typing_a_query_and_running_it_shows_rows(browser, url, tmp_path):
    from selenium.webdriver.common.by import By

    _open(browser, url)
    editor = browser.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys("SELECT ?person ?title WHERE { ?person a tk:Person ; "
                     "schema:jobTitle ?title } ORDER BY ?person")
    browser.find_element(By.ID, "run").click()
    _wait(browser, lambda b: "row(s)" in b.find_element(By.ID, "status").text)
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "#results thead th")]
    assert headers == ["person", "title"]
    rows = _rows(browser)
    assert rows and all(row[0].startswith("https://w3id.org/tieskg/id/person/") for row in rows)
    assert any("SHINE" in row[1] for row in rows)
    assert browser.find_element(By.ID, "status").text.startswith(f"{len(rows)} row(s)")
    browser.save_screenshot(str(tmp_path / "page.png"))


def test_an_example_from_the_library_runs_with_its_parameters(browser, url):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    _open(browser, url)
    Select(browser.find_element(By.ID, "examples")).select_by_value("find-by-name")
    assert "# title: Find things by name" in browser.find_element(By.ID, "query").get_attribute(
        "value")
    field = browser.find_element(By.CSS_SELECTOR, "#params input[name=text]")
    assert field.get_attribute("value") == "Shangyu"
    field.clear()
    field.send_keys("Hangzhou Bay")
    browser.find_element(By.ID, "run").click()
    _wait(browser, lambda b: "row(s)" in b.find_element(By.ID, "status").text)
    rows = _rows(browser)
    assert rows and all(row[0] == "Hangzhou Bay" for row in rows)


def test_the_row_cap_and_errors_are_shown(browser, url):
    from selenium.webdriver.common.by import By

    _open(browser, url)
    editor = browser.find_element(By.ID, "query")
    editor.clear()
    editor.send_keys("SELECT * WHERE { ?s ?p ?o }")
    browser.find_element(By.ID, "run").click()
    _wait(browser, lambda b: "row(s)" in b.find_element(By.ID, "status").text)
    assert len(_rows(browser)) == 20
    assert "row limit" in browser.find_element(By.ID, "status").text
    editor.clear()
    editor.send_keys("SELECT * WHERE { SERVICE <http://127.0.0.1:9/> { ?s ?p ?o } }")
    browser.find_element(By.ID, "run").click()
    _wait(browser, lambda b: "400" in b.find_element(By.ID, "status").text)
    assert "SERVICE is refused" in browser.find_element(By.ID, "status").text


