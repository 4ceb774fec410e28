"""Open a feed (a zip path, a folder or a binary file holding a zip) and list its files.

Opening never raises for bad input: an unreadable path or a file that is not a zip becomes an
``i_o_error`` notice, and GTFS files found only inside a subfolder of the archive become an
``invalid_input_files_in_subfolder`` notice.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path
from typing import BinaryIO

from gtfs.notices import Notice, Report, Severity
from gtfs.schema import KNOWN_UNSTORED_FILES, SCHEMAS

GTFS_FILE_NAMES = frozenset({f"{name}.txt" for name in SCHEMAS}) | KNOWN_UNSTORED_FILES
_IGNORED_PREFIXES = ("__MACOSX/", ".")


class FeedSource:
    """The files at the root of a feed, opened as binary streams."""

    def __init__(self, names: list[str], archive: zipfile.ZipFile | None, folder: Path | None):
        self.names = names
        self._archive = archive
        self._folder = folder

    def open_binary(self, name: str) -> BinaryIO:
        """A binary stream over the file ``name`` (raises OSError or zip errors on a bad file)."""
        if self._archive is not None:
            return self._archive.open(name)  # type: ignore[return-value]
        return (self._folder or Path()).joinpath(name).open("rb")

    def close(self) -> None:
        """Release the archive, if any."""
        if self._archive is not None:
            self._archive.close()


def _io_error(report: Report, detail: str) -> None:
    report.add(Notice("i_o_error", Severity.ERROR, detail=detail))


def open_feed_source(
    source: str | os.PathLike[str] | BinaryIO, report: Report
) -> FeedSource | None:
    """The feed at ``source``, or None after reporting why it cannot be read."""
    try:
        if isinstance(source, (str, os.PathLike)) and Path(source).is_dir():
            return _open_folder(Path(source), report)
        archive = zipfile.ZipFile(source)
    except (OSError, zipfile.BadZipFile, ValueError, EOFError) as error:
        _io_error(report, f"The feed cannot be opened as a zip archive or folder: {error}.")
        return None
    try:
        entries = [info.filename for info in archive.infolist() if not info.is_dir()]
    except (OSError, ValueError) as error:  # pragma: no cover - infolist is read on open
        _io_error(report, f"The zip archive cannot be listed: {error}.")
        return None
    names = _root_names(entries, report)
    return FeedSource(names, archive, None)


def _open_folder(folder: Path, report: Report) -> FeedSource:
    entries: list[str] = []
    for path in sorted(folder.rglob("*")):
        if path.is_file():
            entries.append(path.relative_to(folder).as_posix())
    return FeedSource(_root_names(entries, report), None, folder)


def _root_names(entries: list[str], report: Report) -> list[str]:
    """Names of files at the root; GTFS files only in subfolders are reported."""
    root = [name for name in entries if "/" not in name and not name.startswith(".")]
    nested = [
        name
        for name in entries
        if "/" in name
        and not name.startswith(_IGNORED_PREFIXES)
        and name.rsplit("/", 1)[1] in GTFS_FILE_NAMES
        and name.rsplit("/", 1)[1] not in root
    ]
    if nested:
        folders = sorted({name.rsplit("/", 1)[0] for name in nested})
        report.add(
            Notice(
                "invalid_input_files_in_subfolder",
                Severity.ERROR,
                file=nested[0],
                detail=(
                    f"GTFS files must sit at the root of the archive; found {len(nested)} "
                    f"in subfolder(s) {', '.join(folders)}."
                ),
            )
        )
    return root
