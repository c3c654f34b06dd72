"""`make bench` measures receiving a 5 Mo photo against copying it: one JSON line, both sides timed."""
import json

from bench.__main__ import main


def test_the_upload_figure_comes_out_with_both_sides(capsys, monkeypatch):
    monkeypatch.delenv("CLAMD_URL", raising=False)
    assert main(["--only", "upload_5mb_vs_copy", "--quick"]) == 0
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (line["figure"], line["goal"], line["runs"]) == ("upload_5mb_vs_copy", "<= 3.0", 3)
    assert line["receive_ms"] > 0 and line["copy_ms"] > 0 and 4.5 < line["photo_mb"] < 6
    assert "scan_ms" not in line
