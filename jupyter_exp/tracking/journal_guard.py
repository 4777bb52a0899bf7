"""What of a journal can be trusted. Whoever can write to the project folder or the store is untrusted: the
journal's folders are the user's alone (0700), and an entry is delivered only when all of it is the user's
own plain files, with staged names that stay inside it once decoded.

Framework-free: no MLflow import.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

PRIVATE = 0o700
ENCODED_SLASH = "%2F"


def my_uid() -> int | None:
    """The effective user id (None where the platform has none: no ownership checks there)."""
    geteuid = getattr(os, "geteuid", None)
    return geteuid() if geteuid is not None else None


def owner_name(uid: int) -> str:
    try:
        import pwd

        return f"{pwd.getpwuid(uid).pw_name} (uid {uid})"
    except (ImportError, KeyError):
        return f"uid {uid}"


def private_dir(path: Path) -> Path:
    """``path`` as a folder only its owner can enter: created 0700 (missing parents with default modes),
    an existing one of this user's tightened to 0700."""
    path.mkdir(mode=PRIVATE, parents=True, exist_ok=True)
    info = path.lstat()
    if stat.S_ISDIR(info.st_mode) and info.st_uid == my_uid() and stat.S_IMODE(info.st_mode) != PRIVATE:
        os.chmod(path, PRIVATE)
    return path


def folder_refusal(path: Path) -> str | None:
    """Why ``path`` cannot be this user's journal folder (a link, not a folder, another user's)."""
    try:
        info = path.lstat()
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return "it is a symbolic link"
    if not stat.S_ISDIR(info.st_mode):
        return "it is not a folder"
    uid = my_uid()
    if uid is not None and info.st_uid != uid:
        return f"it belongs to {owner_name(info.st_uid)}, not to you"
    return None


def decoded_name(name: str) -> str:
    """A staged file's artifact name: ``figures%2Ffigure-1.png`` -> ``figures/figure-1.png``."""
    return name.replace(ENCODED_SLASH, "/")


def name_refusal(name: str) -> str | None:
    """Why a staged ``name`` could land outside its upload folder once decoded (absolute, ``..``, ``.``
    or an empty part), or None for a plain relative name."""
    decoded = decoded_name(name)
    if any(part in ("", ".", "..") for part in decoded.split("/")) or "\\" in decoded:
        return f"the staged name {name!r} decodes to {decoded!r}, outside its folder"
    return None


def _path_refusal(path: Path, entry: Path, uid: int | None) -> str | None:
    try:
        info = path.lstat()
    except FileNotFoundError:  # removed meanwhile (a partial file renamed by its writer)
        return None
    where = str(path.relative_to(entry))
    if stat.S_ISLNK(info.st_mode):
        return f"{where} is a symbolic link"
    if not (stat.S_ISDIR(info.st_mode) or stat.S_ISREG(info.st_mode)):
        return f"{where} is not a plain file"
    if uid is not None and info.st_uid != uid:
        return f"{where} belongs to {owner_name(info.st_uid)}, not to you"
    if stat.S_ISREG(info.st_mode) and info.st_nlink > 1:
        return f"{where} has other hard links"
    return None


def entry_refusal(folder: Path) -> str | None:
    """Why the entry ``folder`` must not be delivered, or None when all of it is the user's own: the
    folder and everything in it belong to the user, no symbolic link, no special file, no hard link,
    and every staged name stays inside its upload folder."""
    why = folder_refusal(folder)
    if why is not None:
        return why
    uid = my_uid()
    for parent, folders, files in os.walk(folder):  # links are not followed
        for name in (*folders, *files):
            why = _path_refusal(Path(parent) / name, folder, uid)
            if why is not None:
                return why
    try:
        staged = os.listdir(folder / "staged")
    except OSError:
        staged = []
    for name in staged:
        why = name_refusal(name)
        if why is not None:
            return why
    return None
