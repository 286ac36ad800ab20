"""/metrics: seqscan's state in the Prometheus text format, for monitoring and alert rules
(docs/alerts.example.yml). Read fresh from the database and Redis on every scrape."""

from __future__ import annotations

import ipaddress
from collections.abc import Iterator

from flask import Blueprint, Response, abort, current_app, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from seqscan import roots, scans
from seqscan.enums import DataState, RunVerdict, ScanState
from seqscan.extensions import db
from seqscan.health import server_status
from seqscan.models import ScanRun, SequencingFile, SequencingRun, missing_files

bp = Blueprint("metrics", __name__)


def _allowed(address: str | None) -> bool:
    """Whether address is in SEQSCAN_METRICS_ALLOW (addresses or networks)."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(net, strict=False) for net in current_app.config["METRICS_ALLOW"])


@bp.get("/metrics")
def metrics():
    if not _allowed(request.remote_addr):
        abort(403, "metrics are served only to the addresses in SEQSCAN_METRICS_ALLOW")
    registry = CollectorRegistry()
    registry.register(SeqscanCollector())
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def _gauge(name: str, doc: str, value: float | None = None, labels: list[str] | None = None) -> GaugeMetricFamily:
    return GaugeMetricFamily(f"seqscan_{name}", doc, value=value, labels=labels)


def _timestamp(when) -> float:
    return when.timestamp() if when else 0.0


class SeqscanCollector(Collector):
    def collect(self) -> Iterator[GaugeMetricFamily]:
        last = db.session.scalars(
            select(ScanRun)
            .where(ScanRun.state.in_([ScanState.FINISHED, ScanState.ERROR]))
            .order_by(ScanRun.id.desc())
            .limit(1)
        ).first()
        yield _gauge(
            "last_scan_end_timestamp_seconds",
            "When the last scan ended (0: none yet)",
            _timestamp(last and last.finished),
        )
        state = _gauge("last_scan_state", "1 for the state the last scan ended in", labels=["state"])
        for s in (ScanState.FINISHED, ScanState.ERROR):
            state.add_metric([s.value], 1.0 if last and last.state == s else 0.0)
        yield state
        phases = _gauge(
            "last_scan_phase_duration_seconds", "How long each phase of the last scan took", labels=["phase"]
        )
        for phase, _, took in last.phases() if last else []:
            if took is not None:
                phases.add_metric([phase.value], took.total_seconds())
        yield phases
        yield _gauge("last_scan_warnings", "Warnings of the last scan", last.warnings_count if last else 0)
        success = scans.last_success()
        yield _gauge(
            "last_success_timestamp_seconds",
            "When the last successful scan ended (0: none yet)",
            _timestamp(success and success.finished),
        )

        # By root (its name): every configured root's every verdict, 0 included, plus any other root recorded.
        runs = _gauge("runs", "Runs by verdict and root", labels=["verdict", "root"])
        counts = {(v, root.name): 0 for v in RunVerdict for root in roots.configured()}
        # Grouped by a subquery's column: PostgreSQL would not take the verdict's expression, with
        # its bound parameters, as the same in SELECT and GROUP BY.
        verdicts = select(SequencingRun.verdict.label("verdict"), SequencingRun.root).subquery()
        grouped = select(verdicts.c.verdict, verdicts.c.root, func.count()).group_by(
            verdicts.c.verdict, verdicts.c.root
        )
        for verdict, root, n in db.session.execute(grouped):
            key = (RunVerdict(verdict), roots.name_of(root))
            counts[key] = counts.get(key, 0) + n
        for (verdict, name), n in counts.items():
            runs.add_metric([verdict.value, name], n)
        yield runs
        files = _gauge("files", "File records by data_state", labels=["data_state"])
        by_state = dict.fromkeys(DataState, 0)
        f = SequencingFile
        by_state.update(db.session.execute(select(f.data_state, func.count()).group_by(f.data_state)).all())
        for data_state, n in by_state.items():
            files.add_metric([data_state.value], n)
        yield files
        yield _gauge(
            "missing_files",
            "Expected files Non-existent or Deleted, in runs neither deleted nor skipped",
            missing_files(),
        )
        by_root = _gauge("root_missing_files", "missing_files under each root", labels=["root"])
        ended = _gauge("root_last_scan_ok", "1 if the root's last ended scan Finished, 0 if Error", labels=["root"])
        for root in roots.configured():
            by_root.add_metric([root.name], missing_files(root.path))
            last_of_root = db.session.scalars(
                select(ScanRun.state)
                .where(ScanRun.root == root.path, ScanRun.state.in_([ScanState.FINISHED, ScanState.ERROR]))
                .order_by(ScanRun.id.desc())
                .limit(1)
            ).first()
            if last_of_root is not None:
                ended.add_metric([root.name], float(last_of_root == ScanState.FINISHED))
        yield by_root
        yield ended

        status = server_status()
        yield _gauge("redis_up", "1 if Redis answers", float(status["redis"]["ok"]))
        yield _gauge("database_up", "1 if the database answers", float(status["database"]["ok"]))
        workers = _gauge("worker_up", "1 if a live worker claims the scan queue", labels=["queue"])
        for queue in status["queues"]:
            workers.add_metric([queue["name"]], float(bool(queue["owner"])))
        yield workers
        yield _gauge(
            "scheduler_up", "1 if the scheduler runs with the schedule registered", float(status["scheduler_ok"])
        )
        yield _gauge("queue_length", "Scans waiting for the worker", len(status.get("waiting", [])))
