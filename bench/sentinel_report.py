"""bench.sentinel's table: each path's fastest try against the others, per --format, with the
machine's CPU and load beside it (other work on the machine slows every path)."""

from __future__ import annotations

import os
from typing import Any


def cpu_model() -> str:
    """The CPU's model name from /proc/cpuinfo (`grep -m1 "model name"`), or the platform's word for it."""
    import platform

    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def load() -> str:
    return ", ".join(f"{x:.2f}" for x in os.getloadavg())


LABELS = {
    "a": "a passthrough (ceiling)",
    "b": "b sentinel",
    "k": "k sentinel, rules as contract",
    "v": "v sentinel, same records Avro",
    "c": "c data contracts (CEL, DLQ)",
    "d": "d GX per record",
    "e": "e Kafka Streams filter",
    "f": "f Quix Streams app",
    "j": "j sentinel, JSON Schema",
}
PATHS = {"avro": "abkcdef", "protobuf": "abve", "json_schema": "abj"}
"""The paths of each --format, the table's rows: c, d, k and f read Avro only, e Avro or Protobuf; v is the
sentinel on the Protobuf records as Avro, j on the Avro records as JSON Schema."""
READ = {
    "avro": "every path reads the same payments in Confluent's Avro wire format",
    "protobuf": "a, b and e read the payments in Confluent's Protobuf wire format; v the same payments as Avro",
    "json_schema": "a and j read the payments in Confluent's JSON Schema wire format; b the same payments as Avro",
}


def report(rows: dict[str, dict[str, Any]], commit_every: int, notes: list[str], value_format: str = "avro") -> None:
    def rate(key: str) -> float | None:
        row = rows.get(key)
        return row["records"] / row["seconds"] if row and row["seconds"] > 0 else None

    base, contract, streams, quix, own_avro, json_rate = rate("a"), rate("c"), rate("e"), rate("f"), rate("v"), rate("j")
    in_stream = rate("k")
    print()
    print(f"{value_format}: {READ[value_format]}")
    print(f"CPU: {cpu_model()}, {os.cpu_count()} cores")
    print(f"commit every {commit_every:,} records or 1000 ms; c and d measured on a prefix, their records/s extrapolated")
    print("seconds: each path's own clock, first record consumed to the commit covering the last; outside s: the "
          "broker's, first output appended to the last")
    header = (f"{'path':<29} {'records':>10} {'seconds':>9} {'records/s':>11} {'outside s':>10} {'peak RSS MB':>12} "
              f"{'vs passthrough':>15} {'vs contracts':>13} {'sentinel is':>12}")
    print(header)
    print("-" * len(header))
    s_rate = rate("b")
    for key in PATHS[value_format]:
        row = rows.get(key)
        if row is None:
            print(f"{LABELS[key]:<29} {'not measured':>10}")
            continue
        r = rate(key)
        vs_a = f"{r / base:.3g}x" if r and base else "-"
        vs_c = f"{r / contract:.3g}x" if r and contract else "-"
        sentinel_is = f"{s_rate / r:.3g}x" if r and s_rate and key != "b" else "-"
        outside = f"{row['outside']:.1f}" if row.get("outside") is not None else "-"
        print(f"{LABELS[key]:<29} {row['records']:>10,} {row['seconds']:>9.1f} {r:>11,.0f} {outside:>10} {row['rss']:>12.0f} "
              f"{vs_a:>15} {vs_c:>13} {sentinel_is:>12}")
    print()
    sentinel = rows.get("b")
    checks = [  # label, the paths it compares, measured, ok, value
        ("sentinel >= 0.5x passthrough", "ab", s_rate is not None and base is not None, lambda: s_rate >= 0.5 * base,
         lambda: f"{s_rate / base:.3f}x"),
        ("sentinel >= 30x data contracts", "bc", s_rate is not None and contract is not None,
         lambda: s_rate >= 30 * contract, lambda: f"{s_rate / contract:.1f}x"),
        ("sentinel >= 1.0x Kafka Streams", "be", s_rate is not None and streams is not None, lambda: s_rate >= streams,
         lambda: f"{s_rate / streams:.3f}x"),
        ("sentinel >= 3x Quix Streams", "bf", s_rate is not None and quix is not None, lambda: s_rate >= 3 * quix,
         lambda: f"{s_rate / quix:.2f}x"),
        ("contract rules in the sentinel >= 0.8x the same as GX rules", "bk", s_rate is not None and in_stream is not None,
         lambda: in_stream >= 0.8 * s_rate, lambda: f"{in_stream / s_rate:.3f}x"),
        ("contract rules in the sentinel >= 100x data contracts", "kc", in_stream is not None and contract is not None,
         lambda: in_stream >= 100 * contract, lambda: f"{in_stream / contract:.1f}x"),
        ("sentinel on Protobuf >= 0.8x on Avro", "bv", s_rate is not None and own_avro is not None,
         lambda: s_rate >= 0.8 * own_avro, lambda: f"{s_rate / own_avro:.3f}x"),
        ("JSON Schema sentinel >= 0.7x Avro sentinel", "bj", s_rate is not None and json_rate is not None,
         lambda: json_rate >= 0.7 * s_rate, lambda: f"{json_rate / s_rate:.3f}x"),
        ("sentinel peak RSS <= Kafka Streams'", "be", sentinel is not None and "e" in rows,
         lambda: sentinel["rss"] <= rows["e"]["rss"], lambda: f"{sentinel['rss']:.0f} vs {rows['e']['rss']:.0f} MB"),
        ("sentinel peak RSS < 400 MB", "b", sentinel is not None, lambda: sentinel["rss"] < 400,
         lambda: f"{sentinel['rss']:.0f} MB"),
    ]
    for label, paths, measurable, ok, value in checks:
        if not set(paths) <= set(PATHS[value_format]):
            continue
        if not measurable:
            print(f"{'N/A':<5} {label}: not measured")
        else:
            print(f"{'PASS' if ok() else 'MISS':<5} {label}: {value()}")
    for note in notes:
        print(f"note: {note}")
