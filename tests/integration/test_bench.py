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
    assert lines[1]["issue_ms"] > 0 and lines[1]["bare_pdf_ms"] > 0 and lines[1]["job_ms"] > 0


def test_the_load_test_reports_valider_against_the_screens_and_the_email_delay(capsys):
    from bench import journey

    assert journey.main(["--users", "1", "--seconds", "3", "--workers", "1", "--job-workers", "1"]) == 0
    report = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert report["errors"] == 0 and report["steps"]["valider"]["n"] >= 1
    assert report["valider_p95_vs_screen_p95"] > 0
    # Every quote issued during the run had its e-mail queued by the worker within the drain time.
    assert report["quote_email_ready"]["n"] == report["steps"]["valider"]["n"]
    assert 0 < report["quote_email_ready_p95_s"] < journey.DRAIN_SECONDS


def test_the_backoffice_queue_figure_prints_one_json_line(capsys):
    assert main(["--only", "backoffice_queue_100k_vs_1k", "--quick"]) == 0
    [line] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert line["figure"] == "backoffice_queue_100k_vs_1k" and line["goal"] == "<= 2.0"
    assert line["contracts"] == 10_000 and line["median_ms_1k"] > 0 and line["median_ms_large"] > 0
