"""QR codes for the console's pages (segno), as data URIs the Content-Security-Policy allows."""

from __future__ import annotations

import segno


def qr_data_uri(text: str, scale: int = 5) -> str:
    """``text`` as a QR code: an SVG data URI for an ``<img>``."""
    qr = segno.make_qr(text, error="m")
    return str(qr.svg_data_uri(scale=scale, border=2, dark="#1b2430"))
