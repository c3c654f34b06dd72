"""The picture of the formula screen: the needs asked against each formula's levels, as SVG.

One row per need; in each row one bar per formula (its level 1..4, the chosen options'
raises included for the selected formula), and a dashed mark at the level asked. Bars that
reach the need are filled, the others outlined, so the picture reads in black and white too.
Built on the server: no script, and the same picture with or without JavaScript.
"""
from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup, escape

from ..catalog.model import Catalog, Product
from ..catalog.recommend import levels_with

ROW_HEIGHT = 58
LABEL_WIDTH = 150
BAR_GAP = 4
WIDTH = 640
LEVEL_HEIGHT = 10


def needs_chart(catalog: Catalog, product: Product, needs: dict, selected: str | None, options=()) -> Markup:
    return _chart(catalog, product, tuple(sorted(needs.items())), selected, tuple(options or ()))


@lru_cache(maxsize=2048)
def _chart(catalog: Catalog, product: Product, asked: tuple, selected: str | None, options: tuple) -> Markup:
    """The picture depends only on its arguments: drawn once per combination of needs and choice."""
    needs = dict(asked)
    formulas = product.formulas
    chosen_options = tuple(product.option(code) for code in options)
    bar_width = (WIDTH - LABEL_WIDTH - 10) / len(formulas) - BAR_GAP
    height = ROW_HEIGHT * len(catalog.need_axes) + 34
    parts = [f'<svg class="needs-chart" role="img" aria-labelledby="graphique-titre graphique-desc" '
             f'viewBox="0 0 {WIDTH} {height}" xmlns="http://www.w3.org/2000/svg">',
             '<title id="graphique-titre">Vos besoins comparés aux garanties de chaque formule</title>',
             f'<desc id="graphique-desc">{escape(_description(catalog, product, needs, selected, chosen_options))}</desc>']
    for index, formula in enumerate(formulas):
        x = LABEL_WIDTH + index * (bar_width + BAR_GAP) + bar_width / 2
        weight = ' font-weight="bold"' if formula.code == selected else ""
        parts.append(f'<text x="{x:.1f}" y="14" text-anchor="middle" font-size="11"{weight}>{escape(formula.code)}</text>')
    for row, axis in enumerate(catalog.need_axes):
        top = 24 + row * ROW_HEIGHT
        base = top + ROW_HEIGHT - 12
        label = axis.label.split(" (")[0]
        parts.append(f'<text x="0" y="{base - 16}" font-size="11">{escape(label[:1].upper() + label[1:])}</text>')
        asked = needs.get(axis.code, 0)
        for index, formula in enumerate(formulas):
            levels = levels_with(formula, chosen_options) if formula.code == selected else formula.levels
            level = levels[axis.code]
            x = LABEL_WIDTH + index * (bar_width + BAR_GAP)
            bar = level * LEVEL_HEIGHT
            covered = level >= asked
            css = "bar covered" if covered else "bar short"
            if formula.code == selected:
                css += " selected"
            parts.append(f'<rect class="{css}" x="{x:.1f}" y="{base - bar}" width="{bar_width:.1f}" height="{bar}">'
                         f'<title>{escape(formula.name)} : {escape(catalog.level_label(level))}</title></rect>')
        mark = base - asked * LEVEL_HEIGHT
        parts.append(f'<line class="asked" x1="{LABEL_WIDTH - 4}" x2="{WIDTH - 10}" y1="{mark}" y2="{mark}"/>')
        parts.append(f'<text x="0" y="{base}" font-size="10" class="asked-label">Demandé : '
                     f'{escape(catalog.level_label(asked))}</text>')
    parts.append("</svg>")
    return Markup("".join(parts))


def _description(catalog, product, needs, selected, options) -> str:
    sentences = []
    for formula in product.formulas:
        levels = levels_with(formula, options) if formula.code == selected else formula.levels
        short = [axis.label.split(" (")[0] for axis in catalog.need_axes if levels[axis.code] < needs.get(axis.code, 0)]
        sentences.append(f"{formula.name} : " + ("couvre tous les besoins" if not short
                                                  else "en dessous du besoin pour " + ", ".join(short)))
    return ". ".join(sentences) + "."
