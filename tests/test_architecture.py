"""The layers only point down: each package imported alone loads nothing above it; one engine table;
translators built only by the adaptive layer."""

from __future__ import annotations

import ast
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent

#: document < memory < engines < adapt < align / sync / jobs / evaluate / review < edition < cli
LAYERS = {
    "document": 1, "memory": 2, "engines": 3, "adapt": 4,
    "align": 5, "sync": 5, "jobs": 5, "evaluate": 5, "review": 5, "edition": 6, "demo": 7, "cli": 8,
}
#: top-level helpers beside the layers: usable from any layer, they import none
HELPERS = ("errors", "languages", "fileio", "home", "config", "database", "tree", "records")


def loaded_after_import(module: str) -> set[str]:
    """The amts packages and helper modules in ``sys.modules`` after importing ``module`` in a fresh interpreter."""
    code = (f"import sys, json; import {module}; "
            "print(json.dumps(sorted({n.split('.')[1] for n in sys.modules if n.startswith('amts.')})))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    return set(json.loads(result.stdout))


@pytest.mark.parametrize("package", sorted(LAYERS, key=LAYERS.get))
def test_a_package_imported_alone_loads_no_higher_layer(package: str) -> None:
    loaded = loaded_after_import(f"amts.{package}")
    higher = sorted(name for name in loaded if LAYERS.get(name, 0) > LAYERS[package])
    assert higher == [], f"import amts.{package} loaded higher layers: {higher}"


@pytest.mark.parametrize("helper", HELPERS)
def test_a_helper_loads_no_layer(helper: str) -> None:
    loaded = loaded_after_import(f"amts.{helper}")
    assert not loaded & set(LAYERS), f"import amts.{helper} loaded {sorted(loaded & set(LAYERS))}"


def test_the_sync_core_runs_no_git_and_calls_no_service() -> None:
    """Git, the edition's state and GitHub live in amts.edition: every sync module loads none of them."""
    code = ("import sys, json, pkgutil, importlib, amts.sync; "
            "[importlib.import_module(m.name) for m in pkgutil.walk_packages(amts.sync.__path__, 'amts.sync.')]; "
            "print(json.dumps(sorted(n for n in sys.modules if n.startswith(('amts.edition', 'httpx', 'tarfile')))))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert json.loads(result.stdout) == []
    running = [p.relative_to(REPO).as_posix() for p in (REPO / "amts" / "sync").rglob("*.py")
               if re.search(r"\bsubprocess\b|[\"']git[\"']", p.read_text())]
    assert running == []


def test_the_document_layer_does_not_load_engines() -> None:
    assert "engines" not in loaded_after_import("amts.document")


def test_engines_are_listed_in_one_table_whatever_else_is_imported() -> None:
    code = ("import json, pkgutil, importlib, amts; from amts.engines import engine_names; before = engine_names(); "
            "[importlib.import_module(m.name) for m in pkgutil.walk_packages(amts.__path__, 'amts.') "
            " if not m.name.endswith(('__main__', '.worker'))]; "
            "print(json.dumps([before, engine_names()]))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    before, after = json.loads(result.stdout)
    assert before == after
    assert {"identity", "pseudo", "counting", "cpu-bound"} <= set(before)
    assert "memory" not in before  # "memory and glossary only" is a choice of the setup, not an engine


def test_engines_describe_themselves_and_test_engines_are_hidden_from_users() -> None:
    from amts.adapt.setup import SetupError, check_engine_name, runs_as_job
    from amts.engines import engine_class, engine_names

    for_users = engine_names(for_users=True)
    assert for_users and not [name for name in for_users if engine_class(name).for_tests]
    assert {name for name in engine_names() if engine_class(name).for_tests} == {"identity", "pseudo", "counting",
                                                                                 "cpu-bound"}
    assert [name for name in engine_names() if runs_as_job(name)] == ["aws-batch"]
    assert {name for name in for_users if engine_class(name).needs_network} == {"aws", "aws-batch", "openai"}
    with pytest.raises(SetupError) as refused:
        check_engine_name("nope")
    assert "pseudo" not in str(refused.value) and "memory" in str(refused.value)


def _compared_strings(path: Path) -> list[tuple[int, str]]:
    """(line, value) of every string constant a comparison of the module tests against (``x == "s"``,
    ``x in ("s", ...)``): how code special-cases a name."""
    import ast

    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Compare):
            for operand in (node.left, *node.comparators):
                items = operand.elts if isinstance(operand, (ast.Tuple, ast.List, ast.Set)) else [operand]
                found += [(item.lineno, item.value) for item in items
                          if isinstance(item, ast.Constant) and isinstance(item.value, str)]
    return found


def test_no_code_outside_the_engines_package_special_cases_an_engine_by_name() -> None:
    """Code asks an engine what it is (``runs_as_job``, ``needs_network``, ``for_tests``), never compares its name."""
    from amts.engines import engine_names

    names = set(engine_names())
    named = [f"{p.relative_to(REPO).as_posix()}:{line}: {value!r}" for p in _sources("engines")
             for line, value in _compared_strings(p) if value in names]
    assert named == []


def _sources(exclude: str) -> list[Path]:
    return [p for p in (REPO / "amts").rglob("*.py") if exclude not in p.relative_to(REPO / "amts").parts]


def test_only_the_adaptive_layer_constructs_a_translator() -> None:
    constructed = [p.relative_to(REPO).as_posix() for p in _sources("adapt")
                   if re.search(r"\bAdaptiveTranslator\(", re.sub(r"``.*?``|\"[^\"\n]*\"", "", p.read_text()))]
    assert constructed == []


def test_engines_are_registered_only_inside_the_engines_package() -> None:
    registering = [p.relative_to(REPO).as_posix() for p in _sources("engines")
                   if re.search(r"\bENGINES\[|register_engine|engines\.registry import .*ENGINES", p.read_text())]
    assert registering == []


def test_every_exception_of_amts_is_an_amts_error() -> None:
    """Expected failures share one base the command line prints as one line (a Ctrl-C is not a failure)."""
    code = ("import inspect, importlib, json, pkgutil, amts; from amts.errors import AmtsError; bad = []\n"
            "for m in pkgutil.walk_packages(amts.__path__, 'amts.'):\n"
            "    if m.name.endswith(('__main__', '.worker')): continue\n"
            "    for name, obj in vars(importlib.import_module(m.name)).items():\n"
            "        if inspect.isclass(obj) and issubclass(obj, BaseException) and obj.__module__ == m.name "
            "and not issubclass(obj, AmtsError): bad.append(f'{m.name}.{name}')\n"
            "print(json.dumps(bad))")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO)
    assert json.loads(result.stdout) == ["amts.cli.Interrupted"]


def _string_constants(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of the string literals of a module that are code: docstrings and ``help=`` texts
    (documentation for people) left out."""
    documentation: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            documentation.add(id(body[0].value))
        if isinstance(node, ast.keyword) and node.arg == "help":
            documentation.update(id(n) for n in ast.walk(node.value))
    return [(node.lineno, node.value) for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in documentation]


def test_the_markup_vocabulary_is_spelled_only_in_the_document_layer() -> None:
    """Roles, directives, code markers and slide marks are declared once (amts/document/markup.py):
    a pattern or a name of them written elsewhere is a second vocabulary that can disagree."""
    from amts.document import markup

    names = sorted({*markup.ROLES, *markup.DIRECTIVES})
    alternatives = "|".join(names)
    spelled = re.compile(
        rf":(?:{alternatives})\\?:"  # a role or directive written out: ":numref:", r":begin_tab\:"
        rf"|(?<![\w-])(?:{alternatives})(?=\|)|(?<=\|)(?:{alternatives})(?![\w-])"  # a name in an alternation
        + "".join(f"|{re.escape(marker)}" for marker in markup.CODE_MARKERS)
        + "".join(f"|{re.escape(mark)}|{re.escape(re.escape(mark))}" for mark in markup.SLIDE_MARKS)
    )
    ordinary_words = {"label", "ref", "cite", "width", "height", "bibliography"}
    named = {name for name in names if name not in ordinary_words}  # a string that is only the name
    found = []
    for path in _sources("document"):
        for line, text in _string_constants(ast.parse(path.read_text(encoding="utf-8"))):
            if spelled.search(text) or text in named:
                found.append(f"{path.relative_to(REPO).as_posix()}:{line}: {text[:60]!r}")
    assert found == [], "markup spelled outside amts/document (read amts.document.markup instead):\n" + "\n".join(found)


def test_no_function_of_a_hundred_lines_or_more() -> None:
    """Long functions hide their steps: a function (methods and nested ones included) stays under 100 lines."""
    import ast

    long = []
    for path in (REPO / "amts").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 >= 100:
                long.append(f"{path.relative_to(REPO).as_posix()}:{node.lineno} {node.name}")
    assert long == []
