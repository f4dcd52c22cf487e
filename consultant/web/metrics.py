"""Prometheus metrics, read from the database at scrape time.

The database is the one source of truth shared by the web, worker and poller processes, so
the figures are computed from it rather than counted in one process:

- `caseconsultant_cases{state}`: queue depth by case state (gauge);
- `caseconsultant_inbound_messages{state}`: mails by state, e.g. `received` backlog, `failed`;
- `caseconsultant_outbound_messages{state}`: replies by outbox state;
- `caseconsultant_sends_total{result}`: sends by result (`sent`, `dead`), from the audit log;
- `caseconsultant_mail_to_draft_seconds{quantile}`: mail received → processed latency over
  the last hour (0.5, 0.95, max), plus `_count` in that window.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from consultant.db.models import (
    CASE_STATES,
    OUTBOUND_STATES,
    AuditLog,
    Case,
    InboundMessage,
    OutboundMessage,
    utcnow,
)

LATENCY_WINDOW = dt.timedelta(hours=1)


def _quantile(sorted_values: list[float], q: float) -> float:
    if not sorted_values:
        return 0.0
    idx = min(len(sorted_values) - 1, max(0, round(q * (len(sorted_values) - 1))))
    return sorted_values[idx]


class DbCollector(Collector):
    def __init__(self, sessions: Callable[[], Session]) -> None:
        self.sessions = sessions

    def collect(self) -> Iterator[Metric]:
        with self.sessions() as s:
            cases = GaugeMetricFamily(
                "caseconsultant_cases", "Cases by state (queue depth)", labels=["state"]
            )
            counts = dict.fromkeys(CASE_STATES, 0)
            for state, n in s.execute(select(Case.state, func.count(Case.id)).group_by(Case.state)):
                counts[str(state)] = int(n)
            for state, n in counts.items():
                cases.add_metric([state], n)
            yield cases

            inbound = GaugeMetricFamily(
                "caseconsultant_inbound_messages", "Inbound mails by state", labels=["state"]
            )
            for state, n in s.execute(
                select(InboundMessage.state, func.count(InboundMessage.id)).group_by(InboundMessage.state)
            ):
                inbound.add_metric([str(state)], int(n))
            yield inbound

            outbound = GaugeMetricFamily(
                "caseconsultant_outbound_messages", "Outbound replies by state", labels=["state"]
            )
            ocounts = dict.fromkeys(OUTBOUND_STATES, 0)
            for state, n in s.execute(
                select(OutboundMessage.state, func.count(OutboundMessage.id)).group_by(OutboundMessage.state)
            ):
                ocounts[str(state)] = int(n)
            for state, n in ocounts.items():
                outbound.add_metric([state], n)
            yield outbound

            sends = CounterMetricFamily("caseconsultant_sends", "Sends by result", labels=["result"])
            results = {"sent": 0, "send_dead": 0}
            for action, n in s.execute(
                select(AuditLog.action, func.count(AuditLog.id))
                .where(AuditLog.action.in_(tuple(results)))
                .group_by(AuditLog.action)
            ):
                results[str(action)] = int(n)
            sends.add_metric(["sent"], results["sent"])
            sends.add_metric(["dead"], results["send_dead"])
            yield sends

            since = utcnow() - LATENCY_WINDOW
            rows = s.execute(
                select(InboundMessage.received_at, InboundMessage.processed_at).where(
                    InboundMessage.processed_at.is_not(None),
                    InboundMessage.processed_at >= since,
                    InboundMessage.state.in_(("consult", "follow_up")),
                )
            ).all()
            values = sorted(
                max(0.0, (p - r).total_seconds()) for r, p in rows if p is not None and r is not None
            )
            lat = GaugeMetricFamily(
                "caseconsultant_mail_to_draft_seconds",
                "Mail received to draft ready, last hour",
                labels=["quantile"],
            )
            lat.add_metric(["0.5"], _quantile(values, 0.5))
            lat.add_metric(["0.95"], _quantile(values, 0.95))
            lat.add_metric(["1"], values[-1] if values else 0.0)
            yield lat
            yield GaugeMetricFamily(
                "caseconsultant_mail_to_draft_window_count",
                "Mails drafted in the last hour",
                value=len(values),
            )
