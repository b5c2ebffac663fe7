"""Airflow's ``[core] hostname_callable`` for the scale tests: two Celery workers on one machine
report different host names (``SCALE_TEST_WORKER_NAME``), as two machines would."""

from __future__ import annotations

import os
import socket


def name() -> str:
    return os.environ.get("SCALE_TEST_WORKER_NAME") or socket.getfqdn()
