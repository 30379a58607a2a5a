"""reports.protocol_links: a link per clause, to its section's anchor in PROTOCOL.md and, in
browsers with text fragments, to the clause itself."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.protocol import CLAUSES
from reports.protocol_links import (
    SECTION_HEADINGS,
    ProtocolAnchors,
    clause_url,
    default_protocol_url,
    find_protocol,
    github_slug,
    load_anchors,
)

PROTOCOL = """# Title
## 2. Preconditions (P) — from the notice
- **P-1** The user has an account.
## 6. What the relying party must check (R)
- **R-1** `state` in the callback equals.
- **R-6** `iss` equals the issuer. **R-7** `aud`, contains the client id.
## 8. Error codes
"""


def test_github_slugs() -> None:
    assert (
        github_slug("6. What the relying party must check (R)")
        == "6-what-the-relying-party-must-check-r"
    )
    assert (
        github_slug("2. Preconditions (P) — from the BHXH notice")
        == "2-preconditions-p--from-the-bhxh-notice"
    )


def test_anchors_come_from_the_file(tmp_path: Path) -> None:
    path = tmp_path / "PROTOCOL.md"
    path.write_text(PROTOCOL, encoding="utf-8")
    anchors = load_anchors(path)
    assert anchors.sections["P"] == "2-preconditions-p--from-the-notice"
    assert anchors.sections["R"] == "6-what-the-relying-party-must-check-r"
    assert anchors.sections["T"] == github_slug(SECTION_HEADINGS["T"]), "built-in fallback"
    assert dict(anchors.first_words) == {"P-1": "The", "R-1": "state", "R-6": "iss", "R-7": "aud"}
    assert anchors.fragment("R-1") == "6-what-the-relying-party-must-check-r:~:text=R%2D1,-state"


def test_a_base_url_gets_the_fragment_and_a_template_its_fields() -> None:
    anchors = ProtocolAnchors({"R": "6-r"}, {"R-1": "state"})
    assert (
        clause_url("R-1", "https://git.example/p/PROTOCOL.md#old", anchors)
        == "https://git.example/p/PROTOCOL.md#6-r:~:text=R%2D1,-state"
    )
    assert (
        clause_url("R-1", "https://x.test/{clause}.html?s={section}", anchors)
        == "https://x.test/R-1.html?s=6-r"
    )
    assert (
        clause_url("R-9", "https://x.test/p#{fragment}", anchors)
        == "https://x.test/p#6-r:~:text=R%2D9"
    )
    assert clause_url("S-1", "P.md", ProtocolAnchors({})) == "P.md#:~:text=S%2D1"


def test_finding_the_protocol(tmp_path: Path) -> None:
    project = tmp_path / "main"
    project.mkdir()
    assert find_protocol(project) is None
    assert default_protocol_url(None) == "PROTOCOL.md"
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "PROTOCOL.md").write_text(PROTOCOL, encoding="utf-8")
    found = find_protocol(tmp_path / "elsewhere", project)
    assert found == (shared / "PROTOCOL.md").resolve()
    assert default_protocol_url(found) == found.as_uri()
    assert default_protocol_url(found).startswith("file:///")


def test_the_built_in_headings_and_every_clause_match_the_real_protocol() -> None:
    found = find_protocol(Path(__file__).resolve().parents[2])
    if found is None:
        pytest.skip("PROTOCOL.md is not beside this checkout (../shared/)")
    anchors = load_anchors(found)
    assert dict(anchors.sections) == {f: github_slug(h) for f, h in SECTION_HEADINGS.items()}
    assert set(anchors.first_words) == set(CLAUSES), "every clause has its text-fragment word"


@pytest.mark.parametrize(
    "base", ["file:///work/shared/PROTOCOL.md", "FILE:///x/Protocol.MD#old", "file:///x/p.markdown"]
)
def test_a_local_markdown_file_gets_the_section_anchor_alone(base: str) -> None:
    # a browser shows a local .md file as plain text (text/markdown): no text fragment is
    # applied there, and a suffix such as ",-state" never matches "**R-1** `state`"
    anchors = ProtocolAnchors({"R": "6-r"}, {"R-1": "state"})
    assert clause_url("R-1", base, anchors) == base.split("#")[0] + "#6-r"


@pytest.mark.parametrize("base", ["file:///x/protocol.html", "https://git.example/PROTOCOL.md"])
def test_a_rendered_copy_keeps_the_text_fragment(base: str) -> None:
    anchors = ProtocolAnchors({"R": "6-r"}, {"R-1": "state"})
    assert clause_url("R-1", base, anchors) == f"{base}#6-r:~:text=R%2D1,-state"
