"""Synthetic citizens (§1, §2): who logs in, and the persona files that seed the providers.

A :class:`Persona` is a VNeID account (``personal_id`` consistent with birth year and sex,
6-digit passcode, level 1 or 2, active or locked) and optionally the VssID account linked to
the same ``personal_id`` (P-1). :class:`PersonaFactory` makes them from a seed with Faker's
``vi_VN`` locale, so a failing run can be replayed. Persona files are YAML or JSON documents
``{"personas": [...]}``; :func:`load_personas` validates every entry and names the file, the
entry index and the field of the first problem (:class:`~harness.errors.PersonaFileError`);
:func:`save_personas` writes atomically. Passcodes never appear in ``repr`` (S-5).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import errno
import json
import os
import re
import reprlib
import stat
import tempfile
import threading
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

import yaml
from faker import Faker

from harness import strict_yaml
from harness.errors import ConfigError, PersonaFileError, parse_problem
from harness.protocol import (
    MAX_FULL_NAME,
    IdentifierError,
    PersonalId,
    ProtocolError,
    generate_bhxh_code,
    generate_personal_id,
    is_valid_bhxh_code,
    parse_personal_id,
    strict_json,
)
from harness.protocol.identifiers import BIRTHDATE_PATTERN, Sex, full_name_problem
from harness.protocol.runtime import seeded_random
from harness.scratch import hold, sweep
from harness.text_files import UnreadableFile, read_text_file

__all__ = [
    "BIRTH_YEARS",
    "MAX_FULL_NAME",
    "Gender",
    "Persona",
    "PersonaFactory",
    "Status",
    "VssIDAccount",
    "load_personas",
    "save_personas",
]

Gender = Sex
Status = Literal["active", "locked"]
BIRTH_YEARS = (1940, 2007)
"""Inclusive range of the birth years :class:`PersonaFactory` draws from."""

_GENDERS: tuple[Gender, ...] = ("male", "female")
_STATUSES: tuple[Status, ...] = ("active", "locked")
_YAML_SUFFIXES = frozenset({".yaml", ".yml"})
_SUFFIXES = _YAML_SUFFIXES | {".json"}


_SHOWN = reprlib.Repr()
_SHOWN.maxlevel, _SHOWN.maxlist, _SHOWN.maxdict = 2, 4, 4
_SHOWN.maxstring = _SHOWN.maxother = 80


def _shown(value: object) -> str:
    """``repr(value)`` cut short (strings at 80 characters, four items, two levels): a value
    from a user's file, in an error message, whatever its size."""
    return _SHOWN.repr(value)


class _Invalid(Exception):
    """One field of one persona is wrong (internal: callers see ConfigError/PersonaFileError)."""

    def __init__(self, field_name: str, problem: str) -> None:
        super().__init__(f"{field_name}: {problem}")
        self.field_name = field_name
        self.problem = problem


# -- field checks ------------------------------------------------------------------------
def _one_of(field_name: str, value: object, allowed: Sequence[object]) -> None:
    # 1.0 == 1 and True == 1 in Python, but the providers' records take only the int or str.
    if not any(type(value) is type(a) and value == a for a in allowed):
        shown = ", ".join(repr(a) for a in allowed)
        raise _Invalid(field_name, f"must be one of {shown}, got {_shown(value)}")


def _check_passcode(value: object) -> None:
    if not isinstance(value, str):
        raise _Invalid(
            "passcode",
            f"must be a string of 6 digits (quote it in YAML), got {type(value).__name__}",
        )
    if len(value) != 6 or not (value.isascii() and value.isdigit()):
        raise _Invalid("passcode", "must be exactly 6 ASCII digits")


def _check_full_name(value: object) -> None:
    """What the providers' records accept (``PersonaRecord``, ``AccountRecord``), so a file
    ``personas check`` passes is one ``serve`` loads."""
    if not isinstance(value, str) or not value:
        raise _Invalid("full_name", f"must be a non-empty string, got {_shown(value)}")
    problem = full_name_problem(value)
    if problem is not None:
        raise _Invalid("full_name", problem)


def _check_personal_id(value: object, birthdate: dt.date, gender: str) -> None:
    try:
        pid = parse_personal_id(value, clause="P-1")
    except IdentifierError as exc:
        hint = " (quote it in YAML)" if isinstance(value, int) else ""
        raise _Invalid("personal_id", exc.description + hint) from None
    if not pid.matches(birthdate=birthdate, sex=cast(Gender, gender)):
        raise _Invalid(
            "personal_id",
            f"{pid.value} says born {pid.birth_year}, {pid.sex}; the persona is born "
            f"{birthdate.isoformat()}, {gender} (§1: digit 4 is century and sex, 5-6 the year)",
        )


@dataclass(frozen=True)
class VssIDAccount:
    """The VssID account linked to a persona's ``personal_id`` (P-1)."""

    bhxh_code: str
    status: Status = "active"

    def __post_init__(self) -> None:
        try:
            if not is_valid_bhxh_code(self.bhxh_code):
                raise _Invalid(
                    "vssid_account.bhxh_code",
                    f"must be 10 ASCII digits, got {_shown(self.bhxh_code)}",
                )
            _one_of("vssid_account.status", self.status, _STATUSES)
        except _Invalid as exc:
            raise ConfigError(f"invalid VssIDAccount: {exc}") from None


@dataclass(frozen=True)
class Persona:
    """A synthetic citizen. ``repr`` never shows the passcode (S-5)."""

    personal_id: str
    full_name: str
    birthdate: dt.date
    gender: Gender
    passcode: str = field(repr=False)
    level: Literal[1, 2] = 2
    status: Status = "active"
    vssid_account: VssIDAccount | None = None

    def __post_init__(self) -> None:
        try:
            _validate_persona(self)
        except _Invalid as exc:
            raise ConfigError(f"invalid Persona: {exc}") from None

    @property
    def bhxh_code(self) -> str | None:
        return self.vssid_account.bhxh_code if self.vssid_account else None

    def to_vneid_json(self) -> dict[str, Any]:
        """The body of ``POST /_harness/personas`` on the VNeID mock (§11)."""
        return {
            "personal_id": self.personal_id,
            "passcode": self.passcode,
            "level": self.level,
            "full_name": self.full_name,
            "birthdate": self.birthdate.isoformat(),
            "gender": self.gender,
            "status": self.status,
        }

    def to_vssid_account_json(self) -> dict[str, Any] | None:
        """The body of ``POST /_harness/accounts`` on the VssID mock (§11), or ``None``."""
        if self.vssid_account is None:
            return None
        return {
            "bhxh_code": self.vssid_account.bhxh_code,
            "personal_id": self.personal_id,
            "full_name": self.full_name,
            "status": self.vssid_account.status,
        }

    def to_file_entry(self) -> dict[str, Any]:
        """One entry of a persona file (the inverse of what :func:`load_personas` reads)."""
        account = None
        if self.vssid_account is not None:
            account = {
                "bhxh_code": self.vssid_account.bhxh_code,
                "status": self.vssid_account.status,
            }
        return {
            "personal_id": self.personal_id,
            "full_name": self.full_name,
            "birthdate": self.birthdate.isoformat(),
            "gender": self.gender,
            "passcode": self.passcode,
            "level": self.level,
            "status": self.status,
            "vssid_account": account,
        }


def _validate_persona(p: Persona) -> None:
    if not isinstance(p.birthdate, dt.date) or isinstance(p.birthdate, dt.datetime):
        raise _Invalid("birthdate", f"must be a date, got {_shown(p.birthdate)}")
    _one_of("gender", p.gender, _GENDERS)
    _check_personal_id(p.personal_id, p.birthdate, p.gender)
    _check_full_name(p.full_name)
    _check_passcode(p.passcode)
    _one_of("level", p.level, (1, 2))
    _one_of("status", p.status, _STATUSES)
    if p.vssid_account is not None and not isinstance(p.vssid_account, VssIDAccount):
        raise _Invalid("vssid_account", "must be a VssIDAccount or None")


# -- the factory -------------------------------------------------------------------------
_names_lock = threading.Lock()
_names_faker: Faker | None = None


def _names() -> Faker:
    """One ``Faker("vi_VN")`` per process for the names (building one costs about 1 ms, once
    per test before); each factory draws from it with its own random stream, under the lock."""
    global _names_faker
    if _names_faker is None:
        _names_faker = Faker("vi_VN")
    return _names_faker


_MIDDLE_OF_THE_OTHER_SEX: dict[str, frozenset[str]] = {
    "male": frozenset({"Thị"}),
    "female": frozenset({"Văn"}),
}
"""Vietnamese middle names that mark the other sex (Faker's vi_VN list mixes them): a
"Phạm Thị Minh" of gender male is a persona no real register holds."""


class PersonaFactory:
    """Replayable personas: the same seed and the same calls give the same personas."""

    def __init__(self, seed: int | str) -> None:
        self.seed = seed
        self._rng = seeded_random(seed)  # -5 its own, not 5's (random's absolute value)
        self._name_rng = seeded_random(seed)  # as ``Faker.seed_instance(seed)`` for seed >= 0
        self._ids: set[str] = set()
        self._codes: set[str] = set()

    def new(
        self,
        *,
        level: Literal[1, 2] = 2,
        status: Status = "active",
        vssid_account: bool | Status | VssIDAccount | None = True,
        **overrides: Any,
    ) -> Persona:
        """A fresh persona; ``overrides`` replace any :class:`Persona` field.

        ``vssid_account``: ``True``/``"active"`` a linked active account, ``"locked"`` a
        locked one, ``False``/``None`` none (P-1 fails), or a :class:`VssIDAccount`.
        Every random draw happens whatever the overrides, so later personas stay replayable.
        """
        names = {f.name for f in dataclasses.fields(Persona)}
        unknown = sorted(set(overrides) - names)
        if unknown:
            raise ConfigError(
                f"PersonaFactory.new: unknown fields {unknown}; known: {sorted(names)}"
            )
        rng = self._rng
        said = _said_by(overrides.get("personal_id"))  # what a given id's digits say
        drawn: Gender = rng.choice(_GENDERS)  # drawn whatever is given: the draws stay in step
        gender: Gender = overrides.get("gender", said.sex if said is not None else drawn)
        first, last = (
            dt.date(BIRTH_YEARS[0], 1, 1).toordinal(),
            dt.date(BIRTH_YEARS[1], 12, 31).toordinal(),
        )
        birthdate: dt.date = dt.date.fromordinal(rng.randint(first, last))
        if said is not None and "birthdate" not in overrides:  # the id's year, a drawn day
            birthdate = _in_year(birthdate, said.birth_year)
        if "birthdate" in overrides:
            birthdate = _birthdate(overrides["birthdate"])
            overrides = {**overrides, "birthdate": birthdate}
        passcode = f"{rng.randrange(10**6):06d}"
        full_name = self._name(gender)
        code = self._unique(lambda: generate_bhxh_code(rng), self._codes)
        # drawn (and kept from later citizens) even when overridden: the draws stay in step
        personal_id = self._unique(
            lambda: generate_personal_id(rng, birthdate=birthdate, sex=gender), self._ids
        )
        account = _account(vssid_account, code)
        values: dict[str, Any] = {
            "personal_id": personal_id,
            "full_name": full_name,
            "birthdate": birthdate,
            "gender": gender,
            "passcode": passcode,
            "level": level,
            "status": status,
            "vssid_account": account,
        }
        values.update(overrides)
        persona = Persona(**values)
        self._ids.add(persona.personal_id)
        return persona

    def many(self, count: int, **kwargs: Any) -> list[Persona]:
        return [self.new(**kwargs) for _ in range(count)]

    def _name(self, gender: Gender) -> str:
        with _names_lock:
            faker = _names()
            cast(Any, faker).random = self._name_rng  # its own stream: replayable per seed
            given = faker.first_name_male() if gender == "male" else faker.first_name_female()
            middle = faker.middle_name()
            while middle in _MIDDLE_OF_THE_OTHER_SEX[gender]:  # "Thị" names a woman
                middle = faker.middle_name()
            return f"{faker.last_name()} {middle} {given}"

    @staticmethod
    def _unique(draw: Callable[[], str], used: set[str]) -> str:
        for _ in range(1000):
            value = draw()
            if value not in used:
                used.add(value)
                return value
        raise ConfigError("PersonaFactory ran out of unique identifiers")


def _said_by(personal_id: object) -> PersonalId | None:
    """What a ``personal_id`` given to :meth:`PersonaFactory.new` says (birth year, sex), or
    ``None`` for none or one that is not well-formed (the persona's validation says why)."""
    if not isinstance(personal_id, str):
        return None
    try:
        return parse_personal_id(personal_id)
    except ProtocolError:
        return None


def _in_year(day: dt.date, year: int) -> dt.date:
    """``day``'s month and day in ``year`` (29 February as the 28th outside leap years)."""
    try:
        return day.replace(year=year)
    except ValueError:
        return day.replace(year=year, day=28)


def _birthdate(value: object) -> dt.date:
    """A persona's birthdate given as a date or ``YYYY-MM-DD``, one a ``personal_id`` can
    encode (§1: born 1900–2099)."""
    if isinstance(value, dt.datetime):
        value = value.date()
    if isinstance(value, str):
        try:
            if not BIRTHDATE_PATTERN.fullmatch(value):  # fromisoformat reads 19900304 too
                raise ValueError(value)
            value = dt.date.fromisoformat(value)
        except ValueError:
            raise ConfigError(
                f"PersonaFactory.new: birthdate {value!r:.40} is not a date (YYYY-MM-DD)"
            ) from None
    if not isinstance(value, dt.date):
        raise ConfigError(
            f"PersonaFactory.new: birthdate must be a datetime.date or "
            f"'YYYY-MM-DD', got {type(value).__name__}"
        )
    if not 1900 <= value.year <= 2099:
        raise ConfigError(
            f"PersonaFactory.new: birthdate {value}: a personal_id (§1) encodes "
            "births in 1900-2099 only"
        )
    return value


def _account(spec: bool | Status | VssIDAccount | None, code: str) -> VssIDAccount | None:
    if isinstance(spec, VssIDAccount):
        return spec
    if spec is True or spec == "active":
        return VssIDAccount(code)
    if spec == "locked":
        return VssIDAccount(code, "locked")
    if spec is False or spec is None:
        return None
    raise ConfigError(
        f"vssid_account must be a bool, 'active', 'locked', a VssIDAccount or "
        f"None, got {_shown(spec)}"
    )


# -- files -------------------------------------------------------------------------------
_REQUIRED = ("personal_id", "full_name", "birthdate", "gender", "passcode")
_OPTIONAL = ("level", "status", "vssid_account")
_ACCOUNT_KEYS = ("bhxh_code", "status")


def _format(path: Path) -> Literal["yaml", "json"]:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise PersonaFileError(
            f"{path}: unknown persona file type {suffix or '(none)'!r}; use .yaml, .yml or .json"
        )
    return "yaml" if suffix in _YAML_SUFFIXES else "json"


def _parse_birthdate(value: object) -> dt.date:
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, str) and BIRTHDATE_PATTERN.fullmatch(value):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            pass
    raise _Invalid("birthdate", f"must be a date 'YYYY-MM-DD', got {_shown(value)}")


def _parse_account(value: object) -> VssIDAccount | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise _Invalid("vssid_account", f"must be a mapping or null, got {type(value).__name__}")
    unknown = sorted(str(k) for k in value if k not in _ACCOUNT_KEYS)
    if unknown:
        raise _Invalid(
            f"vssid_account.{unknown[0]}", f"unknown key; allowed: {', '.join(_ACCOUNT_KEYS)}"
        )
    code = value.get("bhxh_code")
    if not is_valid_bhxh_code(code):
        raise _Invalid(
            "vssid_account.bhxh_code",
            f"must be a string of 10 digits (quote it in YAML), got {_shown(code)}",
        )
    status = value.get("status", "active")
    _one_of("vssid_account.status", status, _STATUSES)
    return VssIDAccount(cast(str, code), cast(Status, status))


def _parse_entry(entry: object) -> Persona:
    if not isinstance(entry, Mapping):
        raise _Invalid("(entry)", f"must be a mapping, got {type(entry).__name__}")
    unknown = sorted(str(k) for k in entry if k not in _REQUIRED + _OPTIONAL)
    if unknown:
        raise _Invalid(unknown[0], f"unknown key; allowed: {', '.join(_REQUIRED + _OPTIONAL)}")
    for key in _REQUIRED:
        if key not in entry:
            raise _Invalid(key, "is required")
    birthdate = _parse_birthdate(entry["birthdate"])
    _one_of("gender", entry["gender"], _GENDERS)
    _check_personal_id(entry["personal_id"], birthdate, entry["gender"])
    _check_full_name(entry["full_name"])
    _check_passcode(entry["passcode"])
    _one_of("level", entry.get("level", 2), (1, 2))
    _one_of("status", entry.get("status", "active"), _STATUSES)
    return Persona(
        personal_id=entry["personal_id"],
        full_name=entry["full_name"],
        birthdate=birthdate,
        gender=entry["gender"],
        passcode=entry["passcode"],
        level=entry.get("level", 2),
        status=entry.get("status", "active"),
        vssid_account=_parse_account(entry.get("vssid_account")),
    )


def _parse_document(path: Path, document: object) -> list[Persona]:
    if not isinstance(document, Mapping) or "personas" not in document:
        raise PersonaFileError(f"{path}: expected a document {{personas: [...]}} at the top")
    extra = sorted(str(k) for k in document if k != "personas")
    if extra:
        raise PersonaFileError(f"{path}: unknown top-level keys {extra}; only 'personas'")
    entries = document["personas"]
    if not isinstance(entries, list):
        raise PersonaFileError(f"{path}: 'personas' must be a list, got {type(entries).__name__}")
    personas: list[Persona] = []
    unique = _Unique(path)
    for index, entry in enumerate(entries):
        try:
            persona = _parse_entry(entry)
        except _Invalid as exc:
            raise PersonaFileError(
                f"{path}: personas[{index}].{exc.field_name}: {exc.problem}"
            ) from None
        unique.add(index, persona)
        personas.append(persona)
    return personas


class _Unique:
    """One ``personal_id`` per persona and one ``bhxh_code`` per VssID account in a file: the
    providers key them so (P-1), and a second one would silently replace the first."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._ids: dict[str, int] = {}
        self._codes: dict[str, int] = {}

    def add(self, index: int, persona: Persona) -> None:
        for field_name, value, seen in (
            ("personal_id", persona.personal_id, self._ids),
            ("vssid_account.bhxh_code", persona.bhxh_code, self._codes),
        ):
            if value is None:
                continue
            if value in seen:
                raise PersonaFileError(
                    f"{self._path}: personas[{index}].{field_name}: duplicate {value} "
                    f"(already personas[{seen[value]}]); give each entry its own "
                    f"{field_name.rsplit('.', 1)[-1]}"
                )
            seen[value] = index


MAX_PERSONA_FILE_BYTES = 64 * 1024 * 1024
"""The largest persona file read: serve holds at most 100,000 personas, about 180 bytes each
in YAML (18 MB, about 1 GB of memory to read); a file much larger is not a persona file."""


def load_personas(path: str | os.PathLike[str]) -> list[Persona]:
    """Read and validate a persona file (YAML or JSON by extension)."""
    p = Path(path)
    kind = _format(p)
    try:
        text = read_text_file(p, MAX_PERSONA_FILE_BYTES)
    except UnreadableFile as exc:
        raise PersonaFileError(f"{p}: cannot read the persona file: {exc}") from None
    try:
        document = (
            strict_yaml.load(text, what="a persona file")
            if kind == "yaml"
            else strict_json.loads(text, finite=False)
        )
    except (yaml.YAMLError, ValueError) as exc:
        raise PersonaFileError(f"{p}: not valid {kind.upper()}: {parse_problem(exc)}") from None
    except RecursionError:
        raise PersonaFileError(
            f"{p}: not valid {kind.upper()}: nested too deeply; a persona "
            "file is {personas: [...]} of flat entries"
        ) from None
    return _parse_document(p, document)


def _dump(personas: Iterable[Persona], kind: Literal["yaml", "json"], path: Path) -> str:
    entries = []
    unique = _Unique(path)
    for index, persona in enumerate(personas):
        if not isinstance(persona, Persona):
            raise PersonaFileError(f"{path}: personas[{index}]: not a Persona")
        unique.add(index, persona)
        entries.append(persona.to_file_entry())
    document = {"personas": entries}
    if kind == "json":
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return str(yaml.dump(document, Dumper=_QuotingDumper, allow_unicode=True, sort_keys=False))


class _QuotingDumper(yaml.SafeDumper):
    """Quotes a string of digits (a personal id, a BHXH code, a numeric passcode): PyYAML
    (YAML 1.1) left ``075176934973`` plain, not being an octal number there, but YAML 1.2
    readers (JavaScript's ``yaml``, Go's) read it as a number and lose the leading zero."""


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "'" if _NUMBER_LIKE.fullmatch(value) else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_NUMBER_LIKE = re.compile(r"[-+]?[0-9][0-9_]*(\.[0-9_]*)?([eE][-+]?[0-9]+)?")
_QuotingDumper.add_representer(str, _str)


def _link_new(tmp_name: str, p: Path) -> None:
    """Put the written ``tmp_name`` at ``p`` unless ``p`` exists (``FileExistsError``), at
    once: a hard link, or, on a file system without them, a file created exclusively."""
    try:
        os.link(tmp_name, p)
    except FileExistsError:
        raise
    except OSError as exc:
        if exc.errno not in (errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EXDEV):
            raise
        fd = os.open(p, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(Path(tmp_name).read_bytes())
                file.flush()
                os.fsync(file.fileno())
        except BaseException:  # a full disk, Ctrl-C: no half file left to refuse the next
            p.unlink(missing_ok=True)
            raise


def save_personas(
    path: str | os.PathLike[str], personas: Iterable[Persona], *, overwrite: bool = True
) -> None:
    """Write ``personas`` atomically: a temp file beside ``path``, then ``os.replace``.

    A failure at any step leaves an existing file untouched and removes the temp file. A
    symbolic link is followed (the file it names is replaced and the link kept, as ``serve
    --state`` does with its state file); an existing file keeps its permissions, a new one is
    readable by its owner only (it holds passcodes). With ``overwrite=False`` a file at
    ``path`` is never replaced, also one that appeared while this one was written (another
    job writing the same path): the temp file is linked into place, which fails when the
    name is taken, and a :class:`PersonaFileError` says so. A temp file that a write killed
    with SIGKILL left beside the file (``.NAME.….tmp``) is removed by the next save
    (:mod:`harness.scratch`).
    """
    p = Path(path)
    text = _dump(personas, _format(p), p)
    if p.is_symlink():
        p = Path(os.path.realpath(p))
    directory = p.parent if str(p.parent) else Path()
    if not directory.is_dir():
        raise PersonaFileError(
            f"{p}: cannot save the persona file: the folder {directory} "
            f"{'is a file' if directory.exists() else 'does not exist'}; "
            "create the folder first, or choose another path"
        )
    existed = p.exists()
    tmp_name: str | None = None
    sweep(directory, f".{p.name}.", ".tmp")  # the copies of writes killed with SIGKILL
    try:
        mode = stat.S_IMODE(p.stat().st_mode) if existed else None
        with tempfile.NamedTemporaryFile(
            "w",
            encoding="utf-8",
            dir=directory,
            prefix=f".{p.name}.",
            suffix=".tmp",
            delete=False,
        ) as tmp:
            tmp_name = tmp.name
            hold(tmp.fileno())  # in use: another save's sweep leaves it
            if mode is not None:
                os.fchmod(tmp.fileno(), mode)
            tmp.write(text)
            tmp.flush()
            os.fsync(tmp.fileno())
        if overwrite:
            os.replace(tmp_name, p)
            tmp_name = None
        else:
            _link_new(tmp_name, p)  # the temp file is removed below
    except FileExistsError:
        raise PersonaFileError(
            f"{p} exists (it appeared while the personas were being "
            "written); nothing was overwritten: choose another path, or "
            "overwrite it on purpose"
        ) from None
    except OSError as exc:
        kept = " (the old file is unchanged)" if existed else ""
        raise PersonaFileError(
            f"{p}: cannot save the persona file{kept}: {exc.strerror or exc}"
        ) from None
    finally:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
