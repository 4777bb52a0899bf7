"""Figures compared by what they show: decoded pixels for PNG and JPEG (file bytes differ with
metadata and compression), normalized markup for SVG (ids, dates and comments aside)."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from jupyter_exp import record_schema as schema

_INDEX = re.compile(r"(\d+)")
_SVG_NOISE = re.compile(r"<metadata>.*?</metadata>|<!--.*?-->|<\?xml.*?\?>|<!DOCTYPE.*?>", re.DOTALL)
_SVG_ID = re.compile(r'\bid="([^"]+)"')


@dataclass
class FigureComparison:
    original: str | None  # artifact names, e.g. figures/figure-1.png (both runs keep theirs)
    reproduced: str | None
    status: str  # exact / diverged
    pixels: int = 0  # pixels compared (0 for SVG)
    differing: int = 0  # of those, how many differ in any channel
    why: str | None = None

    @property
    def label(self) -> str:
        return self.original or self.reproduced or "figure"

    @property
    def detail(self) -> str:
        return self.why or f"{self.differing} of {self.pixels} pixels differ"

    def describe(self) -> str:
        return f"{self.label}: {self.detail}"


def _ordered(figures: dict[str, bytes]) -> list[str]:
    def index(name: str) -> int:
        found = _INDEX.findall(PurePosixPath(name).stem)
        return int(found[-1]) if found else 0

    return sorted(figures, key=lambda name: (index(name), name))


def decode(data: bytes) -> Any:
    """An image's pixels as an RGBA array; None when it cannot be decoded or Pillow (which matplotlib
    requires, and reads its own images with) is not installed."""
    try:
        import numpy as np
        from PIL import Image

        with Image.open(io.BytesIO(data)) as image:
            return np.asarray(image.convert("RGBA"))
    except Exception:
        return None


def normalized_svg(data: bytes) -> str:
    """SVG markup without what differs between two renderings of the same figure: the metadata
    block (matplotlib dates it), comments, and ids (salted per figure), renumbered in order."""
    text = _SVG_NOISE.sub("", data.decode("utf-8", "replace"))
    for number, name in enumerate(dict.fromkeys(_SVG_ID.findall(text))):
        text = re.sub(rf'(?<=["#]){re.escape(name)}(?=[")])', f"id{number}", text)
    return " ".join(text.split())


def compare_figure(original: str, a: bytes, reproduced: str, b: bytes) -> FigureComparison:
    result = FigureComparison(original, reproduced, schema.EXACT)
    if PurePosixPath(original).suffix != PurePosixPath(reproduced).suffix:
        result.status, result.why = schema.DIVERGED, f"a {PurePosixPath(reproduced).suffix[1:]} image instead"
    elif original.endswith(".svg"):
        if normalized_svg(a) != normalized_svg(b):
            result.status, result.why = schema.DIVERGED, "the SVG markup differs"
    else:
        left, right = decode(a), decode(b)
        if left is None or right is None:
            if a != b:
                result.status, result.why = (
                    schema.DIVERGED,
                    "the files differ and cannot be decoded to compare pixels",
                )
        elif left.shape != right.shape:
            size = f"{left.shape[1]}x{left.shape[0]} → {right.shape[1]}x{right.shape[0]} pixels"
            result.status, result.why = schema.DIVERGED, f"the size changed: {size}"
        else:
            result.pixels = left.shape[0] * left.shape[1]
            result.differing = int((left != right).any(axis=-1).sum())
            result.status = schema.DIVERGED if result.differing else schema.EXACT
    return result


def compare_figures(original: dict[str, bytes], reproduced: dict[str, bytes]) -> list[FigureComparison]:
    """The figures of both runs paired in the order they were shown; a missing or extra one diverges."""
    left, right = _ordered(original), _ordered(reproduced)
    compared = [compare_figure(a, original[a], b, reproduced[b]) for a, b in zip(left, right, strict=False)]
    compared += [
        FigureComparison(a, None, schema.DIVERGED, why="not shown by the replay") for a in left[len(right) :]
    ]
    compared += [
        FigureComparison(None, b, schema.DIVERGED, why="shown only by the replay") for b in right[len(left) :]
    ]
    return compared
