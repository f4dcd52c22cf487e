"""Property-based run over the published OpenAPI spec (schemathesis): no request gives a 500.

Authenticated with a bearer token; the dispatcher only records (no mail leaves). Every
operation gets generated inputs, valid and invalid, against the ASGI app in-process.
"""

from __future__ import annotations

from typing import Any

import schemathesis  # a test dependency: missing is an error, never a skip
from hypothesis import HealthCheck, given, settings

from tests.web.conftest import api_token


def test_openapi_spec_is_published(client: Any) -> None:
    spec = client.get("/api/v1/openapi.json").json()
    paths = spec["paths"]
    ops = ["cases", "cases/{case_id}", "outbox", "outbox/{outbound_id}/retry", "failed",
           "failed/{inbound_id}/reprocess", "audit"]  # fmt: skip
    ops += [f"cases/{{case_id}}/{verb}" for verb in ("approve", "reject", "assign", "reopen", "draft")]
    for p in (f"/api/v1/{op}" for op in ops):
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
