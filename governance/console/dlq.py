"""The dead-letter browser's view: the records a filter matches, the page of them asked for,
and sentences that say what each figure counts (records, not offsets)."""

from __future__ import annotations

from dataclasses import dataclass

from governance.console.topics import Scan, TailRecord

PAGE = 50
"""Records a page, over all partitions, newest first."""


class BadPage(ValueError):
    """A `page` parameter that names no page."""


@dataclass(frozen=True)
class DlqView:
    records: list[TailRecord]
    """This page's records, newest first (values not decoded yet)."""
    page: int
    """1 is the newest page."""
    pages: int
    matches: int
    first: int
    """The 1-based position of the page's first record among the matches."""
    size: str
    """What the topic holds, in records where they were all read."""
    note: str = ""
    """Said when the page asked for lies past the end."""


def parse_page(text: str | None) -> int:
    if text is None or text.strip() == "":
        return 1
    try:
        page = int(text)
    except ValueError:
        raise BadPage(f"page={text} is not a page number: pages are numbered 1 (the newest), 2, 3, ...") from None
    if page < 1:
        raise BadPage(f"page={text} is not a page: pages are numbered from 1 (the newest)")
    return page


def dlq_view(scan: Scan, rule: str, stage: str, page_text: str | None) -> DlqView:
    """Raises `BadPage` when `page_text` is not a page number; a page past the end shows the last."""
    asked = parse_page(page_text)
    matched = [r for r in scan.records if matches(r, rule, stage)]
    pages = max(1, -(-len(matched) // PAGE))
    page = min(asked, pages)
    note = f"There is no page {asked}: the last is page {pages}, shown here." if asked > pages else ""
    first = (page - 1) * PAGE
    return DlqView(matched[first:first + PAGE], page, pages, len(matched), first + 1, size_text(scan), note)


def matches(record: TailRecord, rule: str, stage: str) -> bool:
    dead = record.dead_letter
    return (not stage or dead.stage == stage) and (not rule or rule in dead.rules)


def size_text(scan: Scan) -> str:
    if scan.problem:
        return f"{scan.topic} cannot be read now: {scan.problem}"
    if not scan.exists:
        return f"{scan.topic} does not exist yet"
    held = len(scan.records)
    if scan.whole:
        text = f"{scan.topic}: {held:,} record{'' if held == 1 else 's'}"
        others = scan.offsets - held
        if others == 1:
            text += f" ({scan.offsets:,} offsets: the other is a transaction marker or a record of an aborted or open transaction)"
        elif others > 1:
            text += (f" ({scan.offsets:,} offsets: the other {others:,} are transaction markers and records of "
                     "aborted or open transactions)")
    else:
        text = (f"{scan.topic}: about {scan.offsets:,} offsets (records, transaction markers and records of aborted "
                f"transactions); the newest {scan.read:,} offsets hold the {held:,} records browsed here")
    if scan.timed_out:
        text += "; reading ran out of time, so some records may be missing"
    return text
