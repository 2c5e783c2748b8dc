"""The docs agree with the code: venue config tables, the README's matrix and config keys, logger names."""

from __future__ import annotations

import ast
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import attrs
import pytest

from stopkit.api import CLIENT_CONFIG_KEYS
from stopkit.cli import _markdown_matrix
from stopkit.registry import get_venue
from stopkit_venues.aries.adapter import AriesConfig
from stopkit_venues.b2trader.adapter import B2TraderConfig
from stopkit_venues.pacifica.config import PacificaConfig

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
CONFIGS: dict[str, type] = {"pacifica": PacificaConfig, "aries": AriesConfig, "b2trader": B2TraderConfig}
# The client-side keys every venue takes (stopkit.connect), with their defaults.
CLIENT_DEFAULTS = {"allow_insecure": False, "max_response_bytes": 4 * 1024 * 1024}


def _config_table(venue: str) -> dict[str, str]:
    # The "| Key | Default | Meaning |" table of docs/venues/<venue>.md: key → default cell.
    lines = (ROOT / "docs" / "venues" / f"{venue}.md").read_text(encoding="utf-8").splitlines()
    start = next(i for i, line in enumerate(lines) if re.fullmatch(r"\|\s*Key\s*\|\s*Default\s*\|.*", line))
    rows: dict[str, str] = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        cells = [cell.strip() for cell in line.strip("|").split("|")]
        rows[cells[0].strip("`")] = cells[1]
    return rows


def _agrees(default: object, cell: str) -> bool:
    # A documented default agrees with the code's: booleans and numbers exactly, strings verbatim;
    # None (computed from other settings) needs a description, not a value.
    text = cell.strip()
    if default is None or default is attrs.NOTHING:
        return bool(text)
    if isinstance(default, bool):
        return text.strip("`") == str(default).lower()
    if isinstance(default, int | float):
        number = re.search(r"-?\d+(\.\d+)?", text)
        try:
            return number is not None and Decimal(number.group()) == Decimal(str(default))
        except InvalidOperation:
            return False
    return f"`{default}`" in text


@pytest.mark.parametrize("venue", sorted(CONFIGS))
def test_venue_page_config_table_is_complete_with_the_codes_defaults(venue: str) -> None:
    """Each venue page's config table lists exactly the keys the venue takes, each with the code's default."""
    table = _config_table(venue)
    fields = {field.name: field.default for field in attrs.fields(CONFIGS[venue])}  # type: ignore[arg-type]
    assert set(table) == set(fields) | CLIENT_CONFIG_KEYS
    wrong = {key: (fields[key], table[key]) for key in fields if not _agrees(fields[key], table[key])}
    assert wrong == {}
    assert set(CLIENT_DEFAULTS) == CLIENT_CONFIG_KEYS
    for key, default in CLIENT_DEFAULTS.items():
        assert _agrees(default, table[key]), (key, table[key])


def test_readme_config_keys_exist_with_the_codes_defaults() -> None:
    """The README's per-venue config line names only real keys, each default in parentheses the code's."""
    section = README[README.index("| venue | config keys |") :]
    checked = 0
    for line in section.splitlines()[2:]:
        if not line.startswith("|"):
            break
        venue, keys = (cell.strip() for cell in line.strip("|").split("|"))
        fields = {field.name: field.default for field in attrs.fields(CONFIGS[venue])}  # type: ignore[arg-type]
        for match in re.finditer(r"`(\w+)`(?: \(([^)]*)\))?", keys):
            key, default = match.group(1), match.group(2)
            assert key in fields, (venue, key)
            if default is not None and isinstance(fields[key], bool | int | float) and fields[key] is not None:
                assert _agrees(fields[key], default.split(":")[0]), (venue, key, default)
            checked += 1
    assert checked >= 15


def test_readme_capability_matrix_is_the_codes() -> None:
    """Every built-in venue's column of the README's capability matrix is what `stopkit venues --markdown` prints."""
    adapters = [get_venue(name) for name in ("aries", "b2trader", "pacifica")]
    generated = _markdown_matrix(adapters).splitlines()
    start = README.index("| capability |")
    documented = README[start:].split("\n\n", 1)[0].splitlines()
    header = [cell.strip() for cell in documented[0].strip("|").split("|")]
    doc_rows = {line.strip("|").split("|")[0].strip(): line for line in documented[2:]}
    gen_header = [cell.strip() for cell in generated[0].strip("|").split("|")]
    for line in generated[2:]:
        name = line.strip("|").split("|")[0].strip()
        assert name in doc_rows, name
        gen_cells = dict(zip(gen_header, (c.strip() for c in line.strip("|").split("|")), strict=True))
        doc_cells = dict(zip(header, (c.strip() for c in doc_rows[name].strip("|").split("|")), strict=True))
        for venue in ("aries", "b2trader", "pacifica"):
            assert doc_cells[venue] == gen_cells[venue], (name, venue)


def _logger_names() -> set[str]:
    names: set[str] = set()
    for folder in ("stopkit", "venues"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (
                    isinstance(node, ast.Call)
                    and isinstance(node.func, ast.Attribute)
                    and node.func.attr == "getLogger"
                    and node.args
                ):
                    arg = node.args[0]
                    assert isinstance(arg, ast.Constant), f"{path}: logger named by an expression"
                    names.add(str(arg.value))
    return names


def test_every_logger_is_under_stopkit_and_documented() -> None:
    """Each logger stopkit and the built-in venues use is named stopkit.* and listed in the README's Logging section."""
    section = README[README.index("## Logging") :].split("\n## ", 1)[0]
    names = _logger_names()
    assert {"stopkit.client", "stopkit.transport"} <= names
    for name in names:
        assert name.startswith("stopkit."), name
        generic = re.sub(r"^stopkit\.venues\.\w+$", "stopkit.venues.<venue>", name)
        assert f"`{name}`" in section or f"`{generic}`" in section, name
