"""Table previews: the first rows of CSV, TSV and Parquet contents, read from the blob store."""

from __future__ import annotations

import hashlib
import io
import sys
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from trailmark.blobs.folder import FolderBlobStore
from trailmark.errors import CorruptBlob, InvalidInput, NotInstalled
from trailmark.manifest import Entry
from trailmark.store import previews
from trailmark.store.previews import table_format, table_preview


@pytest.fixture
def blobs(tmp_path: Path) -> FolderBlobStore:
    return FolderBlobStore(tmp_path / "blobs")


def stored(blobs: FolderBlobStore, path: str, content: bytes) -> Entry:
    digest = hashlib.sha256(content).hexdigest()
    blobs.put(digest, io.BytesIO(content))
    return Entry(path, len(content), digest)


def parquet_bytes(table: pa.Table, **options: object) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, **options)
    return sink.getvalue()


def test_formats_come_from_the_extension() -> None:
    assert table_format("data/train.CSV") == "csv"
    assert table_format("a.tsv") == "tsv"
    assert table_format("part-0.parquet") == "parquet"
    assert table_format("notes.txt") is None
    assert table_format("csv") is None


def test_csv_with_quotes_newlines_and_ragged_rows(blobs: FolderBlobStore) -> None:
    content = (
        '\ufeffid,text,score\r\n1,"a, quoted ""word""",0.5\r\n2,"two\nlines",1\r\n3,short\r\n'
        "4,x,1,extra\r\n"
    ).encode()
    preview = table_preview(blobs, stored(blobs, "t.csv", content))
    assert preview["format"] == "csv"
    assert preview["columns"] == ["id", "text", "score", "column 4"]
    assert preview["rows"] == [
        ["1", 'a, quoted "word"', "0.5", None],
        ["2", "two\nlines", "1", None],
        ["3", "short", None, None],
        ["4", "x", "1", "extra"],
    ]
    assert (preview["total_rows"], preview["truncated"]) == (4, False)


def test_csv_rows_are_limited_but_all_are_counted(blobs: FolderBlobStore) -> None:
    content = "n;square\n" + "".join(f"{i};{i * i}\n" for i in range(500))
    preview = table_preview(blobs, stored(blobs, "squares.csv", content.encode()), rows=10)
    assert preview["columns"] == ["n", "square"]  # the semicolons were recognised
    assert preview["rows"][-1] == ["9", "81"]
    assert (len(preview["rows"]), preview["total_rows"], preview["truncated"]) == (10, 500, True)


def test_large_text_tables_are_not_counted_to_the_end(
    blobs: FolderBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(previews, "COUNT_ROWS_BELOW", 100)
    content = "a\tb\n" + "x\ty\n" * 1000
    preview = table_preview(blobs, stored(blobs, "big.tsv", content.encode()), rows=5)
    assert (preview["format"], preview["columns"], len(preview["rows"])) == ("tsv", ["a", "b"], 5)
    assert (preview["total_rows"], preview["truncated"]) == (None, True)


def test_an_empty_csv_is_an_empty_table(blobs: FolderBlobStore) -> None:
    preview = table_preview(blobs, stored(blobs, "empty.csv", b""))
    assert (preview["columns"], preview["rows"], preview["total_rows"]) == ([], [], 0)


def test_parquet_rows_types_and_json_safe_cells(blobs: FolderBlobStore) -> None:
    table = pa.table(
        {
            "id": pa.array(range(250), pa.int64()),
            "score": pa.array([float("nan"), float("inf"), *[i / 2 for i in range(248)]]),
            "label": pa.array([f"<b>{i}</b>" for i in range(250)]),
            "when": pa.array([None, *[1_767_225_600_000] * 249], pa.timestamp("ms")),
            "tags": pa.array([["a", "b"]] * 250),
        }
    )
    content = parquet_bytes(table, row_group_size=30)  # the first rows span row groups
    preview = table_preview(blobs, stored(blobs, "t.parquet", content), rows=70)
    assert preview["format"] == "parquet"
    assert preview["columns"] == ["id", "score", "label", "when", "tags"]
    assert preview["types"][:4] == ["int64", "double", "string", "timestamp[ms]"]
    assert len(preview["rows"]) == 70
    assert preview["rows"][0] == [0, "NaN", "<b>0</b>", None, ["a", "b"]]
    assert preview["rows"][1][1:4] == ["Infinity", "<b>1</b>", "2026-01-01T00:00:00"]
    assert (preview["total_rows"], preview["truncated"]) == (250, True)


def test_parquet_dates_become_text(blobs: FolderBlobStore) -> None:
    import datetime as dt

    table = pa.table({"day": pa.array([dt.date(2026, 1, 31)]), "raw": pa.array([b"\x00\x01"])})
    preview = table_preview(blobs, stored(blobs, "d.parquet", parquet_bytes(table)))
    assert preview["rows"] == [["2026-01-31", "<2 bytes>"]]
    assert (preview["total_rows"], preview["truncated"]) == (1, False)


def test_what_has_no_table_preview_is_refused_in_words(blobs: FolderBlobStore) -> None:
    with pytest.raises(InvalidInput, match=r"only \.csv, \.tsv and \.parquet"):
        table_preview(blobs, stored(blobs, "notes.txt", b"hello"))
    with pytest.raises(InvalidInput, match="could not be read as Parquet"):
        table_preview(blobs, stored(blobs, "fake.parquet", b"not parquet at all"))
    with pytest.raises(InvalidInput, match="reference"):
        table_preview(blobs, Entry("remote.csv", 10, None, ref="s3://bucket/remote.csv"))
    with pytest.raises(InvalidInput, match="rows must be between"):
        table_preview(blobs, stored(blobs, "a.csv", b"a\n1\n"), rows=0)


def test_damaged_content_is_reported_not_shown(blobs: FolderBlobStore) -> None:
    entry = stored(blobs, "t.csv", b"a,b\n1,2\n")
    blobs.path_of(entry.digest).chmod(0o644)
    blobs.path_of(entry.digest).write_bytes(b"a,b\n6,6\n")
    with pytest.raises(CorruptBlob):
        table_preview(blobs, entry)


def test_parquet_without_pyarrow_names_the_extra_to_install(
    blobs: FolderBlobStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = parquet_bytes(pa.table({"a": [1, 2]}))
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)
    with pytest.raises(NotInstalled, match=r"trailmark\[parquet\]"):
        table_preview(blobs, stored(blobs, "t.parquet", content))
