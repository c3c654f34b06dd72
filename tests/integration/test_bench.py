"""`make bench` keeps working: each figure comes out as one JSON line with its goal. The
figures themselves are read by people, never asserted here (performance lives in the bench)."""
import json

from bench.__main__ import main


def test_the_bench_prints_one_json_line_per_figure(capsys):
    assert main(["--only", "pricing_us", "quote_issue_vs_bare_pdf", "--quick"]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["figure"] for line in lines] == ["pricing_us", "quote_issue_vs_bare_pdf"]
    for line in lines:
        assert line["value"] > 0 and line["goal"] and isinstance(line["met"], bool)
    assert lines[1]["issue_ms"] > 0 and lines[1]["bare_pdf_ms"] > 0
