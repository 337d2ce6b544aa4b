"""The steward console: read-only pages over what the project governs.

Overview (pipeline health, failing first), subjects (versions, fields, diffs), pipelines
(rules, window verdicts, KPI charts), a DLQ browser (decoded dead letters, filtered by rule
and stage) and the lineage graph. Starlette with Jinja2 templates (autoescaped: record
content is text, never markup); every asset ships in the package (no CDN).
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from governance.console.rules import arguments, observed
from governance.errors import GovernanceError
from governance.kafka import KafkaSettings
from governance.lineage.build import Sources, build_estate
from governance.lineage.health import Health, health, latest_with_records, utc, windows
from governance.lineage.levels import Levels
from governance.lineage.model import Estate, Job
from governance.workspace import InputError, schema_files

if TYPE_CHECKING:
    from governance.console.topics import Scan, TailRecord, TopicTail

HERE = Path(__file__).parent
SCOPES = {"all": "all", "governed": "governed in schemas/", "other": "only in the registry"}


@dataclass(frozen=True)
class ConsoleConfig:
    project: Path
    registry_url: str | None
    settings: KafkaSettings | None
    users_file: Path | None = None
    refresh_s: float = 5.0


class ConsoleData:
    """What pages read, cached for a few seconds so a busy page costs Kafka little."""

    def __init__(self, config: ConsoleConfig) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._estate: tuple[float, Estate] | None = None
        self._kpis: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._kpis_read_at: dict[str, float] = {}
        self._scans: dict[str, tuple[float, Any]] = {}
        self._tail = None
        self._kpi_reader = None

    def estate(self) -> Estate:
        with self._lock:
            if self._estate is None or time.monotonic() - self._estate[0] > self.config.refresh_s:
                p = self.config.project
                self._estate = (time.monotonic(), build_estate(Sources(p / "schemas", p / "rules", p / "lineage")))
            return self._estate[1]

    def kpis(self, job: Job) -> list[dict[str, Any]]:
        """The pipeline's newest KPI records (all processes), oldest first."""
        topic_name = job.properties.get("kpi_topic")
        if not topic_name or self.config.settings is None:
            return []
        with self._lock:
            cached = self._kpis.get(topic_name)
            if cached is not None and time.monotonic() - cached[0] < self.config.refresh_s:
                return cached[1]
            if self._kpi_reader is None:
                from governance.lineage.health import KpiReader

                self._kpi_reader = KpiReader(self.config.settings, self.config.registry_url, timeout=3)
            records = [r for r in self._kpi_reader.tail(topic_name, 5000) if r.get("pipeline") == job.name]
            self._kpis[topic_name] = (time.monotonic(), records)
            self._kpis_read_at[topic_name] = time.time() * 1000
            return records

    def health(self, job: Job) -> tuple[Health, list[dict[str, Any]]]:
        """The pipeline's health as of when its KPI records were read, and its windows."""
        series = windows(self.kpis(job))
        return health(series, self._kpis_read_at.get(job.properties.get("kpi_topic", ""), time.time() * 1000)), series

    def scan(self, topic_name: str) -> Scan:
        """The newest records of a topic (all of a small one), read again after a few seconds."""
        from governance.console.topics import Scan

        if self.config.settings is None:
            return Scan(topic_name, [], 0, 0, True, exists=False)
        with self._lock:
            cached = self._scans.get(topic_name)
            if cached is not None and time.monotonic() - cached[0] < self.config.refresh_s:
                return cached[1]
            scan = self._topic_tail().scan(topic_name)
            self._scans[topic_name] = (time.monotonic(), scan)
            return scan

    def decoded(self, records: list[TailRecord]) -> list[TailRecord]:
        if not records:
            return []
        with self._lock:
            return self._topic_tail().decoded(records)

    def _topic_tail(self) -> TopicTail:
        if self._tail is None:
            from governance.console.topics import TopicTail

            assert self.config.settings is not None
            self._tail = TopicTail(self.config.settings, self.config.registry_url, timeout=3)
        return self._tail

    def registry(self, path: str) -> Any:
        if not self.config.registry_url:
            return None
        return self._client().call("GET", path)

    def _client(self) -> Any:
        from governance.registry.client import RegistryClient

        return RegistryClient(self.config.registry_url or "", timeout=5, unreachable_hint="check --registry")

    def governed_subjects(self) -> list[str]:
        """The subjects of the project's schemas/, in name order."""
        return sorted(p.stem for p in schema_files(self.config.project / "schemas"))

    def levels(self, subject: str) -> Levels:
        """The subject's declared level (schemas/) and the registry's, with where each comes from."""
        from governance.lineage.levels import declared_levels, with_registry

        declared = declared_levels(self.config.project / "schemas", subject)
        return with_registry(declared, self._client(), subject) if self.config.registry_url else declared


GRAPH_COLOUR = {"failing": "bad", "stale": "unknown"}
"""The lineage graph's colour of a health state the graph has no colour of its own for."""


def create_app(config: ConsoleConfig) -> Starlette:
    templates = Jinja2Templates(directory=str(HERE / "templates"))
    templates.env.filters["pct"] = lambda v: "-" if v is None else f"{v:.1%}"
    templates.env.filters["num"] = lambda v: "-" if v is None else f"{v:,.0f}" if isinstance(v, (int, float)) else v
    templates.env.filters["when"] = utc
    templates.env.filters["arguments"] = arguments
    templates.env.filters["observed"] = observed
    data = ConsoleData(config)

    def render(request: Request, template: str, **context: Any) -> Response:
        return templates.TemplateResponse(request, template, context)

    def pipeline_rows() -> list[dict[str, Any]]:
        rows = []
        for job in data.estate().jobs:
            if job.kind != "sentinel":
                continue
            state, series = data.health(job)
            rows.append({"job": job, "last": latest_with_records(series), "health": state, "running": state.running})
        order = {"failing": 0, "stale": 1, "warn": 2, "unknown": 3, "ok": 4}
        return sorted(rows, key=lambda r: (order[r["health"].state], r["job"].name))

    def overview(request: Request) -> Response:
        registered = set(data.registry("/subjects") or []) if config.registry_url else set()
        governed = data.governed_subjects()
        return render(request, "overview.html", pipelines=pipeline_rows(), governed=governed, registered=registered,
                      others=len(registered - set(governed)), total=len(registered | set(governed)))

    def subjects(request: Request) -> Response:
        query = request.query_params.get("q", "")
        scope = request.query_params.get("scope", "all")
        scope = scope if scope in SCOPES else "all"
        try:
            page = max(0, int(request.query_params.get("page", "0") or 0))
        except ValueError:
            return templates.TemplateResponse(request, "error.html", {
                "title": "Not a page", "message": f"page={request.query_params['page']} is not a page number",
                "back": request.url.include_query_params(page=0)}, status_code=400)
        governed = data.governed_subjects()
        registered = data.registry("/subjects") or []
        listed = {"governed": governed, "other": [s for s in registered if s not in governed],
                  "all": governed + [s for s in registered if s not in governed]}[scope]
        every = [s for s in listed if query.lower() in s.lower()]
        return render(request, "subjects.html", subjects=every[page * 100:(page + 1) * 100], total=len(every),
                      page=page, pages=(len(every) + 99) // 100, query=query, scope=scope, scopes=SCOPES,
                      governed=set(governed), registered=set(registered))

    def subject(request: Request) -> Response:
        from governance.console.story import subject_story
        from governance.formats import InvalidSchemaError, format_for
        from governance.registry.client import RegistryClient, references_of, subject_path

        name = request.path_params["subject"]
        versions = data.registry(f"/subjects/{subject_path(name)}/versions")
        try:
            levels, level_error = data.levels(name), None
        except InputError as e:  # a subjects.yml the gate would refuse too: say so, show the rest
            levels, level_error = Levels(), e.message
        chosen = request.query_params.get("version") or str(versions[-1])
        record = data.registry(f"/subjects/{subject_path(name)}/versions/{chosen}")
        schema_format = format_for(record.get("schemaType"))
        references = (references_of(RegistryClient(data.config.registry_url or ""), name, [str(record["version"])])
                      if record.get("references") else {})
        description = schema_format.describe(record["schema"], references)
        if description.types:  # Protobuf, JSON Schema: the leaf fields in order with type, numbers, required-ness
            fields = [(f, description.numbers.get(f, ""), description.types[f], _required(f, description.required))
                      for f in description.leaf_fields]
        else:
            fields = [(f, "", "", "") for f in sorted(schema_format.columns(record["schema"], references).values)]
        try:
            estate, estate_error = data.estate(), None
        except GovernanceError as e:  # the project's files as lineage show would refuse them
            estate, estate_error = Estate(), e.message
        ref = estate.subject_topic(name)
        dataset = estate.datasets[ref] if ref is not None else None
        diff, diff_from, diff_to = None, request.query_params.get("from"), request.query_params.get("to")
        if diff_from and diff_to:
            before = data.registry(f"/subjects/{subject_path(name)}/versions/{diff_from}")
            after = data.registry(f"/subjects/{subject_path(name)}/versions/{diff_to}")["schema"]
            try:
                references = references_of(RegistryClient(data.config.registry_url or ""), name, [diff_from, diff_to])
                diff = (format_for(before.get("schemaType")).diff(before["schema"], after, references)
                        or ["no structural changes"])
            except InvalidSchemaError as e:
                diff = [f"cannot compare: {e.message}"]
        return render(request, "subject.html", name=name, versions=versions, levels=levels, level_error=level_error, record=record,
                      schema=description.pretty, fields=fields, typed=bool(description.types),
                      numbered=bool(description.numbers), requirable=description.required is not None,
                      field_tags=description.tags,
                      dataset=dataset, estate_error=estate_error,
                      diff=diff, diff_from=diff_from, diff_to=diff_to,
                      links=subject_story(data.estate(), name))

    def find_job(name: str) -> Job:
        for job in data.estate().jobs:
            if job.kind == "sentinel" and job.name == name:
                return job
        raise _NotFound(f"no pipeline {name} in rules/")

    def pipeline(request: Request) -> Response:
        from governance.console.chart import chart_columns

        job = find_job(request.path_params["name"])
        state, series = data.health(job)
        chart = chart_columns(series)
        totals: dict[str, int] = {}
        for w in series:
            for rule, n in w["rule_failures"].items():
                totals[rule] = totals.get(rule, 0) + n
        return render(request, "pipeline.html", job=job, last=latest_with_records(series), health=state,
                      chart=json.dumps(chart).replace("<", "\\u003c"), totals=totals)

    def dlq(request: Request) -> Response:
        from governance.console.dlq import PAGE, BadPage, dlq_view

        job = find_job(request.path_params["name"])
        rule, stage = request.query_params.get("rule", ""), request.query_params.get("stage", "")
        dlq_topic = job.outputs[1].name
        try:
            view = dlq_view(data.scan(dlq_topic), rule, stage, request.query_params.get("page"))
        except BadPage as e:
            return templates.TemplateResponse(request, "error.html", {"title": "Not a page", "message": str(e),
                                              "back": request.url.include_query_params(page=1)}, status_code=400)
        rules = [a.rule for a in job.assertions if not a.window]
        # The data-contract rules live in the registry, not in the project's files: the KPIs name those that failed.
        rules += sorted({r for w in data.health(job)[1] for r in w["rule_failures"]} - set(rules))
        return render(request, "dlq.html", job=job, topic=dlq_topic, view=view, records=data.decoded(view.records),
                      rule=rule, stage=stage, rules=rules, stages=["deserialize", "validate", "produce"], per_page=PAGE)

    def lineage(request: Request) -> Response:
        from governance.console.graph import job_id, layout
        from governance.console.story import node_names, node_story

        estate = data.estate()
        rows = pipeline_rows()
        health: dict[str, str] = {}
        for row in rows:
            job = row["job"]
            colour = GRAPH_COLOUR.get(row["health"].state, row["health"].state)
            health[job_id(job)] = colour
            for ref in job.inputs:
                health[str(ref)] = colour
        selected = request.query_params.get("node")
        graph = layout(estate, health, selected)
        detail = node_story(estate, selected, {r["job"].name: r for r in rows}) if selected else None
        return render(request, "lineage.html", graph=graph, selected=selected, detail=detail, names=node_names(estate))

    def healthz(request: Request) -> Response:
        """Liveness: the process answers. It reads neither Kafka nor the registry (each page says what it
        could not read), so it names what the pages read instead; no credentials needed."""
        settings = config.settings
        return JSONResponse({"status": "ok", "reasons": [], "project": str(config.project),
                             "kafka": settings.bootstrap_servers if settings else None, "registry": config.registry_url,
                             "users_file": config.users_file is not None}, headers={"Cache-Control": "no-store"})

    routes = [
        Route("/", overview, name="overview"),
        Route("/healthz", healthz, name="healthz"),
        Route("/subjects", subjects, name="subjects"),
        Route("/subjects/{subject:path}", subject, name="subject"),
        Route("/pipelines/{name}", pipeline, name="pipeline"),
        Route("/pipelines/{name}/dlq", dlq, name="dlq"),
        Route("/lineage", lineage, name="lineage"),
        Mount("/static", StaticFiles(directory=str(HERE / "static")), name="static"),
    ]
    middleware = [Middleware(_Guard, config=config)]
    return Starlette(routes=routes, middleware=middleware)


class _NotFound(Exception):
    pass


def _required(path: str, required: frozenset[str] | None) -> str:
    """`required` when every object along the path requires its step, `required in card` when only the
    field's own object does (which itself may be left out), "" otherwise."""
    if required is None or path not in required:
        return ""
    parent = path.rpartition(".")[0]
    steps = parent.split(".") if parent else []
    if all(".".join(steps[:i]) in required for i in range(1, len(steps) + 1)):
        return "required"
    return f"required in {parent}"


class _Guard(BaseHTTPMiddleware):
    """Every page but /healthz needs the `read` role when a users file is set; errors as plain text."""

    def __init__(self, app: Any, config: ConsoleConfig) -> None:
        super().__init__(app)
        self.auth = None
        if config.users_file is not None:
            from governance.registry.auth import BasicAuth, load_users

            self.auth = BasicAuth(load_users(config.users_file))

    async def dispatch(self, request: Request, call_next: Any) -> Response:
        from governance.errors import GovernanceError
        from governance.registry.errors import ServiceError

        if self.auth is not None and request.url.path != "/healthz":
            try:
                self.auth.authorize(request.headers.get("authorization", "").encode() or None, "read")
            except ServiceError as e:
                headers = {"WWW-Authenticate": 'Basic realm="governance console"'} if e.status == 401 else {}
                return PlainTextResponse(e.message, status_code=e.status, headers=headers)
        try:
            return await call_next(request)
        except _NotFound as e:
            return PlainTextResponse(str(e), status_code=404)
        except GovernanceError as e:
            status = getattr(e, "status", 502)
            return PlainTextResponse(str(e), status_code=404 if status == 404 else 502)
