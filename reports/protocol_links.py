"""A link from each clause id to its text in PROTOCOL.md (one Allure "link" per clause).

PROTOCOL.md's only anchors are its section headings (``## 6. What the relying party must
check (R)`` → ``#6-what-the-relying-party-must-check-r``, GitHub's slugs); a clause is a bold
list item (``- **R-1** `state` in the callback …``) without an id of its own. So the link of a
clause is ``BASE#SECTION:~:text=R%2D1,-state``: where PROTOCOL.md is rendered (a Git host's
page), the section anchor goes to the section, and browsers with text fragments (Chromium,
Safari, Firefox 131+) go on to the clause itself — the id followed by the first word of its
text, read from PROTOCOL.md, so that an earlier mention such as "(R-1…R-4)" in §4 is not taken
for it. A local ``file:`` Markdown file is shown as plain text: its links keep only the
section anchor (see :func:`clause_url`).

``--protocol-url`` sets ``BASE`` (the fragment is appended), or is a template with the fields
``{clause}``, ``{section}`` (the heading slug) and ``{fragment}`` (``SECTION:~:text=…``). The
default is the ``file://`` URL of the PROTOCOL.md beside the project (``../shared/``), or
plain ``PROTOCOL.md`` when there is none.
"""

from __future__ import annotations

import re
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, unquote

from harness.protocol.text import clip

__all__ = [
    "SECTION_HEADINGS",
    "ProtocolAnchors",
    "clause_links",
    "clause_url",
    "default_protocol_url",
    "find_protocol",
    "github_slug",
    "load_anchors",
    "protocol_of_run",
]

SECTION_HEADINGS: Mapping[str, str] = {
    "P": "2. Preconditions (P) — from the BHXH notice",
    "V": "3. Versions (V)",
    "A": "4. The flow (A)",
    "T": "5. Token endpoint and tokens (T)",
    "R": "6. What the relying party must check (R)",
    "S": "7. Security (S)",
}
"""PROTOCOL.md's clause-section headings by clause family (used when the file is absent)."""

_HEADING = re.compile(r"^##\s+(.+\(([A-Z])\).*)$", re.MULTILINE)
_CLAUSE = re.compile(r"\*\*([A-Z]-\d+)\*\*\s+(\S+)")


def github_slug(heading: str) -> str:
    """The anchor GitHub (and most Markdown viewers) give a heading."""
    kept = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return kept.replace(" ", "-")


@dataclass(frozen=True)
class ProtocolAnchors:
    """Section slugs by clause family and the first word of each clause's text."""

    sections: Mapping[str, str]
    first_words: Mapping[str, str] = field(default_factory=dict)

    def fragment(self, clause_id: str) -> str:
        section = self.sections.get(clause_id.split("-", 1)[0], "")
        text = _fragment_text(clause_id)
        word = self.first_words.get(clause_id)
        if word:
            text += ",-" + _fragment_text(word)
        return f"{section}:~:text={text}"


def _fragment_text(text: str) -> str:
    """Percent-encoded for a text directive, where ``-``, ``,`` and ``&`` are syntax."""
    return quote(text, safe="").replace("-", "%2D")


def find_protocol(*starts: Path) -> Path | None:
    """PROTOCOL.md in ``START/../shared/`` or ``START/`` for the first start that has it."""
    for start in starts:
        for candidate in (start.parent / "shared" / "PROTOCOL.md", start / "PROTOCOL.md"):
            if candidate.is_file():
                return candidate.resolve()
    return None


def protocol_of_run(root: Path) -> Path | None:
    """The PROTOCOL.md a run's reports link to: beside the run's ``root``, else beside this
    harness's checkout, else beside the folder the run started from (an installed harness
    lives in site-packages)."""
    return find_protocol(root, Path(__file__).resolve().parents[1], Path.cwd())


def load_anchors(path: Path | None) -> ProtocolAnchors:
    """The anchors of the PROTOCOL.md at ``path`` (the built-in headings when ``None``)."""
    fallback = {family: github_slug(h) for family, h in SECTION_HEADINGS.items()}
    if path is None:
        return ProtocolAnchors(fallback)
    text = path.read_text(encoding="utf-8")
    sections = {m.group(2): github_slug(m.group(1)) for m in _HEADING.finditer(text)}
    words: dict[str, str] = {}
    for match in _CLAUSE.finditer(text):
        word = match.group(2).strip("`*,.;:")
        words.setdefault(match.group(1), word)
    return ProtocolAnchors({**fallback, **sections}, words)


def default_protocol_url(found: Path | None) -> str:
    """The default ``--protocol-url``: the ``file://`` URL of ``found``, else
    ``PROTOCOL.md``."""
    return found.as_uri() if found is not None else "PROTOCOL.md"


TEMPLATE_FIELDS = ("clause", "section", "fragment")
_LINK_SCHEMES = frozenset({"", "http", "https", "file"})
_PASSWORD = re.compile(r"(?i)^(?:[a-z][a-z0-9+.-]*:)?//[^/?#@]*:[^/?#@]*@")
"""A URL whose user information holds a password (``scheme://user:password@``, or
``//user:password@`` without a scheme)."""


def _scheme(url: str) -> str:
    """``url``'s scheme in lower case ("" for a relative reference, as RFC 3986 §4.2 reads
    ``PROTOCOL.md`` or ``../docs/p.md``)."""
    match = re.match(r"([A-Za-z][A-Za-z0-9+.-]*):", url)
    return match.group(1).lower() if match else ""


def _secret_parameter(url: str) -> str | None:
    """The name of the first parameter of ``url``'s query or fragment named like a credential,
    or ending in such a name (``token``, ``private_token``, ``api_key``,
    ``X-Amz-Signature``), or ``None``."""
    from harness.protocol.redaction import is_secret_key

    for part in re.split(r"[?#&;]", url)[1:]:
        name = unquote(part.partition("=")[0])
        words = {name.strip().lower(), re.split(r"[_-]", name)[-1].strip().lower()}
        if "=" in part and any(
            word in _LINK_CREDENTIALS or (is_secret_key(word) and word not in _NOT_IN_A_LINK)
            for word in words
        ):
            return name[:40]
    return None


_LINK_CREDENTIALS = frozenset({"key", "apikey", "sig", "signature", "auth"})
"""Query parameters that carry a credential in a link (``api_key``, ``X-Amz-Signature``)
beside the harness's secret names."""
_NOT_IN_A_LINK = frozenset({"code", "d"})
"""Secret names of the protocol that are no credential in a link to a document."""


def protocol_url_problem(protocol_url: str) -> str | None:
    """What is wrong with a ``--protocol-url`` value, if anything: a template may use only
    ``{clause}``, ``{section}`` and ``{fragment}`` (``{{`` and ``}}`` for braces)."""
    if _PASSWORD.match(protocol_url):  # first: the messages below quote the URL
        return (
            "the protocol URL holds a password, which every report's links would show to "
            "whoever opens them; give it without user:password@ (the browser asks)"
        )
    secret = _secret_parameter(protocol_url)
    if secret is not None:  # (a private_token=… of a GitLab link, say)
        return (
            f"the protocol URL carries a {secret!r} parameter, a credential every "
            "report's links would show to whoever opens them; give a URL without it "
            "(the browser signs in)"
        )
    scheme = _scheme(protocol_url)
    if scheme not in _LINK_SCHEMES:
        return (
            f"{clip(protocol_url, 80)!r} is a {scheme}: URL; the reports link clauses to "
            "http(s) or file URLs (or a path relative to the report)"
        )
    if "{" not in protocol_url:  # a base URL, as clause_url takes it (a lone } included)
        return None
    looked_up = False  # {section.__class__} linked every clause to "<class 'str'>"
    try:  # a field is substituted as it is: {clause:>999999999} filled the memory
        for _, name, spec, conversion in string.Formatter().parse(protocol_url):
            looked_up = looked_up or bool(name and re.search(r"[.\[]", name))
            if name is not None and (spec or conversion):
                return (
                    f"{clip(protocol_url, 80)!r}: write {{{name}}} alone, without a "
                    "conversion (!r) or a format spec (:…)"
                )
    except ValueError:
        pass  # not a template: said below
    try:
        protocol_url.format(**dict.fromkeys(TEMPLATE_FIELDS, "x"))
    except KeyError as exc:
        return (
            f"{protocol_url!r} names {{{exc.args[0]}}}; a template may use "
            f"{', '.join('{' + f + '}' for f in TEMPLATE_FIELDS)}"
        )
    except (ValueError, IndexError, AttributeError):
        looked_up = True
    if looked_up:  # an attribute or an index of a field, or no template at all
        return (
            f"{protocol_url!r} is not a template: use {{clause}}, {{section}} or "
            "{fragment}, and write a literal brace as {{ or }}"
        )
    return None


def clause_url(clause_id: str, protocol_url: str, anchors: ProtocolAnchors) -> str:
    """The link of ``clause_id``: ``protocol_url`` as a template (``{clause}``, ``{section}``,
    ``{fragment}``) or as a base to which the fragment is appended. A base that is a local
    Markdown file (``file:…/PROTOCOL.md``, the default) gets the section anchor alone: a
    browser shows such a file as plain text, where no heading has an anchor and text
    fragments are not applied (the specification allows them in HTML and plain-text pages
    only), so the link opens the file at its top either way."""
    fragment = anchors.fragment(clause_id)
    if "{" in protocol_url:
        section = anchors.sections.get(clause_id.split("-", 1)[0], "")
        return protocol_url.format(clause=clause_id, section=section, fragment=fragment)
    base = protocol_url.split("#", 1)[0]
    if _LOCAL_MARKDOWN.match(base):
        fragment = fragment.split(":~:", 1)[0]
    return f"{base}#{fragment}"


_LOCAL_MARKDOWN = re.compile(r"(?i)file:.*\.(md|markdown)$")


def clause_links(protocol_url: str | None, protocol_file: Path | None) -> dict[str, str]:
    """Every clause's link (:func:`clause_url`) for the conformance report: to
    ``protocol_url`` (``--protocol-url``), else to ``protocol_file`` (the default link); no
    link at all when neither is known or the file cannot be read."""
    from harness.protocol import CLAUSES

    if protocol_url is None and protocol_file is None:
        return {}
    try:
        anchors = load_anchors(protocol_file)
    except (OSError, UnicodeDecodeError):
        return {}
    url = protocol_url or default_protocol_url(protocol_file)
    return {cid: clause_url(cid, url, anchors) for cid in CLAUSES}
