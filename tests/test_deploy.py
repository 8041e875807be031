"""The container image, the compose file, the systemd unit and the locked versions."""

from __future__ import annotations

import configparser
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent


def _locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        if line.strip() and not line.startswith("#"):
            name, version = line.split("==")
            pins[_canonical(name)] = version.strip()
    return pins


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_the_image_copies_every_package_the_project_installs() -> None:
    found = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    packages = {p.rstrip("*") for p in found["packages"]["find"]["include"]}
    copied = set(re.findall(r"^COPY (\w+) \./\1$", (ROOT / "Dockerfile").read_text(), re.M))
    assert packages == copied


def test_every_dependency_is_locked_at_a_version_the_project_accepts() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _locked()
    for spec in project["dependencies"]:
        wanted = Requirement(spec)
        name = _canonical(wanted.name)
        assert name in pins, f"{wanted.name} is not in requirements.lock"
        assert wanted.specifier.contains(pins[name]), f"{name}=={pins[name]} is not {spec}"


def test_the_image_is_multi_stage_non_root_checked_locked_and_without_secrets() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert len(re.findall(r"^FROM ", dockerfile, re.M)) == 2
    user = re.findall(r"^USER (\S+)", dockerfile, re.M)
    assert user and user[-1] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n?.*/healthz", dockerfile, re.M)
    assert "requirements.lock" in dockerfile
    assert not re.search(r"(TOKEN|SECRET)\S*=", dockerfile)


def test_compose_runs_cocreate_on_postgresql_with_secrets_from_the_environment() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    assert "image: postgres:" in compose and "build: ." in compose
    assert "COCREATE_STORAGE__URL: postgresql://" in compose
    for secret in re.findall(r"(COCREATE_\w*(?:TOKEN|SECRET)\w*): (.*)", compose):
        assert secret[1] == f"${{{secret[0]}:-}}", secret  # only ever from the environment


def test_the_systemd_unit_runs_cocreate_as_its_own_user() -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read(ROOT / "deploy" / "cocreate.service")
    service = unit["Service"]
    assert service["ExecStart"].endswith(" run") and "db upgrade" in service["ExecStartPre"]
    assert service["User"] == "cocreate" and service["EnvironmentFile"] == "/etc/cocreate/env"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def _docker_unavailable() -> str | None:
    if shutil.which("docker") is None:
        return "no docker command on this machine"
    probe = subprocess.run(["docker", "info"], capture_output=True, text=True, check=False)
    if probe.returncode != 0:
        return (
            "the docker daemon does not answer: " + (probe.stderr.strip().splitlines() or [""])[-1]
        )
    return None


def test_the_image_builds_and_runs() -> None:
    why = _docker_unavailable()
    if why:
        pytest.skip(why)
    tag = "cocreate-test:latest"
    built = subprocess.run(
        ["docker", "build", "-t", tag, str(ROOT)], capture_output=True, text=True, check=False
    )
    assert built.returncode == 0, built.stderr[-2000:]
    ran = subprocess.run(
        ["docker", "run", "--rm", tag, "--version"], capture_output=True, text=True, check=False
    )
    assert ran.returncode == 0 and ran.stdout.startswith("cocreate "), ran.stderr


def test_the_two_process_variant_splits_shards_and_workspaces() -> None:
    two = (ROOT / "compose.two.yaml").read_text()
    assert (
        'COCREATE_DISCORD__SHARD_IDS: "[0]"' in two and 'COCREATE_DISCORD__SHARD_IDS: "[1]"' in two
    )
    assert 'COCREATE_SLACK__WORKSPACE_SHARD: "0"' in two
    assert 'COCREATE_SLACK__WORKSPACE_SHARD: "1"' in two
    assert "extends:" in two and "service: cocreate" in two
