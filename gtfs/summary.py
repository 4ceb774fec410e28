"""Render a validation report as readable text for a terminal."""

from __future__ import annotations

from gtfs.notices import Notice, Report


def _where(notice: Notice) -> str:
    place = notice.file or "feed"
    if notice.row is not None:
        place += f":{notice.row}"
    if notice.field is not None:
        place += f" {notice.field}"
        if notice.value is not None:
            place += f"={notice.value!r}"
    return place


def render_text(report: Report, examples: int = 3) -> str:
    """Totals, one line per code (severity, count), then up to ``examples`` notices per code."""
    lines = [
        f"{report.error_count} error(s), {report.warning_count} warning(s), "
        f"{report.info_count} info(s)"
    ]
    for code, severity, count in report.ranked_counts():
        lines.append(f"{severity.value:<7} {code} ({count})")
        samples = [n for n in report.notices if n.code == code and n.severity == severity]
        for notice in samples[:examples]:
            lines.append(f"    {_where(notice)}: {notice.detail}")
        if count > min(len(samples), examples):
            lines.append(f"    ... and {count - min(len(samples), examples)} more")
    return "\n".join(lines) + "\n"
