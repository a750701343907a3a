"""Export files: cells that never run as formulas, CSV in chunks with one BOM, XLSX."""

import csv
import io

import openpyxl
import pytest

from fundpool.exports.cells import neutralise
from fundpool.exports.writers import CHUNK_BYTES, csv_chunks, xlsx_file


@pytest.mark.parametrize("value", ["=1+1", "+86 755", "-5.00", "@SUM(A1)", "\t=1", "\r=1",
                                   '=HYPERLINK("http://x","y")'])
def test_text_that_a_spreadsheet_would_run_gets_a_quote(value):
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", ["张三", "1000.00", "a=b", " =1", "'=1", "", None, 5, -5])
def test_everything_else_is_left_alone(value):
    assert neutralise(value) == value


def test_csv_comes_in_chunks_with_one_bom():
    rows = ([n, f"捐赠人{n}", "=cmd" if n % 2 else "ok"] for n in range(20_000))
    chunks = list(csv_chunks(["no", "name", "note"], rows))
    assert len(chunks) > 1
    assert all(len(chunk) < 2 * CHUNK_BYTES for chunk in chunks)
    assert chunks[0].startswith(b"\xef\xbb\xbf") and not any(
        b"\xef\xbb\xbf" in chunk for chunk in chunks[1:])
    parsed = list(csv.reader(io.StringIO(b"".join(chunks).decode("utf-8-sig"), newline="")))
    assert parsed[0] == ["no", "name", "note"]
    assert len(parsed) == 20_001
    assert parsed[2] == ["1", "捐赠人1", "'=cmd"]


def test_xlsx_drops_control_characters_before_neutralising():
    with xlsx_file(["a", "b"], [["\x01=1+1", 7], ["ok\x07", None]], sheet_title="t") as out:
        workbook = openpyxl.load_workbook(out)
    assert [[cell.value for cell in row] for row in workbook["t"].iter_rows()] == [
        ["a", "b"], ["'=1+1", 7], ["ok", None]]
