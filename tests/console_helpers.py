"""A subject of another format in the console: the fixture's project parts and the page walks each format's tests share."""

from __future__ import annotations

from pathlib import Path

from console.test_pages import Console, visit


class Topic:
    """A topic of the console's project, `<name>-value` its subject."""

    def __init__(self, name: str, console: Console) -> None:
        self.name, self.subject, self.console = name, f"{name}-value", console


def write_loader_job(project: Path, name: str, table: str, preamble: str = "") -> None:
    """lineage/warehouse.yml: an airflow job reading kafka:<name> into postgres:<table>."""
    (project / "lineage").mkdir()
    (project / "lineage" / "warehouse.yml").write_text(
        f"{preamble}jobs:\n  - name: loader\n    flow: warehouse\n    orchestrator: airflow\n"
        f"    inputs: [kafka:{name}]\n    outputs: [postgres:{table}]\n")


def rows(browser: object) -> list[str]:
    return [r.text for r in browser.find_elements("css selector", "#fields tr")]  # type: ignore[attr-defined]


def open_version_1(browser: object, topic: Topic, shots: str) -> None:
    """The subject's page, then its version 1 through the version links; `shots` prefixes the screenshots."""
    from selenium.webdriver.support.ui import WebDriverWait

    assert visit(browser, f"{topic.console.url}/subjects/{topic.subject}", f"{shots}-v2") == []
    browser.find_element("link text", "1").click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 15).until(lambda b: "version=1" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, f"{shots}-v1") == []  # type: ignore[attr-defined]
    assert browser.find_element("css selector", "h2").text.startswith("Version 1 ")  # type: ignore[attr-defined]


def diff_1_to_2(browser: object, shots: str) -> list[str]:
    """The lines of the diff the version picker shows from version 1 to 2."""
    from selenium.webdriver.support.ui import Select, WebDriverWait

    Select(browser.find_element("name", "from")).select_by_visible_text("1")  # type: ignore[attr-defined]
    Select(browser.find_element("name", "to")).select_by_visible_text("2")  # type: ignore[attr-defined]
    browser.find_element("css selector", "form.inline button").click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 15).until(lambda b: "to=2" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, f"{shots}-diff") == []  # type: ignore[attr-defined]
    return browser.find_element("id", "diff").text.splitlines()  # type: ignore[attr-defined]


def open_topic_node_after_listings(browser: object, topic: Topic, table: str, shots: str) -> None:
    """The subject and its address subject on the overview and in /subjects, the topic and the job's table in the
    lineage graph, then the topic's node opened; its node-subject is the subject."""
    from selenium.webdriver.support.ui import WebDriverWait

    url, name = topic.console.url, topic.name
    assert visit(browser, url + "/", f"{shots}-overview") == []
    governed = [r.text for r in browser.find_elements("css selector", "#governed-subjects tr")]  # type: ignore[attr-defined]
    assert f"{topic.subject} schemas/" in governed and f"{name}-address schemas/" in governed
    assert visit(browser, f"{url}/subjects?q={name}", f"{shots}-subjects") == []
    listed = [r.text for r in browser.find_elements("css selector", "#subjects tr.governed-subject")]  # type: ignore[attr-defined]
    assert listed == [f"{name}-address schemas/", f"{topic.subject} schemas/"]
    assert visit(browser, url + "/lineage", f"{shots}-lineage") == []
    nodes = {n.get_attribute("data-id") for n in browser.find_elements("css selector", "a.node")}  # type: ignore[attr-defined]
    assert {f"kafka:{name}", f"postgres:{table}"} <= nodes
    browser.find_element("css selector", f'a.node[data-id="kafka:{name}"]').click()  # type: ignore[attr-defined]
    WebDriverWait(browser, 15).until(lambda b: "node=" in b.current_url)  # type: ignore[arg-type]
    assert visit(browser, browser.current_url, f"{shots}-lineage-topic") == []  # type: ignore[attr-defined]
    assert browser.find_element("id", "node-subject").text == topic.subject  # type: ignore[attr-defined]
