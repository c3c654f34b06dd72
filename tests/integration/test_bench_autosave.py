"""`make bench` measures one autosave request against a bare write of the same row."""
import json

from bench.__main__ import main


def test_the_autosave_figure_comes_out_with_both_sides(capsys):
    assert main(["--only", "autosave_vs_bare_write", "--quick"]) == 0
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert (line["figure"], line["goal"], line["runs"]) == ("autosave_vs_bare_write", "<= 4.0", 10)
    assert line["autosave_ms"] > 0 and line["bare_write_ms"] > 0
