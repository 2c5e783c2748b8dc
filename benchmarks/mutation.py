"""Mutation testing of stopkit's translation, parsing, signing, reconciliation and outcome code.

Usage (from the repository root, after ``python -m pip install -e '.[test,mutation]'``)::

    python -m benchmarks.mutation run [PATTERN ...]   # mutmut over the modules (or mutant-name globs), then the tables
    python -m benchmarks.mutation tables              # only the mapping-table mutants (see below)
    python -m benchmarks.mutation report [--survivors] [--markdown] [--json PATH]

Not part of CI's time budget: a full run takes about 40-60 minutes on 2 cores, one worker.

**Tool.** mutmut 3 (configured in ``[tool.mutmut]`` of ``pyproject.toml``). It copies ``stopkit`` and ``venues``
into ``mutants/`` and rewrites every function of the listed modules so that each mutant can be switched on
by name; each mutant runs in a forked pytest with only the tests that reached the mutated function (``-x``,
fastest first). ``mutants/`` comes first on ``sys.path``, so the copy shadows the editable install: mutmut's
forced-fail check (every test run with the "fail" mutant switched on must fail) proves the mutated copy is
what runs for the core; :func:`check_venue_alias` checks that ``import stopkit_venues.X`` in ``mutants/`` is the
mutated ``venues.X`` (mutmut's trampolines switch a mutant on by the module's ``__name__``).

**Modules**: ``venues/*/{translate,parse,mapping,adapter}.py`` and ``stopkit/{orders,client,retry,signing,wire,
outcomes,validate}.py``. mutmut mutates code inside functions only, so the mapping tables (module-level
dicts) get their own mutants here: every value of every table in ``venues/*/mapping.py`` is replaced, one
at a time, by another value of the same table (or ``None``), and that venue's tests must fail.

**Score** per module = (killed + timed out) / (all mutants - equivalent mutants). Mutants with no test
reaching them count as survivors. Equivalent mutants are listed in ``benchmarks/mutation_equivalents.toml``,
each with the text it must find in the mutant's diff (a renumbered mutant no longer matches and counts
again) and the reason it cannot change behaviour.
"""

from __future__ import annotations

import argparse
import ast
import json
import math
import os
import random
import subprocess
import sys
import tomllib
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
MUTANTS = ROOT / "mutants"
EQUIVALENTS = ROOT / "benchmarks" / "mutation_equivalents.toml"
TABLE_RESULTS = MUTANTS / "tables.json"
VENUES = ("pacifica", "aries", "b2trader")
SEED = 19  # the sample's seed: the same mutants every run, so scores before and after compare
FULL_BELOW = 200  # modules with at most this many mutants are always run whole

# mutmut's exit codes (mutmut.stats.status_by_exit_code), folded into what the score needs.
KILLED = {1: "killed", 3: "killed", 36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout", 255: "timeout",
          -11: "killed", -9: "killed", 37: "killed"}  # fmt: skip
NOT_KILLED = {0: "survived", 5: "no tests", 33: "no tests", 35: "suspicious"}


def _mutmut(*args: str) -> int:
    return subprocess.call([sys.executable, "-m", "mutmut", *args], cwd=ROOT)  # noqa: S603


def check_setup() -> None:
    """Refuse to run on a dirty tree: mutmut copies the working tree, and scores must describe a commit."""
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "stopkit", "venues", "tests"],  # noqa: S607
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    if dirty.strip():
        print(f"note: uncommitted changes under stopkit/, venues/ or tests/:\n{dirty}", file=sys.stderr)


def _all_mutants() -> dict[str, list[str]]:
    # module path → every mutant name mutmut generated for it (from mutants/**/*.py.meta).
    by_module: dict[str, list[str]] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        by_module[meta.relative_to(MUTANTS).as_posix().removesuffix(".meta")] = sorted(data.get("exit_code_by_key", {}))
    return by_module


def sample(size: int, *, full_below: int = FULL_BELOW, seed: int = SEED) -> list[str]:
    """Every mutant of modules with at most ``full_below`` mutants; a seeded random ``size`` of the larger ones."""
    names: list[str] = []
    for _module, mutants in _all_mutants().items():
        whole = len(mutants) <= max(size, full_below)
        names += mutants if whole else random.Random(seed).sample(mutants, size)  # noqa: S311
    return names


# The folder venues/ is installed as the package stopkit_venues, but mutmut names each mutant after the
# file's path (`venues.aries.parse.x_f__mutmut_3`), and its trampolines switch a mutant on only in the module
# whose __name__ is that prefix (and record which tests reach a function under that __name__). So in mutants/,
# `stopkit_venues` is an alias: `import stopkit_venues.aries.parse` returns the module `venues.aries.parse`,
# imported once, from the mutated copy, under the name the mutants carry. (A symlink stopkit_venues -> venues
# would import every module a second time as stopkit_venues.*: the tests would run the unswitchable copy and
# every venue mutant would survive with "no tests".)
_ALIAS_PACKAGE = '''"""Written by benchmarks/mutation.py: stopkit_venues.X is the module venues.X (mutmut's names)."""

import importlib
import importlib.abc
import importlib.util
import sys

_PREFIX = "stopkit_venues."
_SPECS = {}


class _Alias(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    def find_spec(self, name, path=None, target=None):
        return importlib.util.spec_from_loader(name, self) if name.startswith(_PREFIX) else None

    def create_module(self, spec):
        module = importlib.import_module("venues." + spec.name.removeprefix(_PREFIX))
        _SPECS[module.__name__] = module.__spec__
        return module

    def exec_module(self, module):
        module.__spec__ = _SPECS[module.__name__]  # the import machinery set the alias's spec: give its own back


if not any(type(finder).__name__ == "_Alias" for finder in sys.meta_path):
    sys.meta_path.insert(0, _Alias())
sys.modules[__name__] = importlib.import_module("venues")
'''


def refresh_copies() -> None:
    """Bring mutants/'s copies of the modules mutmut does not mutate up to date.

    mutmut copies ``stopkit`` and ``venues`` into ``mutants/`` once and regenerates only the mutated
    modules when they change; a changed simulator or helper would otherwise be tested in its old version.
    """
    import shutil

    MUTANTS.mkdir(exist_ok=True)
    alias = MUTANTS / "stopkit_venues"
    if alias.is_symlink():
        alias.unlink()  # an earlier harness linked the folder: modules imported twice, under the wrong name
    alias.mkdir(exist_ok=True)
    init = alias / "__init__.py"
    if not init.exists() or init.read_text(encoding="utf-8") != _ALIAS_PACKAGE:
        init.write_text(_ALIAS_PACKAGE, encoding="utf-8")
    for package in ("stopkit", "venues"):
        for source in (ROOT / package).rglob("*"):
            copy = MUTANTS / source.relative_to(ROOT)
            if not source.is_file() or "__pycache__" in source.parts or not copy.exists():
                continue
            if copy.with_name(copy.name + ".meta").exists():
                continue  # a mutated module: mutmut regenerates it itself
            if copy.read_bytes() != source.read_bytes():
                shutil.copy2(source, copy)


def check_venue_alias() -> None:
    """Refuse to run unless ``import stopkit_venues.<venue>.<module>`` in mutants/ is the mutated copy, named as
    mutmut names its mutants (else every venue mutant would run the original code and survive)."""
    if not any((MUTANTS / "venues").rglob("*.py.meta")):
        return  # not generated yet
    probe = (
        "import stopkit_venues.aries.parse as p, stopkit_venues.b2trader.adapter as a; "
        "print(p.__name__, a.__name__, p.__file__, a.__file__)"
    )
    env = {**os.environ, "PYTHONPATH": str(MUTANTS)}
    command = [sys.executable, "-c", probe]
    out = subprocess.run(command, cwd=MUTANTS, env=env, capture_output=True, text=True, check=True)  # noqa: S603
    names = out.stdout.split()
    if names[:2] != ["venues.aries.parse", "venues.b2trader.adapter"] or not all(
        Path(path).is_relative_to(MUTANTS) for path in names[2:4]
    ):
        raise SystemExit(f"mutants/stopkit_venues is not the mutated copy under mutmut's names: {out.stdout}")


def run(patterns: Sequence[str], *, sample_size: int | None, pending: bool = False) -> int:
    """mutmut over the configured modules (or the given mutant-name globs, or a sample), one worker, then the
    tables and the report. ``pending``: only the sample's mutants not yet killed (new tests cannot un-kill)."""
    check_setup()
    refresh_copies()
    check_venue_alias()
    if sample_size is not None:
        if not any(MUTANTS.rglob("*.py.meta")):
            _mutmut("run", "--max-children", "1", "generate-only: matches no mutant")
        names = sample(sample_size)
        if pending:
            codes = {name: code for module in _results().values() for name, code in module.items()}
            names = [name for name in names if codes.get(name) not in KILLED]
        patterns = [*patterns, *names]
    code = _mutmut("run", "--max-children", "1", *patterns)
    if code != 0:
        return code
    if not patterns or sample_size is not None:
        tables()
    return report(survivors=False, markdown=True, json_path=None, sample_size=sample_size)


# -- mapping tables ------------------------------------------------------------------------------


def _table_mutants(venue: str) -> Iterator[tuple[str, object, object]]:
    # (table name, key, replacement) for every value of every module-level dict literal in the venue's mapping.
    module = __import__(f"stopkit_venues.{venue}.mapping", fromlist=["*"])
    tree = ast.parse((ROOT / "venues" / venue / "mapping.py").read_text(encoding="utf-8"))
    for node in tree.body:
        target: ast.expr | None = node.target if isinstance(node, ast.AnnAssign) else None
        if target is None and isinstance(node, ast.Assign) and len(node.targets) == 1:
            target = node.targets[0]
        if not isinstance(target, ast.Name) or not isinstance(getattr(node, "value", None), ast.Dict | ast.DictComp):
            continue
        table = getattr(module, target.id)
        if not isinstance(table, dict) or not table:
            continue
        values = list(dict.fromkeys(v for v in table.values() if v is not None))
        for key, value in table.items():
            others = [v for v in values if v != value] or [None]
            replacement = others[0] if value is None else (others[0] if len(values) > 1 else None)
            yield target.id, key, replacement


def _run_table_mutant(venue: str, table: str, key: object, replacement: object) -> int:
    # In a forked child: change one table value in place, run the venue's tests (and the conformance tables).
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        import pytest

        module = __import__(f"stopkit_venues.{venue}.mapping", fromlist=["*"])
        getattr(module, table)[key] = replacement
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, 1)
        os.dup2(devnull, 2)
        # The literal expected tables first (they compare every value), then the venue's own tests.
        args = ["-x", "-q", "-p", "no:cacheprovider", "tests/venues/test_conformance_builtins.py",
                f"tests/venues/{venue}", f"tests/contract/{venue}", "-k", f"{venue} or not Conformance"]  # fmt: skip
        os._exit(int(pytest.main(args)))
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def tables() -> dict[str, Any]:
    """Every mapping-table value replaced in turn; results kept in ``mutants/tables.json``."""
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT / "tests" / "venues"))
    results: dict[str, Any] = {}
    for venue in VENUES:
        for table, key, replacement in _table_mutants(venue):
            name = f"venues.{venue}.mapping.{table}[{key!r}] = {replacement!r}"
            code = _run_table_mutant(venue, table, key, replacement)
            results[name] = code
            print(f"{'killed  ' if code != 0 else 'SURVIVED'} {name}", flush=True)
    MUTANTS.mkdir(exist_ok=True)
    TABLE_RESULTS.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return results


# -- the report ----------------------------------------------------------------------------------


def _equivalents() -> dict[str, dict[str, str]]:
    if not EQUIVALENTS.exists():
        return {}
    entries = tomllib.loads(EQUIVALENTS.read_text(encoding="utf-8")).get("equivalent", [])
    return {entry["mutant"]: entry for entry in entries}


def _diff(mutant: str) -> str:
    # The mutant's diff, as `mutmut show` prints it (in-process: mutmut's own helper).
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    parts = mutant.split(".")
    source = Path("/".join(parts[:3] if parts[0] == "venues" else parts[:2]) + ".py")
    try:
        return str(get_diff_for_mutant(mutant, path=source))
    except Exception:  # noqa: BLE001  # an unknown or renumbered mutant has no diff: the entry is stale
        return ""


_LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical"})


def _is_log_call(node: ast.stmt) -> bool:
    # `log.<level>(...)` as a statement.
    call = node.value if isinstance(node, ast.Expr) else None
    return (
        isinstance(call, ast.Call)
        and isinstance(call.func, ast.Attribute)
        and call.func.attr in _LOG_METHODS
        and isinstance(call.func.value, ast.Name)
        and call.func.value.id in {"log", "logger", "logging"}
    )


def _only_in_a_log_call(name: str, module: str) -> bool:
    """Does mutant ``name`` change nothing but the arguments of a ``log.<level>(...)`` call?

    The original and mutated functions are compared statement by statement; the innermost statement
    that differs must be a logging call. Log text is diagnostics, not behaviour callers rely on, so these
    mutants are reported apart (see the report's "log only" column)."""
    import libcst as cst
    from mutmut.mutation.diff_apply import read_functions_from_index

    functions = read_functions_from_index(name, MUTANTS / module)
    if functions is None:
        return False
    trees = [ast.parse(cst.Module([function]).code) for function in functions]
    pairs = list(zip(*(list(_statements(tree)) for tree in trees), strict=False))
    differing = [a for a, b in pairs if ast.dump(a) != ast.dump(b)]
    if not differing:
        return False
    innermost = min(differing, key=lambda node: (node.end_lineno or node.lineno) - node.lineno)
    return _is_log_call(innermost)


def _statements(tree: ast.AST) -> Iterator[ast.stmt]:
    for node in ast.walk(tree):
        if isinstance(node, ast.stmt):
            yield node


def _results() -> dict[str, dict[str, int | None]]:
    # module path → {mutant name: exit code} from mutmut's .meta files, plus the table mutants.
    by_module: dict[str, dict[str, int | None]] = {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        codes = data.get("exit_code_by_key", {})
        module = meta.relative_to(MUTANTS).as_posix().removesuffix(".meta")
        by_module[module] = dict(codes)
    if TABLE_RESULTS.exists():
        for name, code in json.loads(TABLE_RESULTS.read_text(encoding="utf-8")).items():
            venue = name.split(".")[1]
            by_module.setdefault(f"venues/{venue}/mapping.py", {})[name] = code
    return by_module


def _wilson(killed: int, n: int, z: float = 1.96) -> tuple[float, float]:
    # The 95 % Wilson score interval of a sampled module's kill rate, in percent.
    if n == 0:
        return 0.0, 100.0
    p = killed / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return 100 * max(0.0, centre - half), 100 * min(1.0, centre + half)


def report(*, survivors: bool, markdown: bool, json_path: str | None, sample_size: int | None = None) -> int:
    """Per-module score; ``survivors`` lists every live mutant (with ``mutmut show NAME`` for its diff).

    Two scores: over every mutant run, and over those that change more than a logging call's arguments."""
    os.chdir(ROOT)  # mutmut's helpers read pyproject.toml and mutants/ from the current directory
    equivalents = _equivalents()
    confirmed: set[str] = set()
    for name, entry in equivalents.items():
        if entry["contains"] in _diff(name):
            confirmed.add(name)
        else:
            print(f"stale equivalent (not counted): {name}", file=sys.stderr)
    chosen = set(sample(sample_size)) if sample_size is not None else None
    rows: list[dict[str, Any]] = []
    live: dict[str, list[str]] = defaultdict(list)
    for module, codes in _results().items():
        tally: Counter[str] = Counter()
        log_killed = log_live = 0
        for name, code in codes.items():
            if chosen is not None and not module.endswith("mapping.py") and name not in chosen:
                continue  # run once, but not in this sample: left out so that the sample stays random
            if name in confirmed:
                tally["equivalent"] += 1
            elif code in KILLED:
                tally["killed"] += 1
                log_killed += not module.endswith("mapping.py") and _only_in_a_log_call(name, module)
            elif code is None:
                tally["not checked"] += 1
            else:
                tally[NOT_KILLED.get(code, "survived")] += 1
                if not module.endswith("mapping.py") and _only_in_a_log_call(name, module):
                    log_live += 1
                    continue
                live[module].append(name)
        counted = sum(tally.values()) - tally["equivalent"] - tally["not checked"]
        score = 100.0 * tally["killed"] / counted if counted else 100.0
        low, high = _wilson(tally["killed"], counted)
        behaviour = counted - log_killed - log_live
        score_b = 100.0 * (tally["killed"] - log_killed) / behaviour if behaviour else 100.0
        low_b, high_b = _wilson(tally["killed"] - log_killed, behaviour)
        if counted == 0:
            continue  # nothing of this module was run (e.g. mapping.py before `tables`)
        rows.append({"module": module, "score": round(score, 1), "counted": counted, "total": len(codes),
                     "interval": [round(low, 1), round(high, 1)], "log_only": log_killed + log_live,
                     "log_only_live": log_live, "score_without_log": round(score_b, 1),
                     "interval_without_log": [round(low_b, 1), round(high_b, 1)], **tally})  # fmt: skip
    if markdown:
        print(
            "| module | mutants run (of all) | killed | survived | no test | equivalent | log only (live) "
            "| score | score without log-only |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        for row in rows:
            run_count = row["counted"] + row.get("equivalent", 0)
            sampled = run_count < row["total"]
            interval = f" ({row['interval'][0]:.0f}-{row['interval'][1]:.0f})" if sampled else ""
            interval_b = (
                f" ({row['interval_without_log'][0]:.0f}-{row['interval_without_log'][1]:.0f})" if sampled else ""
            )
            print(f"| `{row['module']}` | {run_count} (of {row['total']}) | {row.get('killed', 0)} | "
                  f"{row.get('survived', 0) + row.get('suspicious', 0)} | {row.get('no tests', 0)} | "
                  f"{row.get('equivalent', 0)} | {row['log_only']} ({row['log_only_live']}) | "
                  f"{row['score']:.1f} %{interval} | {row['score_without_log']:.1f} %{interval_b} |")  # fmt: skip
    else:
        for row in rows:
            print(json.dumps(row))
    if survivors:
        for module, names in live.items():
            print(f"\n{module}: {len(names)} live")
            for name in names:
                print(f"  {name}")
    if json_path:
        Path(json_path).write_text(json.dumps({"modules": rows, "live": live}, indent=1), encoding="utf-8")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m benchmarks.mutation {run,tables,report}``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.mutation", description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p_run = sub.add_parser("run", help="mutmut run (one worker), then the table mutants, then the report")
    p_run.add_argument("patterns", nargs="*", help="mutant-name globs, e.g. 'venues.aries.parse.*'")
    p_run.add_argument("--sample", type=int, metavar="N", help="at most N mutants per module (seeded random sample)")
    p_run.add_argument("--pending", action="store_true", help="with --sample: only the mutants not yet killed")
    sub.add_parser("tables", help="only the mapping-table mutants")
    p_rep = sub.add_parser("report", help="the score per module")
    p_rep.add_argument("--survivors", action="store_true", help="list every live mutant")
    p_rep.add_argument("--markdown", action="store_true", help="a Markdown table (as in the README)")
    p_rep.add_argument("--json", dest="json_path", help="also write the report as JSON")
    p_rep.add_argument("--sample", type=int, metavar="N", help="count only the mutants of `run --sample N`")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.patterns, sample_size=args.sample, pending=args.pending)
    if args.command == "tables":
        results = tables()
        return 0 if all(code != 0 for code in results.values()) else 1
    return report(survivors=args.survivors, markdown=args.markdown, json_path=args.json_path, sample_size=args.sample)


if __name__ == "__main__":
    sys.exit(main())
