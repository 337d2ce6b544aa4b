"""Record validation of one micro-batch: compiled checks against pure Great Expectations.

    .venv/bin/python -m bench.validate_batch [--records 10000] [--rounds 20]

Five record rules (regex, between, in_set, not_null, value lengths) over
RECORDS ten-field records, flat and with the same fields nested one level deep.
Both validators get the same batches; their verdicts are checked equal before
timing. Prints the median time per batch, records/s and the ratio.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

from governance.sentinel.pipeline import Rule
from governance.sentinel.validate import RecordValidator, flatten


def rules(prefix: str) -> tuple[Rule, ...]:
    specs = [
        ("expect_column_values_to_match_regex", {"column": f"{prefix}zip", "regex": "^[0-9]{5}$"}),
        ("expect_column_values_to_be_between", {"column": f"{prefix}amount", "min_value": 0, "max_value": 10_000}),
        ("expect_column_values_to_be_in_set", {"column": f"{prefix}country", "value_set": ["DE", "FR", "NL", "PL"]}),
        ("expect_column_values_to_not_be_null", {"column": f"{prefix}order_id"}),
        ("expect_column_value_lengths_to_be_between", {"column": f"{prefix}coupon", "min_value": 4, "max_value": 20}),
    ]
    return tuple(Rule(f"r{i}", etype, MappingProxyType(kwargs), "critical", i) for i, (etype, kwargs) in enumerate(specs))


def record(rng: random.Random, i: int) -> dict[str, Any]:
    """Ten fields; about one record in twenty breaks some rule."""
    bad = rng.random() < 0.05
    return {
        "order_id": None if bad and rng.random() < 0.3 else f"o-{i}",
        "customer_id": f"c-{rng.randrange(10_000)}",
        "amount": rng.randrange(-50, 0) if bad and rng.random() < 0.5 else rng.randrange(10_000),
        "currency": "EUR",
        "country": "XX" if bad and rng.random() < 0.5 else rng.choice(["DE", "FR", "NL", "PL"]),
        "zip": "1234" if bad and rng.random() < 0.5 else f"{rng.randrange(100_000):05d}",
        "city": "Berlin",
        "coupon": rng.choice([None, "SPRING24", "WINTERSALE"]),
        "items": rng.randrange(1, 9),
        "paid": rng.random() < 0.9,
    }


def nest(flat: dict[str, Any]) -> dict[str, Any]:
    return {"order": {k: v for k, v in flat.items() if k not in ("items", "paid")},
            "items": flat["items"], "paid": flat["paid"]}


def median_seconds(run: Callable[[], object], rounds: int) -> float:
    run()
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    rng = random.Random(7)
    flat_batch = [record(rng, i) for i in range(args.records)]
    shapes = {"flat": (flat_batch, rules("")), "nested": ([nest(r) for r in flat_batch], rules("order."))}
    print(f"{args.records} records x 5 rules, median of {args.rounds} batches")
    print(f"{'shape':<8}{'compiled ms':>13}{'records/s':>13}{'GX ms':>10}{'records/s':>13}{'ratio':>8}")
    for shape, (batch, rule_set) in shapes.items():
        assert all(type(v) is not dict for v in flatten(batch[0]).values())
        compiled, gx = RecordValidator(rule_set), RecordValidator(rule_set, compiled=False)
        assert compiled.compiled == {r.name for r in rule_set}
        assert compiled.validate(batch) == gx.validate(batch), "compiled and GX verdicts differ"
        fast = median_seconds(lambda: compiled.validate(batch), args.rounds)
        slow = median_seconds(lambda: gx.validate(batch), args.rounds)
        n = len(batch)
        print(f"{shape:<8}{fast * 1e3:>13.2f}{n / fast:>13,.0f}{slow * 1e3:>10.2f}{n / slow:>13,.0f}{slow / fast:>7.1f}x")


if __name__ == "__main__":
    main()
