"""The demo's board names its measure for what it is: the valid share, not "compliance"."""

from __future__ import annotations

import io
from types import SimpleNamespace

from governance.demo.live import Board, Landed


def test_the_board_calls_the_share_of_records_on_the_valid_topic_the_valid_share() -> None:
    out = io.StringIO()
    board = Board(out, [SimpleNamespace(name="orders")], [])  # type: ignore[list-item]
    board.draw(Landed(valid={"orders": 955}, dlq={"orders": 45}), {}, "done", force=True)
    header, row = out.getvalue().splitlines()[1:3]
    assert "valid share" in header and "compliance" not in header
    assert row.split()[:4] == ["orders", "0", "955", "45"] and "95.5 %" in row
    assert header.index("valid share") + len("valid share") == row.index("95.5 %") + len("95.5 %")
