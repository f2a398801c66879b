"""Figures for the CLI's drawings, made without pyplot (figures.py is shared by graph_drawing.py and
trend_drawing.py): a figure of an exact pixel size, saved as PNG.
"""

from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure


def new_figure(width_px: int, height_px: int, dpi: int) -> Figure:
    if width_px <= 0 or height_px <= 0 or dpi <= 0:
        raise ValueError("width_px, height_px and dpi must be positive")
    figure = Figure(figsize=(width_px / dpi, height_px / dpi), dpi=dpi, facecolor="white")
    FigureCanvasAgg(figure)  # attaches itself as figure.canvas: Agg, whatever the global backend is
    return figure


def save_png(figure: Figure, path: Path | str, dpi: int) -> None:
    figure.savefig(path, format="png", dpi=dpi, facecolor="white")  # no bbox_inches: exact pixel size
