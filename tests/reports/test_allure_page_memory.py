"""reports.allure_html removes the Awesome template's analytics tag without holding the page in
memory: a single-file report of 10,000 tests is ~460 MB, and reading it as text, substituting
and encoding it took the harness over 2 GB (the report phase of ``vneid-harness run``)."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

from reports.allure_html import _strip_analytics

TAG = (
    '<script async src="https://www.googletagmanager.com/gtag/js?id=G-LNDJ3J7WT0"></script>\n'
    "    <script>\n        window.dataLayer = window.dataLayer || [];\n"
    "        gtag('config', 'G-LNDJ3J7WT0', {});\n    </script>\n    "
)


def test_the_tag_goes_and_every_other_byte_stays(tmp_path: Path) -> None:
    index = tmp_path / "index.html"
    data = 'd("data/a.json","eyJhIjoxfQ==")\n→ VssID ✓ '.encode() + b"\xff\xfe"  # not UTF-8 too
    index.write_bytes(b"<html><head></head><body><script>" + data + b"</script>" + TAG.encode())
    _strip_analytics(index)
    assert index.read_bytes() == b"<html><head></head><body><script>" + data + b"</script>"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"], "no scratch file left"
    untouched = b"<html>no tag here</html>"
    index.write_bytes(untouched)
    _strip_analytics(index)
    assert index.read_bytes() == untouched
    index.write_bytes(b"")
    _strip_analytics(index)
    assert index.read_bytes() == b""


def test_a_large_page_is_not_read_into_memory(tmp_path: Path) -> None:
    index = tmp_path / "index.html"
    payload = b'<script>d("data/x.json","' + b"QUJD" * (8 << 20) + b'")</script>'  # 32 MB
    index.write_bytes(b"<html><body>" + payload + TAG.encode() + b"</body></html>")
    tracemalloc.start()
    try:
        _strip_analytics(index)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 8 << 20, f"{peak:,} bytes held at once for a {len(payload):,}-byte page"
    assert index.read_bytes() == b"<html><body>" + payload + b"</body></html>"
