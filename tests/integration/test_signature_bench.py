"""`make bench` measures the seal: one JSON line, the ratio and both timings of the same run."""
import json

from bench.__main__ import main
from portal.signature.seal import outside_event_loop


def test_the_seal_figure_prints_one_json_line(capsys):
    # pyHanko starts asyncio loops: away from the one a browser test may have left running.
    assert outside_event_loop(main, ["--only", "seal_3_vs_pyhanko_bare", "--quick"]) == 0
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert line["figure"] == "seal_3_vs_pyhanko_bare" and line["goal"] == "<= 1.5"
    assert line["portal_ms"] > 0 and line["bare_ms"] > 0 and line["stock_ms"] > 0
    assert abs(line["value"] - line["portal_ms"] / line["bare_ms"]) < 0.01
