"""Records/s of the candidate JSON Schema validators on a realistic order record (not a test: run by hand).

    PYTHONPATH=$PWD:/tmp/fjs /work/main/.venv/bin/python tests/json_schema/measure_validators.py

(fastjsonschema is not in the project's environment: install it anywhere on the path, e.g.
`pip install --target /tmp/fjs fastjsonschema`.)

Each candidate answers the same question as `governance.json_schema.validate`: None for a valid
record, else the first failure's path and reason. Formats are not asserted (Confluent's default).
"""

from __future__ import annotations

import copy
import json
import platform
import time
from typing import Any, Callable

ORDER_SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "additionalProperties": False,
    "required": ["order_id", "customer_id", "status", "currency", "total", "created_at", "lines", "shipping_address"],
    "properties": {
        "order_id": {"type": "string", "pattern": "^ord-[0-9]+$"},
        "customer_id": {"type": "integer", "minimum": 1},
        "status": {"enum": ["NEW", "PAID", "SHIPPED", "CANCELLED"]},
        "currency": {"type": "string", "minLength": 3, "maxLength": 3},
        "total": {"type": "number", "minimum": 0},
        "discount": {"type": ["number", "null"], "minimum": 0, "maximum": 1},
        "created_at": {"type": "string", "format": "date-time"},
        "email": {"type": "string", "format": "email"},
        "gift": {"type": "boolean"},
        "notes": {"type": ["string", "null"], "maxLength": 500},
        "channel": {"type": "string"},
        "lines": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/line"}},
        "shipping_address": {"$ref": "#/definitions/address"},
    },
    "definitions": {
        "line": {"type": "object", "required": ["sku", "quantity", "price"], "additionalProperties": False,
                 "properties": {"sku": {"type": "string"}, "quantity": {"type": "integer", "minimum": 1},
                                "price": {"type": "number", "minimum": 0}}},
        "address": {"type": "object", "required": ["street", "city", "zip", "country"],
                    "properties": {"street": {"type": "string"}, "city": {"type": "string"},
                                   "zip": {"type": "string", "pattern": "^[0-9]{5}$"},
                                   "country": {"type": "string", "minLength": 2, "maxLength": 2}}},
    },
}

VALID: dict[str, Any] = {
    "order_id": "ord-1001", "customer_id": 42, "status": "PAID", "currency": "EUR", "total": 129.9,
    "discount": 0.1, "created_at": "2026-12-05T11:00:00Z", "email": "a@example.com", "gift": False,
    "notes": None, "channel": "web",
    "lines": [{"sku": "A-1", "quantity": 2, "price": 19.95}, {"sku": "B-2", "quantity": 1, "price": 90.0}],
    "shipping_address": {"street": "1 Main St", "city": "Springfield", "zip": "12345", "country": "US"},
}
INVALID = copy.deepcopy(VALID)
INVALID["shipping_address"]["zip"] = "ABCDE"


def jsonschema_errors() -> Callable[[Any], Any]:
    import jsonschema

    v = jsonschema.Draft7Validator(ORDER_SCHEMA)

    def errors(x: Any) -> Any:
        if v.is_valid(x):
            return None
        e = next(v.iter_errors(x))
        return e.json_path, e.message
    return errors


def fastjsonschema_errors() -> Callable[[Any], Any]:
    import fastjsonschema

    f = fastjsonschema.compile(ORDER_SCHEMA, use_formats=False)

    def errors(x: Any) -> Any:
        try:
            f(x)
        except fastjsonschema.JsonSchemaValueException as e:
            return e.path, e.message
        return None
    return errors


def jsonschema_rs_errors() -> Callable[[Any], Any]:
    import jsonschema_rs

    v = jsonschema_rs.validator_for(ORDER_SCHEMA, validate_formats=False)

    def errors(x: Any) -> Any:
        if v.is_valid(x):
            return None
        e = next(iter(v.iter_errors(x)))
        return e.instance_path, e.message
    return errors


def ours() -> Callable[[Any], Any]:
    from governance.json_schema import parse_schema, validator

    return validator(parse_schema(json.dumps(ORDER_SCHEMA))).errors


def rate(fn: Callable[[Any], Any], body: bytes, seconds: float = 2.0, decode: Callable[[bytes], Any] = json.loads) -> float:
    n, start = 0, time.perf_counter()
    while True:
        for _ in range(500):
            fn(decode(body))
        n += 500
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return n / elapsed


def main() -> None:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    print(f"CPU: {cpu}; Python {platform.python_version()}")
    valid, invalid = json.dumps(VALID).encode(), json.dumps(INVALID).encode()
    print(f"{'json.loads only':18} valid {rate(lambda x: None, valid):>10,.0f}/s")
    for name, make in (("jsonschema", jsonschema_errors), ("fastjsonschema", fastjsonschema_errors),
                       ("jsonschema-rs", jsonschema_rs_errors)):
        fn = make()
        assert fn(VALID) is None and fn(INVALID) is not None, name
        print(f"{name:18} valid {rate(fn, valid):>10,.0f}/s  invalid {rate(fn, invalid):>10,.0f}/s  e.g. {fn(INVALID)}")
    from governance.json_schema import decode_body

    fn = ours()
    print(f"{'decode_body+ours':18} valid {rate(fn, valid, decode=decode_body):>10,.0f}/s  "
          f"invalid {rate(fn, invalid, decode=decode_body):>10,.0f}/s  e.g. {fn(INVALID)}")


if __name__ == "__main__":
    main()
