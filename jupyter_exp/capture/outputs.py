"""The text a cell shows, recorded as it is shown: streams and text/plain of displays and results.

Streams are teed (the user still sees every byte at once); displays are seen by wrapping the
shell's display publisher for the duration of the cell.
"""

from __future__ import annotations

import sys
from typing import Any


class _Tee:
    """Forwards everything to the real stream and copies what is written."""

    def __init__(self, stream: Any, name: str, recorder: OutputRecorder) -> None:
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


class OutputRecorder:
    def __init__(self, shell: Any, max_bytes: int) -> None:
        self._shell = shell
        self._max_bytes = max_bytes
        self._size = 0
        self.items: list[dict[str, str]] = []
        self.truncated = False

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

    def add_result(self, value: Any) -> None:
        formatter = getattr(self._shell, "display_formatter", None)
        if formatter is None:
            self.add("result", repr(value))
            return
        data, _ = formatter.format(value, include={"text/plain"})
        self.add("result", data.get("text/plain", ""))

    def __enter__(self) -> OutputRecorder:
        self._stdout, self._stderr = sys.stdout, sys.stderr
        sys.stdout = _Tee(sys.stdout, "stdout", self)
        sys.stderr = _Tee(sys.stderr, "stderr", self)
        publisher = getattr(self._shell, "display_pub", None)
        self._publisher = publisher
        if publisher is not None:
            self._previous_publish = publisher.__dict__.get("publish")
            original = publisher.publish

            def publish(data: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
                self.add("display", (data or {}).get("text/plain", ""))
                return original(data, *args, **kwargs)

            publisher.publish = publish
        return self

    def __exit__(self, *exc: Any) -> None:
        sys.stdout, sys.stderr = self._stdout, self._stderr
        if self._publisher is not None:
            if self._previous_publish is None:
                del self._publisher.publish  # back to the class's method
            else:
                self._publisher.publish = self._previous_publish

    def document(self) -> dict[str, Any]:
        return {"outputs": self.items, "truncated": self.truncated, "max_bytes": self._max_bytes}
