"""The production Dispatcher: Celery messages naming committed rows."""

from __future__ import annotations


class CeleryDispatcher:
    def process_inbound(self, inbound_id: int) -> None:
        from workers.tasks import process_inbound

        process_inbound.delay(inbound_id)

    def send_outbound(self, outbound_id: int, countdown: float = 0.0) -> None:
        from workers.tasks import send_outbound

        if countdown > 0:
            send_outbound.apply_async((outbound_id,), countdown=countdown)
        else:
            send_outbound.delay(outbound_id)
