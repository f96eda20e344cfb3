"""PNG pictures of networks (matplotlib, Agg): a region's ties and an organization's
supply neighbourhood, with Chinese names drawn in WenQuanYi Micro Hei.

The font comes from Debian's ``fonts-wqy-microhei`` (found by path); without it the
pictures are refused rather than drawn with boxes for every Chinese character.
"""

from __future__ import annotations

import math
from pathlib import Path

import networkx as nx

from tieskg.errors import TieskgError

#: Where Debian's fonts-wqy-microhei puts the font, and what to search for elsewhere.
CJK_FONT_PATHS = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)
CJK_FONT_FILE = "wqy-microhei.ttc"

#: Colours of the kinds of regional ties (colour-blind-safe Okabe-Ito palette).
KIND_COLOURS = {
    "supply": "#0072B2",
    "rd-manufacturing": "#D55E00",
    "cooperation": "#009E73",
    "talent-flow": "#CC79A7",
    "investment": "#E69F00",
}


class FontMissing(TieskgError):
    """The CJK font the pictures need is not installed."""


def cjk_font() -> Path:
    """The WenQuanYi Micro Hei font file, or :class:`FontMissing` saying how to get it."""
    from matplotlib import font_manager

    for path in CJK_FONT_PATHS:
        if path.is_file():
            return path
    for name in font_manager.findSystemFonts():
        if Path(name).name.lower() == CJK_FONT_FILE:
            return Path(name)
    raise FontMissing("no CJK font for Chinese names: install Debian's fonts-wqy-microhei "
                      "(apt-get install fonts-wqy-microhei), then run the command again")


def _pyplot():
    """pyplot on the Agg backend with the CJK font first in the font list."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt

    path = cjk_font()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    plt.rcParams["font.family"] = [name, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def two_line_label(data: dict, width: int = 22) -> str:
    """Chinese name over English name (shortened to ``width`` characters), or the label.

    >>> two_line_label({"label": "上虞区", "label_zh": "上虞区", "label_en": "Shangyu District"})
    '上虞区\\nShangyu District'
    >>> two_line_label({"label": "x", "label_en": "A very long English name of a company"}, 12)
    'A very long…'
    """
    zh, en = data.get("label_zh"), data.get("label_en")
    if en and len(en) > width:
        en = en[:width - 1].rstrip() + "…"
    if zh and en:
        return f"{zh}\n{en}"
    return zh or en or data.get("label", "")


def region_ties_picture(graph: nx.MultiDiGraph, region: str, output: Path, *,
                        max_partners: int = 16, title: str | None = None) -> None:
    """The ties of ``region`` (a node of the region-ties network) to its partner regions:
    the region in the middle, partners around it, one arrow per kind of tie and
    direction, as wide as its weight, coloured by kind, labelled with the weight. Only the
    ``max_partners`` most strongly tied partners are drawn; the title counts the rest."""
    plt = _pyplot()
    from matplotlib.lines import Line2D

    strength: dict[str, float] = {}
    for u, v, weight in graph.edges(data="weight", default=1):
        if region in (u, v) and u != v:
            other = v if u == region else u
            strength[other] = strength.get(other, 0) + weight
    strongest = sorted(strength, key=lambda n: (-strength[n], n))[:max_partners]
    hidden = len(strength) - len(strongest)
    partners = sorted(strongest, key=lambda n: graph.nodes[n].get("label", n))
    positions = {region: (0.0, 0.0)}
    for i, node in enumerate(partners):
        angle = math.pi / 2 - 2 * math.pi * i / max(len(partners), 1)
        positions[node] = (math.cos(angle), math.sin(angle))
    edges = [(u, v, key, data) for u, v, key, data in graph.edges(keys=True, data=True)
             if region in (u, v) and u != v and u in positions and v in positions]
    heaviest = max((data.get("weight", 1) for *_, data in edges), default=1)
    kinds = sorted({key for _, _, key, _ in edges}, key=list(KIND_COLOURS).index)
    fig, ax = plt.subplots(figsize=(10, 9.5), dpi=120)
    _set_limits(ax, 1.35, 1.35, equal=True)
    boxes = {}
    for node, (x, y) in positions.items():
        centre = node == region
        boxes[node] = _box(ax, x, y, two_line_label(graph.nodes[node]), centre,
                           15 if centre else 12)
    fig.canvas.draw()   # places the boxes, so that arrows can be clipped at them
    for u, v, key, data in edges:
        # parallel ties fan out: each kind gets its own curvature; arc3 bends to the
        # right of the arrow, so the two directions between a pair stay apart
        rad = 0.1 + 0.16 * kinds.index(key)
        weight = data.get("weight", 1)
        colour = KIND_COLOURS.get(key, "grey")
        _arrow(ax, positions[u], positions[v], boxes[u], boxes[v], colour,
               1.5 + 5 * weight / heaviest, rad)
        (x1, y1), (x2, y2) = positions[u], positions[v]
        # the middle of arc3's quadratic curve: half-way to its control point
        ax.text((x1 + x2) / 2 + rad * (y2 - y1) / 2, (y1 + y2) / 2 - rad * (x2 - x1) / 2,
                f"{weight:g}", fontsize=11, ha="center", va="center", color=colour, zorder=5,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.9})
    ax.legend(handles=[Line2D([0], [0], color=KIND_COLOURS.get(k, "grey"), lw=3, label=k)
                       for k in kinds], title="kind of tie (number: weight)", loc="upper left",
              fontsize=11, title_fontsize=11, frameon=True)
    label = graph.nodes[region].get("label", region)
    more = f", the {len(partners)} strongest shown" if hidden else ""
    ax.set_title(title or f"Ties of {label} ({len(strength)} partner regions{more})",
                 fontsize=15)
    _finish(plt, fig, output)


def supply_neighbourhood_picture(sub: nx.DiGraph, centre: str, output: Path, *,
                                 per_layer: int = 12, title: str | None = None) -> None:
    """An organization's supply neighbourhood (from
    :func:`tieskg.graph.analysis.reach.neighbourhood`): suppliers in columns to the
    left, customers to the right, the organization in the middle; at most ``per_layer``
    per column (the most strongly tied), the rest counted in a note. Only ties from one
    column to the next are drawn (the supply paths through the organization)."""
    plt = _pyplot()
    columns: dict[int, list[str]] = {}
    for node, layer in sub.nodes(data="layer"):
        columns.setdefault(layer, []).append(node)
    hidden = 0
    for layer, nodes in columns.items():
        nodes.sort(key=lambda n: (-sub.degree(n, weight="weight"), sub.nodes[n].get("label", n)))
        hidden += max(len(nodes) - per_layer, 0)
        columns[layer] = sorted(nodes[:per_layer], key=lambda n: sub.nodes[n].get("label", n))
    shown = [n for nodes in columns.values() for n in nodes]
    positions = {}
    tallest = max(len(nodes) for nodes in columns.values())
    for layer, nodes in columns.items():
        for i, node in enumerate(nodes):
            positions[node] = (layer * 3.2, (len(nodes) - 1) / 2 - i)
    width = 3.2 * (max(columns) - min(columns)) + 4
    fig, ax = plt.subplots(figsize=(max(8.0, width * 1.2), max(4.0, tallest * 0.8 + 1.5)),
                           dpi=120)
    _set_limits(ax, (min(columns) * 3.2 - 1.7, max(columns) * 3.2 + 1.7),
                (-tallest / 2 - 0.2, tallest / 2 + 0.5))
    boxes = {node: _box(ax, *positions[node], two_line_label(sub.nodes[node]), node == centre,
                        12 if node == centre else 10) for node in shown}
    fig.canvas.draw()   # places the boxes, so that arrows can be clipped at them
    drawn = sub.subgraph(shown)
    heaviest = max((w for *_, w in drawn.edges(data="weight", default=1)), default=1)
    for u, v, weight in drawn.edges(data="weight", default=1):
        if drawn.nodes[v]["layer"] - drawn.nodes[u]["layer"] != 1:
            continue   # only ties from one column to the next: the paths to and from centre
        _arrow(ax, positions[u], positions[v], boxes[u], boxes[v], "#0072B2",
               1 + 3 * weight / heaviest, 0.12)
    for layer in columns:
        if layer:
            side = "suppliers" if layer < 0 else "customers"
            ax.text(layer * 3.2, tallest / 2 + 0.1, f"{side}, {abs(layer)} step"
                    + ("s" if abs(layer) > 1 else ""), ha="center", fontsize=11,
                    color="#555555")
    label = sub.nodes[centre].get("label", centre)
    note = f" ({hidden} more not shown)" if hidden else ""
    ax.set_title(title or f"Supply neighbourhood of {label}{note}", fontsize=14)
    _finish(plt, fig, output)


def _set_limits(ax, x, y, *, equal: bool = False) -> None:
    """Fix the axes' extent (numbers: symmetric about 0) before anything is drawn."""
    ax.set_xlim(*((-x, x) if isinstance(x, int | float) else x))
    ax.set_ylim(*((-y, y) if isinstance(y, int | float) else y))
    if equal:
        ax.set_aspect("equal")
    ax.set_axis_off()


def _box(ax, x: float, y: float, text: str, centre: bool, size: int):
    """A node: its name in a rounded box (yellow for the node the picture is about)."""
    return ax.text(x, y, text, ha="center", va="center", fontsize=size, zorder=3,
                   bbox={"boxstyle": "round,pad=0.45", "ec": "#333333",
                         "fc": "#FFF3C4" if centre else "#F2F2F2"})


def _arrow(ax, start, end, box_a, box_b, colour: str, width: float, rad: float) -> None:
    """An arrow from ``start`` to ``end`` that begins and ends at the nodes' boxes."""
    from matplotlib.patches import FancyArrowPatch

    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=18,
                                 color=colour, lw=width, alpha=0.85, zorder=4,
                                 patchA=box_a.get_bbox_patch(), patchB=box_b.get_bbox_patch(),
                                 shrinkA=3, shrinkB=3,
                                 connectionstyle=f"arc3,rad={rad}"))


def _finish(plt, fig, output: Path) -> None:
    """Save ``output`` atomically and close the figure."""
    from tieskg.graph.export import write_atomically

    fig.subplots_adjust(left=0.02, right=0.98, bottom=0.02, top=0.93)
    try:
        write_atomically(output, lambda out: fig.savefig(out, format="png"))
    finally:
        plt.close(fig)
