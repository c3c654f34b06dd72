"""Render a pdf_templates/ HTML template to PDF bytes with WeasyPrint.

Rendering time is dominated by font discovery and CSS parsing, so both are paid once per
process: the fonts are two DejaVu files shipped in pdf_templates/fonts (no system font
search), declared by @font-face in base.css, parsed once with a shared FontConfiguration.
WeasyPrint's FontConfiguration is not thread-safe, hence the lock around each render.
"""
from __future__ import annotations

import threading
from functools import lru_cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from weasyprint import CSS, HTML
from weasyprint.text.fonts import FontConfiguration

from .. import formatting

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "pdf_templates"
PDF_CONTENT_TYPE = "application/pdf"

_lock = threading.Lock()


@lru_cache(maxsize=1)
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES_DIR), autoescape=select_autoescape(["html"]),
                      undefined=StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(money=formatting.money, money_month=formatting.money_per_month, day=formatting.day,
                       moment=formatting.moment)
    return env


@lru_cache(maxsize=1)
def _shared() -> tuple[FontConfiguration, CSS]:
    fonts = FontConfiguration()
    stylesheet = CSS(filename=str(TEMPLATES_DIR / "base.css"), font_config=fonts,
                     base_url=str(TEMPLATES_DIR) + "/")
    return fonts, stylesheet


def render_html(template: str, context: dict) -> str:
    return _environment().get_template(template).render(**context)


def render_pdf(template: str, context: dict) -> bytes:
    """`template` is a file of pdf_templates/ (e.g. "devis.html"); returns the PDF's bytes."""
    html = render_html(template, context)
    with _lock:
        fonts, stylesheet = _shared()
        document = HTML(string=html, base_url=str(TEMPLATES_DIR) + "/")
        return document.write_pdf(stylesheets=[stylesheet], font_config=fonts)
