"""Table previews: the first rows of a CSV, TSV or Parquet file, for the dashboard.

A preview reads the stored content (checked against its digest when it is read to the end, as
downloads are) and answers
``{"format", "columns", "types", "rows", "total_rows", "truncated"}``: ``rows`` holds the first
rows as lists in column order, ``types`` the Parquet column types (None for text tables) and
``total_rows`` the number of data rows, or None when a large text table was not counted to its
end. Cells are JSON values: text, numbers, booleans, None, lists and objects; dates, times and
decimals become text, and so do ``"NaN"`` and ``"Infinity"`` as elsewhere in the API.

Example::

    entry = store.artifacts.file("vision", "imagenet-subset", "latest", "labels.csv")
    table_preview(store.blobs, entry, rows=100)
    # {"format": "csv", "columns": ["id", "label"], "types": None,
    #  "rows": [["1", "cat"], ...], "total_rows": 50000, "truncated": False}
"""

from __future__ import annotations

import csv
import io
import itertools
import math
import tempfile
from collections.abc import Iterable, Iterator
from typing import Any

from trailmark.blobs.protocol import BlobStore, MiB, verified_chunks
from trailmark.errors import InvalidInput, NotInstalled
from trailmark.manifest import Entry

TABLE_FORMATS = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet", ".pq": "parquet"}
MAX_ROWS = 1000
MAX_CELL_CHARS = 2000
COUNT_ROWS_BELOW = 64 * MiB
"""Text tables up to this size are read to the end, counting rows (and checking the digest)."""
MAX_PARQUET_BYTES = 512 * MiB
"""Parquet keeps its schema at the end of the file, so a preview reads the whole file."""
SNIFF_CHARS = 16 * 1024


def table_format(path: str) -> str | None:
    """``csv``, ``tsv`` or ``parquet`` by the file's extension; None for other files."""
    name = path.rsplit("/", 1)[-1].lower()
    _, dot, ext = name.rpartition(".")
    return TABLE_FORMATS.get(f".{ext}") if dot else None


def table_preview(blobs: BlobStore, entry: Entry, rows: int = 100) -> dict[str, Any]:
    """The first ``rows`` rows of a stored CSV, TSV or Parquet file (see the module doc)."""
    if entry.ref is not None or entry.digest is None:
        raise InvalidInput(
            f"{entry.path} is a reference to {entry.ref}, not stored here: it has no preview"
        )
    fmt = table_format(entry.path)
    if fmt is None:
        raise InvalidInput(
            f"{entry.path} has no table preview: only .csv, .tsv and .parquet files have one"
        )
    if not 1 <= rows <= MAX_ROWS:
        raise InvalidInput(f"rows must be between 1 and {MAX_ROWS}, got {rows}")
    chunks = verified_chunks(
        blobs.read(entry.digest), entry.digest, f"{entry.path} (sha256 {entry.digest})"
    )
    if fmt == "parquet":
        return _parquet(chunks, entry, rows)
    return _text_table(chunks, entry, rows, "\t" if fmt == "tsv" else None, fmt)


class _ChunkStream(io.RawIOBase):
    """A readable file over an iterator of byte chunks, counting what it hands out."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._pending = b""
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = next(self._chunks, None)
            if chunk is None:
                return 0
            self._pending = chunk
        view = memoryview(buffer).cast("B")
        n = min(len(view), len(self._pending))
        view[:n] = self._pending[:n]
        self._pending = self._pending[n:]
        self.consumed += n
        return n


def _delimiter(sample: str) -> str:
    """The delimiter of a ``.csv`` file: commas unless the sample clearly uses ; | or tabs."""
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def _text_table(
    chunks: Iterator[bytes], entry: Entry, rows: int, delimiter: str | None, fmt: str
) -> dict[str, Any]:
    raw = _ChunkStream(chunks)
    text = io.TextIOWrapper(
        io.BufferedReader(raw), encoding="utf-8-sig", errors="replace", newline=""
    )
    # The sniffed sample ends on a line boundary, so no record is cut in two.
    head = text.read(SNIFF_CHARS) + text.readline()
    lines: Iterable[str] = itertools.chain(io.StringIO(head, newline=""), text)
    reader = csv.reader(lines, delimiter=delimiter or _delimiter(head))
    found: list[list[Any]] = []
    counted = 0
    complete = True
    try:
        header = next(reader, None)
        for record in reader:
            if len(found) < rows:
                found.append([_text_cell(cell) for cell in record])
            elif entry.size > COUNT_ROWS_BELOW:
                complete = False
                break
            counted += 1
    except csv.Error as exc:
        raise InvalidInput(f"{entry.path} could not be read as {fmt.upper()}: {exc}") from None
    columns = [_text_cell(c) or f"column {i + 1}" for i, c in enumerate(header or [])]
    width = max([len(columns), *(len(r) for r in found)])
    columns += [f"column {i + 1}" for i in range(len(columns), width)]
    for row in found:
        row += [None] * (width - len(row))
    return {
        "format": fmt,
        "columns": columns,
        "types": None,
        "rows": found,
        "total_rows": counted if complete else None,
        "truncated": not complete or counted > len(found),
    }


def _text_cell(value: str) -> str:
    return value if len(value) <= MAX_CELL_CHARS else value[:MAX_CELL_CHARS] + "…"


def _parquet(chunks: Iterator[bytes], entry: Entry, rows: int) -> dict[str, Any]:
    if entry.size > MAX_PARQUET_BYTES:
        raise InvalidInput(
            f"{entry.path} is too large to preview ({entry.size / MiB:.0f} MiB; "
            f"the limit is {MAX_PARQUET_BYTES // MiB} MiB): download it instead"
        )
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise NotInstalled(
            "Parquet previews need pyarrow on the server: pip install 'trailmark[parquet]'"
        ) from None

    with tempfile.SpooledTemporaryFile(max_size=16 * MiB) as spool:
        for chunk in chunks:
            spool.write(chunk)
        spool.seek(0)
        try:
            parquet = pq.ParquetFile(spool)
            schema = parquet.schema_arrow
            total = int(parquet.metadata.num_rows)
            found: list[list[Any]] = []
            for batch in parquet.iter_batches(batch_size=rows):
                columns = [batch.column(i).to_pylist() for i in range(batch.num_columns)]
                found += ([_cell(v) for v in row] for row in zip(*columns, strict=True))
                if len(found) >= rows:
                    break
        except (pa.ArrowException, OSError, ValueError) as exc:
            raise InvalidInput(f"{entry.path} could not be read as Parquet: {exc}") from None
    found = found[:rows]
    return {
        "format": "parquet",
        "columns": [str(name) for name in schema.names],
        "types": [str(field.type) for field in schema],
        "rows": found,
        "total_rows": total,
        "truncated": total > len(found),
    }


def _cell(value: Any) -> Any:
    """A Parquet value as JSON (nested values kept, others in words)."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, str):
        return _text_cell(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, list | tuple):
        return [_cell(v) for v in value[:100]]
    if isinstance(value, dict):
        return {str(k): _cell(v) for k, v in itertools.islice(value.items(), 100)}
    isoformat = getattr(value, "isoformat", None)
    if callable(isoformat):
        return str(isoformat())
    return _text_cell(str(value))
