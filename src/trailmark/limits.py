"""Size limits shared by the SDK, the store and the server, so all three refuse the same input."""

from __future__ import annotations

MAX_KEY_LENGTH = 256
"""Longest metric, config or summary key, in characters."""

MAX_NAME_LENGTH = 256
"""Longest project, run, tag, group or job-type name."""

MAX_NOTES_LENGTH = 100_000
MAX_CONFIG_DEPTH = 32
MAX_CONFIG_BYTES = 4 * 1024 * 1024
MAX_TAGS = 256
MAX_REQUEST_BYTES = 64 * 1024 * 1024
"""Largest request body the server reads."""

MAX_RECORDS_PER_BATCH = 100_000
MAX_METRICS_PER_RECORD = 20_000
"""Most metric values one record holds: the SDK's ``log()`` writes a wider call as several
records of the same step, and the server refuses a wider record (413). It bounds what one
transaction of the ingest writer applies of one request (see server/ingest_queue.py)."""
MAX_FILTER_LENGTH = 10_000
MAX_PAGE_SIZE = 10_000
MAX_PAGE_OFFSET = 2**53 - 1
"""Largest offset a page may start at (native ``offset``, MLflow page tokens): the largest
integer the dashboard's JavaScript holds exactly, far below the databases' 64-bit limit."""

MAX_CONSOLE_LINE_CHARS = 64 * 1024
"""Longest console line kept; the SDK cuts longer lines and says so at their end."""

MAX_CONSOLE_LINES_PER_RECORD = 100_000
