"""The CEL evaluators for data contracts, measured on the sentinel bench's five rules.

    .venv/bin/python -m bench.contracts_eval [--records 10000] [--rounds 3]

The five CEL rules of bench/common.py (CEL_RULES, the same five checks as bench/sentinel-pipeline.yml)
over RECORDS bench payments (one in ten breaks one rule), judged by:

  celpy     cel-python as confluent-kafka's CelExecutor runs it: the record converted to celpy
            types (its msg_to_cel), each rule's program evaluated
  cel       common-expression-language (Rust), each rule's program executed on a Context
  contract  governance.contracts: Contract.check_batch, the compiled shapes with the Rust
            evaluator behind them
  fastpath  the same five rules as GX expectations through governance/sentinel/fastpath.py

All four must find the same failing records before they are timed. Prints the best round's
microseconds per record for each and the ratios.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.common import CEL_RULES, record


def records(n: int) -> list[dict[str, Any]]:
    return [record(i, (i // 10) % 5 if i % 10 == 0 else None) for i in range(n)]


def judge_celpy() -> Callable[[Sequence[dict[str, Any]]], set[int]]:
    import celpy
    from celpy import celtypes
    from confluent_kafka.schema_registry.rules.cel.cel_executor import msg_to_cel

    env = celpy.Environment()
    programs = [env.program(env.compile(expr)) for _, expr in CEL_RULES]

    def judge(batch: Sequence[dict[str, Any]]) -> set[int]:
        bad = set()
        for i, rec in enumerate(batch):
            args = {"message": msg_to_cel(rec)}
            for program in programs:
                try:
                    result = program.evaluate(args)
                except Exception:
                    result = None
                if not (isinstance(result, celtypes.BoolType) and result):
                    bad.add(i)
        return bad

    return judge


def judge_cel() -> Callable[[Sequence[dict[str, Any]]], set[int]]:
    import cel

    programs = [cel.compile(expr) for _, expr in CEL_RULES]

    def judge(batch: Sequence[dict[str, Any]]) -> set[int]:
        bad = set()
        for i, rec in enumerate(batch):
            context = cel.Context({"message": rec})
            for program in programs:
                try:
                    ok = program.execute(context)
                except Exception:
                    ok = False
                if ok is not True:
                    bad.add(i)
        return bad

    return judge


def judge_contract() -> Callable[[Sequence[dict[str, Any]]], set[int]]:
    from bench.common import SCHEMA
    from governance.contracts import Contract

    rule_set = {"domainRules": [{"name": name, "kind": "CONDITION", "mode": "WRITEREAD", "type": "CEL",
                                 "expr": expr, "onFailure": "DLQ"} for name, expr in CEL_RULES]}
    contract = Contract.of(rule_set, subject="bench", version=1, schema_type="AVRO", schema=SCHEMA)

    def judge(batch: Sequence[dict[str, Any]]) -> set[int]:
        return {i for i, failures in enumerate(contract.check_batch(batch)) if failures}

    return judge


def judge_fastpath() -> Callable[[Sequence[dict[str, Any]]], set[int]]:
    from pathlib import Path

    from governance.sentinel.fastpath import compile_rule
    from governance.sentinel.pipeline import load_pipeline

    pipeline = load_pipeline(Path(__file__).with_name("sentinel-pipeline.yml"))
    checkers = [compile_rule(rule) for rule in pipeline.record_rules]

    def judge(batch: Sequence[dict[str, Any]]) -> set[int]:
        bad: set[int] = set()
        for check in checkers:
            bad.update(check(batch) or ())
        return bad

    return judge


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--celpy-records", type=int, default=2_000, help="celpy is slow: a prefix for it")
    args = parser.parse_args()
    batch = records(args.records)
    judges = {"celpy": judge_celpy(), "cel": judge_cel(), "contract": judge_contract(),
              "fastpath": judge_fastpath()}
    expected = judges["cel"](batch)
    for name, judge in judges.items():
        part = batch[:args.celpy_records] if name == "celpy" else batch
        want = {i for i in expected if i < len(part)}
        if judge(part) != want:
            raise SystemExit(f"{name} disagrees on the failing records")
    print(f"{args.records:,} records, five rules, {len(expected):,} failing; CPU: {_cpu()}, "
          f"best of {args.rounds}")
    micros = {}
    for name, judge in judges.items():
        part = batch[:args.celpy_records] if name == "celpy" else batch
        best = min(_time(judge, part) for _ in range(args.rounds))
        micros[name] = best / len(part) * 1e6
        print(f"  {name:9} {micros[name]:9.2f} us/record  ({len(part):,} records)")
    print(f"  cel is {micros['celpy'] / micros['cel']:.1f}x celpy; contract is {micros['cel'] / micros['contract']:.1f}x "
          f"cel and {micros['celpy'] / micros['contract']:.0f}x celpy; fastpath/contract time "
          f"{micros['fastpath'] / micros['contract']:.2f}")


def _cpu() -> str:
    try:
        with open("/proc/cpuinfo") as info:
            model = next(line.split(":", 1)[1].strip() for line in info if line.startswith("model name"))
    except (OSError, StopIteration):
        model = "?"
    import os

    return f"{model}, {os.cpu_count()} cores"


def _time(judge: Callable[[Sequence[dict[str, Any]]], set[int]], batch: Sequence[dict[str, Any]]) -> float:
    start = time.perf_counter()
    judge(batch)
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
