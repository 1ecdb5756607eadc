"""What deploy/ promises without building anything: every setting documented, secrets kept out."""

from __future__ import annotations

import re
import subprocess
from importlib import metadata

from tests.bot_processes import ROOT


def settings_read() -> set[str]:
    """Return the environment variables bot/config.py reads."""
    source = "\n".join(
        (ROOT / "bot" / path).read_text(encoding="utf-8")
        for path in ("config.py", "feeds/settings.py")
    )
    names = re.findall(r'env\.get\("([A-Z_]+)"', source)
    names += re.findall(r'env\["([A-Z_]+)"\]', source)
    names += re.findall(r'_positive_number\(env, "([A-Z_]+)"', source)
    names += re.findall(r'_duration\(env, "([A-Z_]+)"', source)
    names += re.findall(r'_share\(env, "([A-Z_]+)"', source)
    return set(names)


def test_the_example_env_file_lists_every_setting_with_a_comment() -> None:
    lines = (ROOT / "deploy" / "bot.env.example").read_text(encoding="utf-8").splitlines()
    names = settings_read()
    assert len(names) > 20
    for name in sorted(names):
        index = next((i for i, line in enumerate(lines) if re.match(rf"#? ?{name}=", line)), None)
        assert index is not None, f"{name} is not in deploy/bot.env.example"
        assert lines[index - 1].startswith("# "), f"{name} has no comment above it"


def test_the_image_constraints_pin_every_dependency() -> None:
    pinned = {
        line.split("==")[0].lower().replace("_", "-")
        for line in (ROOT / "deploy" / "constraints.txt").read_text(encoding="utf-8").splitlines()
        if "==" in line
    }
    needed = {
        re.split(r"[\s\[<>=!~;]", requirement, maxsplit=1)[0].lower().replace("_", "-")
        for requirement in metadata.requires("weekly-commentary-bot") or []
        if "extra ==" not in requirement
    }
    assert needed, "the project's own dependencies are known"
    assert needed <= pinned, f"add to deploy/constraints.txt: {sorted(needed - pinned)}"


def test_the_token_file_is_ignored_and_never_enters_the_build() -> None:
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", "deploy/bot.env"], cwd=ROOT, check=False
    )
    assert ignored.returncode == 0
    context = (ROOT / ".dockerignore").read_text(encoding="utf-8").splitlines()
    for entry in (".git", ".venv", "data", "deploy/bot.env", "tests"):
        assert entry in context


def test_the_production_image_needs_a_token_and_carries_no_stand_in() -> None:
    dockerfile = (ROOT / "deploy" / "Dockerfile").read_text(encoding="utf-8")
    production = dockerfile.split("AS production", 1)[1]
    runtime = dockerfile.split("AS runtime", 1)[1].split("AS demo", 1)[0]
    assert '"--require-token"' in production
    assert "standin" not in runtime and "standin" not in production
    assert "USER 10001:10001" in runtime and "HEALTHCHECK" in runtime
