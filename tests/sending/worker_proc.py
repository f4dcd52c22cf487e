"""A worker process for the crash and race tests: runs the real send task for one row.

    python -m tests.sending.worker_proc OUTBOUND_ID [START_AT_EPOCH]

Settings come from CC_* variables. Prints "ready" once imported, then waits until START_AT (so that
several processes start their send at the same moment), then "result <state>".
"""

from __future__ import annotations

import sys
import time


def main() -> None:
    outbound_id = int(sys.argv[1])
    start_at = float(sys.argv[2]) if len(sys.argv) > 2 else 0.0
    from workers.tasks import send_outbound

    print("ready", flush=True)
    while time.time() < start_at:
        time.sleep(0.0005)
    state = send_outbound(outbound_id)  # the Celery task body, run in this process
    print(f"result {state}", flush=True)


if __name__ == "__main__":
    main()
