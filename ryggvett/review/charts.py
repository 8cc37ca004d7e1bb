"""Small server-rendered SVG charts: no JavaScript, no library, every label escaped."""

from __future__ import annotations

from html import escape

INK = "#1f2933"
BAR = "#2f6f5e"
GRID = "#d5dbd9"


def _svg(width: int, height: int, title: str, body: list[str]) -> str:
    label = escape(title, quote=True)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-label="{label}" '
        f'class="chart"><title>{escape(title)}</title>{"".join(body)}</svg>'
    )


def column_chart(title: str, labels: list[str], values: list[int], width: int = 640, height: int = 220) -> str:
    """Vertical bars over time; at most about eight labels, counted back from the last, so none overlap."""
    top, bottom, left, right = 16, 40, 36, 24
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max(values, default=0) or 1
    step = plot_w / max(len(values), 1)
    body = [
        f'<line x1="{left}" y1="{top + plot_h}" x2="{width - right}" y2="{top + plot_h}" stroke="{GRID}"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" font-size="11" fill="{INK}">{peak}</text>',
        f'<text x="{left - 6}" y="{top + plot_h}" text-anchor="end" font-size="11" fill="{INK}">0</text>',
    ]
    every = max(1, -(-len(labels) // 8))
    for i, (label, value) in enumerate(zip(labels, values, strict=False)):
        bar_h = plot_h * value / peak
        x = left + i * step + step * 0.15
        body.append(
            f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{step * 0.7:.1f}" '
            f'height="{bar_h:.1f}" fill="{BAR}">'
            f"<title>{escape(label)}: {value}</title></rect>"
        )
        if (len(labels) - 1 - i) % every == 0:
            body.append(
                f'<text x="{left + i * step + step / 2:.1f}" y="{height - bottom + 16}" text-anchor="middle" '
                f'font-size="11" fill="{INK}">{escape(label)}</text>'
            )
    return _svg(width, height, title, body)


def bar_chart(title: str, items: list[tuple[str, int]], width: int = 640) -> str:
    """Horizontal bars with their labels and values, largest first as given."""
    row_h, left, right = 26, 190, 48
    height = max(1, len(items)) * row_h + 8
    peak = max((value for _, value in items), default=0) or 1
    body = []
    for i, (label, value) in enumerate(items):
        y = 4 + i * row_h
        bar_w = (width - left - right) * value / peak
        body += [
            f'<text x="{left - 8}" y="{y + 16}" text-anchor="end" font-size="13" fill="{INK}">{escape(label)}</text>',
            f'<rect x="{left}" y="{y + 3}" width="{bar_w:.1f}" height="{row_h - 8}" fill="{BAR}"/>',
            f'<text x="{left + bar_w + 6:.1f}" y="{y + 16}" font-size="13" fill="{INK}">{value}</text>',
        ]
    if not items:
        body.append(f'<text x="8" y="20" font-size="13" fill="{INK}">–</text>')
    return _svg(width, height, title, body)
