"""Lineage pictures: a DAG laid out in layers, drawn as text (like `pachctl draw pipeline`) or
as SVG/HTML. Pure: the graph comes in as plain values; no graphviz needed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape

BOX_W, BOX_H_LINE, GAP_X, GAP_Y, PAD = 220, 16, 40, 70, 10
COLORS = {
    "repo": ("#e8f1fb", "#2f6db5"),
    "pipeline": ("#eaf7ec", "#2e8b57"),
    "spout": ("#fff4e0", "#c77700"),
    "service": ("#f3e9fb", "#7a3fb0"),
    "commit": ("#f7f7f7", "#555555"),
    "failed": ("#fdecec", "#c0392b"),
}


@dataclass(frozen=True)
class Node:
    id: str
    lines: tuple[str, ...]  # first line is the title
    kind: str = "pipeline"


@dataclass
class Graph:
    title: str
    nodes: dict[str, Node] = field(default_factory=dict)
    edges: list[tuple[str, str]] = field(default_factory=list)  # upstream -> downstream

    def add(self, node: Node) -> None:
        self.nodes.setdefault(node.id, node)

    def link(self, upstream: str, downstream: str) -> None:
        if (upstream, downstream) not in self.edges:
            self.edges.append((upstream, downstream))


def layers(graph: Graph) -> list[list[str]]:
    """Longest-path layering, sources first; within a layer, ordered by upstream positions."""
    depth: dict[str, int] = {}
    ups: dict[str, list[str]] = {n: [] for n in graph.nodes}
    for up, down in graph.edges:
        ups[down].append(up)

    def level(node: str, seen: frozenset[str] = frozenset()) -> int:
        if node not in depth:
            parents = [p for p in ups[node] if p not in seen]
            depth[node] = 1 + max((level(p, seen | {node}) for p in parents), default=-1)
        return depth[node]

    for node in graph.nodes:
        level(node)
    rows: list[list[str]] = [[] for _ in range(max(depth.values(), default=-1) + 1)]
    for node in sorted(graph.nodes):
        rows[depth[node]].append(node)
    for i in range(1, len(rows)):
        position = {n: j for j, n in enumerate(rows[i - 1])}
        rows[i].sort(
            key=lambda n: (sum(position.get(p, 0) for p in ups[n]) / max(1, len(ups[n])), n)
        )
    return rows


def render_text(graph: Graph, box_width: int = 24) -> str:
    """Boxes per layer, joined by │ and ▼, plus the list of edges for crossing links."""
    out: list[str] = [graph.title, ""]
    rows = layers(graph)
    downs = {n for n, _ in graph.edges}
    for index, row in enumerate(rows):
        boxes = [_text_box(graph.nodes[n], box_width) for n in row]
        height = max(len(b) for b in boxes)
        for line in range(height):
            out.append(
                "  ".join(b[line] if line < len(b) else " " * (box_width + 2) for b in boxes)
            )
        if index < len(rows) - 1:
            stems = "  ".join(("│" if n in downs else " ").center(box_width + 2) for n in row)
            out.append(stems.rstrip())
            out.append(stems.replace("│", "▼").rstrip())
    out.append("")
    out.extend(f"{_title(graph, a)} ──▶ {_title(graph, b)}" for a, b in graph.edges)
    return "\n".join(line.rstrip() for line in out) + "\n"


def _title(graph: Graph, node_id: str) -> str:
    return graph.nodes[node_id].lines[0]


def _text_box(node: Node, width: int) -> list[str]:
    body = [(line if len(line) <= width else line[: width - 1] + "…") for line in node.lines]
    top = "┌" + "─" * width + "┐"
    bottom = "└" + "─" * width + "┘"
    return [top, *("│" + line.center(width) + "│" for line in body), bottom]


def render_svg(graph: Graph) -> str:
    rows = layers(graph)
    heights = {n: PAD * 2 + BOX_H_LINE * len(graph.nodes[n].lines) for n in graph.nodes}
    row_heights = [max((heights[n] for n in row), default=0) for row in rows]
    widest = max((len(r) for r in rows), default=1)
    # Room on the right for edges that skip layers, and for the title.
    width = max(widest * (BOX_W + GAP_X) + GAP_X + 2 * GAP_X, 2 * GAP_X + 13 * len(graph.title))
    pos: dict[str, tuple[float, float]] = {}
    y = 60.0
    for row, row_h in zip(rows, row_heights, strict=True):
        offset = (width - len(row) * (BOX_W + GAP_X) + GAP_X) / 2
        for j, name in enumerate(row):
            pos[name] = (offset + j * (BOX_W + GAP_X), y)
        y += row_h + GAP_Y
    height = y - GAP_Y + 40
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" font-family="DejaVu Sans, Arial, sans-serif">',
        '<defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse">'
        '<path d="M 0 0 L 10 5 L 0 10 z" fill="#666"/></marker></defs>',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{GAP_X}" y="32" font-size="18" font-weight="bold">{escape(graph.title)}</text>',
    ]
    layer_of = {n: i for i, row in enumerate(rows) for n in row}
    for up, down in graph.edges:
        x1, y1 = pos[up]
        x2, y2 = pos[down]
        if layer_of[down] - layer_of[up] > 1:
            # Skipping layers: leave by the right side and come back, around the boxes between.
            sx, sy = x1 + BOX_W, y1 + heights[up] / 2
            ex, ey = x2 + BOX_W, y2 + heights[down] / 2
            bend = max(sx, ex) + GAP_X * 1.5
            path = (
                f"M {sx:.1f} {sy:.1f} C {bend:.1f} {sy:.1f}, {bend:.1f} {ey:.1f}, {ex:.1f} {ey:.1f}"
            )
        else:
            sx, sy = x1 + BOX_W / 2, y1 + heights[up]
            ex, ey = x2 + BOX_W / 2, y2
            mid = (sy + ey) / 2
            path = (
                f"M {sx:.1f} {sy:.1f} C {sx:.1f} {mid:.1f}, {ex:.1f} {mid:.1f}, {ex:.1f} {ey:.1f}"
            )
        parts.append(
            f'<path d="{path}" fill="none" stroke="#666" stroke-width="1.5" '
            f'marker-end="url(#arrow)"/>'
        )
    for node_id, node in graph.nodes.items():
        x, y0 = pos[node_id]
        fill, stroke = COLORS.get(node.kind, COLORS["pipeline"])
        parts.append(f'<g class="node {escape(node.kind)}"><title>{escape(node_id)}</title>')
        parts.append(
            f'<rect x="{x:.1f}" y="{y0:.1f}" width="{BOX_W}" height="{heights[node_id]}" rx="8" '
            f'fill="{fill}" stroke="{stroke}" stroke-width="2"/>'
        )
        for i, line in enumerate(node.lines):
            weight = ' font-weight="bold"' if i == 0 else ""
            size = 13 if i == 0 else 11
            text = line if len(line) <= 34 else line[:33] + "…"
            parts.append(
                f'<text x="{x + BOX_W / 2:.1f}" y="{y0 + PAD + 12 + i * BOX_H_LINE:.1f}" '
                f'font-size="{size}" text-anchor="middle" fill="#222"{weight}>{escape(text)}</text>'
            )
        parts.append("</g>")
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def render_html(graph: Graph) -> str:
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{escape(graph.title)}</title></head>\n<body>\n{render_svg(graph)}</body></html>\n"
    )
