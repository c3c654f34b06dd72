"""`make bench` measures the seal: one JSON line, the ratio and both timings of the same run."""
import json

from bench.__main__ import main


def test_the_seal_figure_prints_one_json_line(capsys):
    assert main(["--only", "seal_3_vs_pyhanko_bare", "--quick"]) == 0
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert line["figure"] == "seal_3_vs_pyhanko_bare" and line["goal"] == "<= 1.5"
    assert line["portal_ms"] > 0 and line["bare_ms"] > 0 and line["stock_ms"] > 0
    assert abs(line["value"] - line["portal_ms"] / line["bare_ms"]) < 0.01
