"""Check that every pin of a lock file installs from the public PyPI alone, on every supported target.

For each ``name==version`` line (environment markers honoured) it reads the package's page of PyPI's
simple index (JSON, metadata only: nothing is downloaded) and looks, for every target below, for a
wheel of exactly that version whose tags the target accepts, and whose ``requires-python`` admits the
target's Python; an sdist only counts where ``--allow-sdist`` says so. No pip configuration is read:
extra wheel locations, find-links and local indexes configured on a machine play no part.

    python tools/check_lock.py requirements/dev.lock               # exit 1, naming each pin that fails
    python tools/check_lock.py --python 3.10.0 requirements/dev.lock
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import sys
import urllib.request
from dataclasses import dataclass

from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import canonicalize_name, parse_sdist_filename, parse_wheel_filename
from packaging.version import Version
from pip._internal.models.index import PyPI

INDEX = PyPI.simple_url  # pip's own default index: the public registry alone, whatever a pip.conf adds
SUPPORTED_PYTHONS = ("3.11.5", "3.12.0")  # the oldest releases of each line the lock supports
# (label, platform tags a pip on that machine accepts, newest first), with the marker environment
PLATFORMS = {
    "linux-x86_64": (
        [f"manylinux_2_{minor}_x86_64" for minor in range(35, 4, -1)]
        + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"],
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "x86_64"},
    ),
    "linux-aarch64": (
        [f"manylinux_2_{minor}_aarch64" for minor in range(35, 16, -1)]
        + ["manylinux2014_aarch64", "linux_aarch64"],
        {"sys_platform": "linux", "platform_system": "Linux", "platform_machine": "aarch64"},
    ),
    "macos-arm64": (
        [f"macosx_{major}_0_arm64" for major in range(14, 10, -1)]
        + [f"macosx_{major}_0_universal2" for major in range(14, 10, -1)]
        + [f"macosx_10_{minor}_universal2" for minor in range(16, 8, -1)],
        {"sys_platform": "darwin", "platform_system": "Darwin", "platform_machine": "arm64"},
    ),
}


@dataclass(frozen=True)
class Target:
    full_version: str
    platform: str

    @property
    def python(self) -> tuple[int, int]:
        major, minor = self.full_version.split(".")[:2]
        return int(major), int(minor)

    @property
    def label(self) -> str:
        return f"py{self.full_version}/{self.platform}"

    def tags(self) -> set[Tag]:
        platforms = PLATFORMS[self.platform][0]
        return set(cpython_tags(self.python, platforms=platforms)) | set(
            compatible_tags(
                self.python, interpreter=f"cp{self.python[0]}{self.python[1]}", platforms=platforms
            )
        )

    def environment(self) -> dict[str, str]:
        return {
            "python_version": "{}.{}".format(*self.python),
            "python_full_version": self.full_version,
            "implementation_name": "cpython",
            "platform_python_implementation": "CPython",
            "os_name": "posix",
            **PLATFORMS[self.platform][1],
        }


def parse_lock(path: str) -> list[Requirement]:
    pins = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            line = line.split(" #", 1)[0].strip()
            if not line or line.startswith(("#", "-")):
                continue
            requirement = Requirement(line)
            specifiers = list(requirement.specifier)
            if len(specifiers) != 1 or specifiers[0].operator != "==":
                raise SystemExit(f"{path}: not an exact pin: {line}")
            if "+" in specifiers[0].version:
                raise SystemExit(f"{path}: a local version label is not on PyPI: {line}")
            pins.append(requirement)
    return pins


def files_of(name: str) -> list[dict]:
    request = urllib.request.Request(
        f"{INDEX}/{canonicalize_name(name)}/", headers={"Accept": "application/vnd.pypi.simple.v1+json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.load(response)["files"]


def problems_of(pin: Requirement, files: list[dict], targets: list[Target], allow_sdist: bool) -> list[str]:
    version = Version(next(iter(pin.specifier)).version)
    wheels, sdists = [], []
    for entry in files:
        if entry.get("yanked"):
            continue
        filename = entry["filename"]
        try:
            if filename.endswith(".whl"):
                _, wheel_version, _, tags = parse_wheel_filename(filename)
                if wheel_version == version:
                    wheels.append((tags, entry.get("requires-python")))
            elif filename.endswith((".tar.gz", ".zip")):
                if parse_sdist_filename(filename)[1] == version:
                    sdists.append(entry.get("requires-python"))
        except ValueError:
            continue  # a file name the tools do not parse is not one pip would take
    problems = []
    for target in targets:
        if pin.marker is not None and not pin.marker.evaluate(target.environment()):
            continue
        python = Version(target.full_version)

        def admits(requires: str | None, python: Version = python) -> bool:
            return not requires or python in SpecifierSet(requires)

        accepted = target.tags()
        fitting = [requires for tags, requires in wheels if tags & accepted]
        if any(admits(requires) for requires in fitting):
            continue
        if allow_sdist and any(admits(requires) for requires in sdists):
            continue
        if fitting:
            reason = f"needs Python {fitting[0]}"
        elif wheels or sdists:
            reason = "no wheel for it" + (" (an sdist only)" if sdists else "")
        else:
            reason = "no such version"
        problems.append(f"{target.label}: {reason}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("lock", nargs="+")
    parser.add_argument(
        "--python",
        action="append",
        help=f"a Python version to check (repeatable; default {', '.join(SUPPORTED_PYTHONS)})",
    )
    parser.add_argument("--allow-sdist", action="store_true", help="an sdist of the pinned version counts")
    arguments = parser.parse_args(argv)
    pythons = arguments.python or SUPPORTED_PYTHONS
    targets = [Target(python, platform) for python in pythons for platform in PLATFORMS]
    pins = [pin for lock in arguments.lock for pin in parse_lock(lock)]
    names = sorted({pin.name for pin in pins})
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        index = dict(zip(names, pool.map(files_of, names), strict=True))
    failed = 0
    for pin in pins:
        problems = problems_of(pin, index[pin.name], targets, arguments.allow_sdist)
        if problems:
            failed += 1
            print(f"{pin}: " + "; ".join(problems))
    labels = ", ".join(target.label for target in targets)
    print(f"{len(pins) - failed} of {len(pins)} pins install from {INDEX} on {labels}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
