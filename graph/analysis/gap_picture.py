"""The chain-gap matrix as a PNG (matplotlib): segments (upstream at the top) × regions,
each cell coloured by what the region has, with the number of evidence items.

Chinese labels need a CJK font: WenQuanYi Micro Hei (Debian package fonts-wqy-microhei),
found by path; without it :func:`draw_gap_matrix` fails with a message saying what to install.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tieskg.errors import TieskgError
from tieskg.graph.analysis.chain_gaps import (
    MISSING,
    PRESENT_IN_PARTNER,
    PRESENT_LOCALLY,
    SegmentGap,
)
from tieskg.graph.export import write_atomically
from tieskg.loaders.chains import ChainTemplate

#: Where Debian's fonts-wqy-microhei puts the font.
CJK_FONT_PATHS = (Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),)

#: Cell colours (colour-blind-safe: Okabe-Ito), by what the cell says.
COLOURS = {PRESENT_LOCALLY: "#009E73", PRESENT_IN_PARTNER: "#E69F00", MISSING: "#D55E00",
           "partner-has": "#56B4E9", "partner-lacks": "#DDDDDD"}
LEGEND = {PRESENT_LOCALLY: "present locally 本地已有",
          PRESENT_IN_PARTNER: "in partner only 合作地区有",
          MISSING: "missing 缺失 (招商目标)",
          "partner-has": "partner has it 合作地区有",
          "partner-lacks": "partner lacks it 合作地区无"}


class FontMissing(TieskgError):
    """No CJK font for the picture's Chinese labels."""


def cjk_font() -> Path:
    """The CJK font file, registered with matplotlib; an error says how to install it."""
    from matplotlib import font_manager

    for path in CJK_FONT_PATHS:
        if path.is_file():
            font_manager.fontManager.addfont(str(path))
            return path
    raise FontMissing("no CJK font for the picture's Chinese labels: install Debian's "
                      "fonts-wqy-microhei (`apt-get install -y fonts-wqy-microhei`), "
                      f"which puts it at {CJK_FONT_PATHS[0]}")


def draw_gap_matrix(chain: ChainTemplate, gaps: Sequence[SegmentGap], region: str,
                    partner: str | None, output: Path) -> None:
    """Write the matrix of ``gaps`` (from :func:`chain_gaps`) for ``region`` and its
    ``partner`` (names for the column heads) to ``output`` (PNG, written atomically)."""
    font = cjk_font()
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import font_manager
    from matplotlib import pyplot as plt
    from matplotlib.patches import Patch

    name = font_manager.FontProperties(fname=str(font)).get_name()
    columns = [region] + ([partner] if partner else [])
    height = 1.6 + 0.55 * len(gaps)
    with matplotlib.rc_context({"font.family": name, "font.size": 11,
                                "axes.unicode_minus": False}):
        figure, axes = plt.subplots(figsize=(4.2 + 2.6 * len(columns), height), dpi=150)
        for row, gap in enumerate(gaps):
            cells = [(gap.status, len(gap.local))]
            if partner:
                cells.append(("partner-has" if gap.partner else "partner-lacks",
                              len(gap.partner)))
            for column, (what, count) in enumerate(cells):
                axes.add_patch(matplotlib.patches.Rectangle(
                    (column, row), 1, 1, facecolor=COLOURS[what], edgecolor="white",
                    linewidth=2))
                axes.text(column + 0.5, row + 0.5, str(count) if count else "—",
                          ha="center", va="center", fontsize=11,
                          color="black" if what == "partner-lacks" else "white",
                          )
        axes.set_xlim(0, len(columns))
        axes.set_ylim(len(gaps), 0)
        axes.set_xticks([c + 0.5 for c in range(len(columns))],
                        [c.replace(" ", "\n", 1) for c in columns])
        axes.xaxis.tick_top()
        axes.set_yticks([r + 0.5 for r in range(len(gaps))],
                        [f"{g.position}. {g.segment.name_zh} {g.segment.name_en}".strip()
                         for g in gaps])
        axes.tick_params(length=0)
        for side in axes.spines.values():
            side.set_visible(False)
        used = [PRESENT_LOCALLY, PRESENT_IN_PARTNER, MISSING]
        if partner:
            used += ["partner-has", "partner-lacks"]
        axes.legend(handles=[Patch(color=COLOURS[u], label=LEGEND[u]) for u in used],
                    loc="upper left", bbox_to_anchor=(1.02, 1), frameon=False, fontsize=9)
        title = f"{chain.name_zh} {chain.name_en}".strip()
        figure.suptitle(f"{title}\n(numbers: evidence items; upstream at the top)",
                        fontsize=12)
        figure.tight_layout()
        write_atomically(output, lambda out: figure.savefig(out, format="png"))
        plt.close(figure)
