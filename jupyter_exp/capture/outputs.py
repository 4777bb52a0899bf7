"""What a cell shows, recorded as it is shown: streams, the text/plain of displays and results, and
their images (PNG, JPEG, SVG: the figures).

Streams are teed (the user still sees every byte at once); displays and results are seen by wrapping
the shell's display publisher and display hook for the duration of the cell.
"""

from __future__ import annotations

import base64
import binascii
import sys
from collections.abc import Callable
from typing import Any, TextIO

IMAGE_TYPES = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/svg+xml": "svg",
}  # one per display, in this order
FIGURE_DIR = "figures"
MAX_FIGURE_BYTES = 32 * 2**20


class _Tee:
    """Forwards everything to the real stream and copies what is written."""

    def __init__(self, stream: TextIO, name: str, recorder: OutputRecorder) -> None:
        self._stream = stream
        self._name = name
        self._recorder = recorder

    def write(self, text: str) -> int:
        self._recorder.add(self._name, text)
        return self._stream.write(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self._stream, attribute)


def image_bytes(mime: str, value: Any) -> bytes | None:
    """The file content of an image in a mime bundle: SVG as text, PNG/JPEG raw or base64."""
    if mime == "image/svg+xml":
        return (
            value.encode("utf-8") if isinstance(value, str) else value if isinstance(value, bytes) else None
        )
    if isinstance(value, bytes) and value.startswith((b"\x89PNG", b"\xff\xd8\xff")):  # raw PNG / JPEG
        return value
    if isinstance(value, bytes | str):
        try:
            return base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            return None
    return None


def _wrap(owner: Any, method: str, before: Callable[..., None]) -> Callable[[], None]:
    """Call ``before(*args)`` ahead of ``owner.method`` until the returned undo is called."""
    previous = owner.__dict__.get(method)
    original = getattr(owner, method)

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        before(*args, **kwargs)
        return original(*args, **kwargs)

    setattr(owner, method, wrapped)

    def undo() -> None:
        if previous is None:
            delattr(owner, method)  # back to the class's method
        else:
            setattr(owner, method, previous)

    return undo


class OutputRecorder:
    def __init__(self, shell: Any, max_bytes: int, max_figure_bytes: int = MAX_FIGURE_BYTES) -> None:
        self._shell = shell
        self._max_bytes = max_bytes
        self._max_figure_bytes = max_figure_bytes
        self._size = 0
        self._figure_size = 0
        self.items: list[dict[str, str]] = []
        self.truncated = False
        self._figures: dict[str, bytes] = {}
        self.figures_truncated = False
        self._undo: list[Callable[[], None]] = []

    def add(self, name: str, text: Any) -> None:
        if not isinstance(text, str) or not text:
            return
        if self._size >= self._max_bytes:
            self.truncated = True
            return
        text = text[: self._max_bytes - self._size]
        self._size += len(text)
        if self.items and self.items[-1]["name"] == name and name in ("stdout", "stderr"):
            self.items[-1]["text"] += text
        else:
            self.items.append({"name": name, "text": text})

    def add_data(self, name: str, data: dict[str, Any] | None) -> None:
        """A display's or a result's mime bundle: its text/plain, and its image as a figure."""
        data = data or {}
        self.add(name, data.get("text/plain", ""))
        for mime, extension in IMAGE_TYPES.items():
            content = image_bytes(mime, data[mime]) if mime in data else None
            if content is None:
                continue
            if self._figure_size + len(content) > self._max_figure_bytes:
                self.figures_truncated = True
                return
            self._figure_size += len(content)
            self._figures[f"{FIGURE_DIR}/figure-{len(self._figures) + 1}.{extension}"] = content
            return

    def add_result(self, value: Any) -> None:
        formatter = getattr(self._shell, "display_formatter", None)
        if formatter is None:
            self.add("result", repr(value))
            return
        data, _ = formatter.format(value)
        self.add_data("result", data)

    def figures(self) -> dict[str, bytes]:
        """The images the cell showed, in order: artifact name (``figures/figure-1.png``) -> file content."""
        return dict(self._figures)

    def __enter__(self) -> OutputRecorder:
        self._stdout, self._stderr = sys.stdout, sys.stderr
        sys.stdout = _Tee(sys.stdout, "stdout", self)
        sys.stderr = _Tee(sys.stderr, "stderr", self)
        publisher = getattr(self._shell, "display_pub", None)
        if publisher is not None:
            self._undo.append(
                _wrap(publisher, "publish", lambda data, *a, **k: self.add_data("display", data))
            )
        hook = getattr(self._shell, "displayhook", None)
        if hook is not None and hasattr(hook, "write_format_data"):
            self._undo.append(
                _wrap(hook, "write_format_data", lambda data, *a, **k: self.add_data("result", data))
            )
        return self

    def __exit__(self, *exc: Any) -> None:
        sys.stdout, sys.stderr = self._stdout, self._stderr
        while self._undo:
            self._undo.pop()()

    def document(self) -> dict[str, Any]:
        return {
            "outputs": self.items,
            "truncated": self.truncated,
            "max_bytes": self._max_bytes,
            "figures": list(self._figures),
            "figures_truncated": self.figures_truncated,
        }
