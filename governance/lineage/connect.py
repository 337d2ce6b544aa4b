"""Kafka Connect connector configs (the JSON a user already has) as lineage jobs.

A config is either Connect's REST form `{"name": ..., "config": {...}}` or the
flat `config` map alone. The connector class says which side Kafka is on:
sinks read `topics` and write a dataset named from their own settings; sources
read tables and write topics. `errors.deadletterqueue.topic.name` is an output
too: Connect routes records it cannot write there.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from governance.errors import GovernanceError
from governance.lineage.model import DatasetRef, Job, topic
from governance.yamldoc import load


def load_connector(path: Path, env_topics: Callable[[str], list[str]] | None = None) -> Job:
    """`env_topics(regex)` lists known topics for a `topics.regex` sink."""
    doc, root = load(path, "connector config")
    if root is None:
        raise GovernanceError(f"{path}, line 1: the connector config is empty")
    top = doc.mapping(root, "the connector config")
    if "config" in top:
        config_node = top["config"][1]
        name = doc.string(top["name"][1], "`name`") if "name" in top else path.stem
    else:
        config_node, name = root, path.stem
    raw = doc.mapping(config_node, "`config`")
    config = {key: (str(doc.value(v)) if doc.value(v) is not None else "") for key, (_, v) in raw.items()}
    name = config.get("name", name)
    lines = {key: k.start_mark.line + 1 for key, (k, _) in raw.items()}

    def error(key: str | None, message: str) -> GovernanceError:
        line = lines.get(key, config_node.start_mark.line + 1) if key else config_node.start_mark.line + 1
        return GovernanceError(f"{path}, line {line}: {message}")

    if "connector.class" not in config:
        raise error(None, "the connector config has no `connector.class`")
    cls = config["connector.class"]
    short = cls.rsplit(".", 1)[-1]
    reader = _SINKS.get(short) or _SOURCES.get(short)
    if reader is None:
        known = ", ".join(sorted({*_SINKS, *_SOURCES}))
        raise error("connector.class", f"connector class {cls} is not one this tool can read lineage from "
                                       f"(known: {known}); declare it as a job in lineage/*.yml instead")
    inputs, outputs = reader(config, error, env_topics)
    dlq = config.get("errors.deadletterqueue.topic.name", "").strip()
    if dlq:
        outputs = (*outputs, topic(dlq))
    if not inputs or not outputs:
        raise error(None, f"connector {name} has no {'inputs' if not inputs else 'outputs'}: "
                          "check its topics / tables settings")
    return Job(flow="kafka-connect", name=name, kind="connector", orchestrator="kafka-connect",
               inputs=tuple(dict.fromkeys(inputs)), outputs=tuple(dict.fromkeys(outputs)),
               properties={"connector.class": cls, **({"errors.deadletterqueue.topic.name": dlq} if dlq else {})},
               origin=str(path))


Error = Callable[[str | None, str], GovernanceError]
Sides = tuple[tuple[DatasetRef, ...], tuple[DatasetRef, ...]]


def _sink_topics(config: dict[str, str], error: Error, env_topics: Callable[[str], list[str]] | None) -> list[str]:
    if config.get("topics", "").strip():
        return [t.strip() for t in config["topics"].split(",") if t.strip()]
    if config.get("topics.regex", "").strip():
        pattern = config["topics.regex"]
        try:
            re.compile(pattern)
        except re.error as e:
            raise error("topics.regex", f"`topics.regex` is not a regular expression: {e}") from None
        matched = env_topics(pattern) if env_topics else []
        if not matched:
            raise error("topics.regex", f"`topics.regex` {pattern!r} matches no topic this project knows")
        return matched
    raise error(None, "a sink connector needs `topics` or `topics.regex`")


def _require(config: dict[str, str], key: str, error: Error) -> str:
    value = config.get(key, "").strip()
    if not value:
        raise error(None, f"this connector class needs `{key}`")
    return value


def _s3_sink(config: dict[str, str], error: Error, env_topics: Callable[[str], list[str]] | None) -> Sides:
    topics = _sink_topics(config, error, env_topics)
    bucket = _require(config, "s3.bucket.name", error)
    directory = config.get("topics.dir", "topics").strip("/") or "topics"
    return tuple(topic(t) for t in topics), tuple(DatasetRef("s3", f"{bucket}/{directory}/{t}") for t in topics)


_JDBC_PLATFORMS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mariadb", "sqlserver": "mssql",
                   "oracle": "oracle", "snowflake": "snowflake", "redshift": "redshift", "db2": "db2",
                   "clickhouse": "clickhouse", "sqlite": "sqlite"}


def _jdbc_platform(config: dict[str, str], error: Error) -> tuple[str, str]:
    url = _require(config, "connection.url", error)
    match = re.match(r"jdbc:([a-z0-9]+):(?://[^/]*/)?([^?;]*)", url)
    if match is None or match.group(1) not in _JDBC_PLATFORMS:
        raise error("connection.url", f"cannot tell the database platform of {url!r} "
                                      f"(known: {', '.join(sorted(_JDBC_PLATFORMS))})")
    return _JDBC_PLATFORMS[match.group(1)], match.group(2).strip("/")


def _jdbc_sink(config: dict[str, str], error: Error, env_topics: Callable[[str], list[str]] | None) -> Sides:
    topics = _sink_topics(config, error, env_topics)
    platform, database = _jdbc_platform(config, error)
    pattern = config.get("table.name.format", "${topic}") or "${topic}"
    tables = [pattern.replace("${topic}", t) for t in topics]
    prefix = f"{database}." if database else ""
    return tuple(topic(t) for t in topics), tuple(DatasetRef(platform, prefix + t) for t in tables)


def _snowflake_sink(config: dict[str, str], error: Error, env_topics: Callable[[str], list[str]] | None) -> Sides:
    topics = _sink_topics(config, error, env_topics)
    database = _require(config, "snowflake.database.name", error)
    schema = _require(config, "snowflake.schema.name", error)
    mapping = dict(p.split(":", 1) for p in config.get("snowflake.topic2table.map", "").split(",") if ":" in p)
    tables = [mapping.get(t, re.sub(r"[^A-Za-z0-9_]", "_", t)) for t in topics]
    return (tuple(topic(t) for t in topics),
            tuple(DatasetRef("snowflake", f"{database}.{schema}.{t}".lower()) for t in tables))


def _debezium(platform: str) -> Callable[..., Sides]:
    def read(config: dict[str, str], error: Error, env_topics: Callable[[str], list[str]] | None) -> Sides:
        prefix = config.get("topic.prefix") or config.get("database.server.name") or ""
        if not prefix:
            raise error(None, "a Debezium connector needs `topic.prefix`")
        tables = [t.strip() for t in config.get("table.include.list", config.get("table.whitelist", "")).split(",")
                  if t.strip()]
        if not tables:
            raise error(None, "list the captured tables in `table.include.list` so their lineage is known")
        database = config.get("database.dbname", "")
        qualified = [f"{database}.{t}" if database and platform == "postgres" else t for t in tables]
        return (tuple(DatasetRef(platform, q) for q in qualified), tuple(topic(f"{prefix}.{t}") for t in tables))

    return read


def _jdbc_source(config: dict[str, str], error: Error, env_topics: Callable[[str], list[str]] | None) -> Sides:
    platform, database = _jdbc_platform(config, error)
    tables = [t.strip() for t in config.get("table.include.list", config.get("table.whitelist", "")).split(",")
              if t.strip()]
    if not tables:
        raise error(None, "list the tables in `table.include.list` so their lineage is known")
    prefix = config.get("topic.prefix", "")
    return (tuple(DatasetRef(platform, f"{database}.{t}" if database else t) for t in tables),
            tuple(topic(prefix + t) for t in tables))


_SINKS = {"S3SinkConnector": _s3_sink, "JdbcSinkConnector": _jdbc_sink, "SnowflakeSinkConnector": _snowflake_sink}
_SOURCES = {"PostgresConnector": _debezium("postgres"), "MySqlConnector": _debezium("mysql"),
            "JdbcSourceConnector": _jdbc_source}
