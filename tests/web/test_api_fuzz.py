"""Property-based run over the published OpenAPI spec (schemathesis): no request gives a 500.

Authenticated with a bearer token; the dispatcher only records (no mail leaves). Every
operation gets generated inputs, valid and invalid, against the ASGI app in-process.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from tests.web.conftest import api_token

schemathesis = pytest.importorskip("schemathesis")


def test_openapi_spec_is_published(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    for p in ("/api/v1/cases", "/api/v1/cases/{case_id}", "/api/v1/cases/{case_id}/approve",
              "/api/v1/cases/{case_id}/reject", "/api/v1/cases/{case_id}/assign", "/api/v1/cases/{case_id}/reopen",
              "/api/v1/cases/{case_id}/draft", "/api/v1/outbox", "/api/v1/outbox/{outbound_id}/retry",
              "/api/v1/failed", "/api/v1/failed/{inbound_id}/reprocess", "/api/v1/audit"):  # fmt: skip
        assert p in paths, p
    assert not any(p.startswith("/cases") or p == "/queue" for p in paths)  # pages are not in the API spec


def test_no_server_errors_for_generated_requests(app: Any, web_env: dict[str, Any]) -> None:
    token = api_token("admin@caseconsultant.test")
    headers = {"Authorization": f"Bearer {token}"}
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", app)
    failures: list[str] = []
    statuses: dict[int, int] = {}
    ops = [r.ok() for r in schema.get_all_operations()]
    assert len(ops) >= 14
    for op in ops:

        @settings(max_examples=40, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        @given(case=op.as_strategy())
        def run(case: Any) -> None:
            resp = case.call(headers=headers)
            statuses[resp.status_code] = statuses.get(resp.status_code, 0) + 1
            if resp.status_code >= 500:
                failures.append(
                    f"{case.method} {case.formatted_path} -> {resp.status_code}: {resp.text[:300]}"
                )

        run()
    assert not failures, "\n".join(failures[:10])
    assert statuses.get(200, 0) > 20, statuses  # real answers, not only refusals
    print("statuses:", dict(sorted(statuses.items())))
