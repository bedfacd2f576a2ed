"""Shared fixtures."""

import textwrap

import pytest

import qflow_core.registry as registry


@pytest.fixture
def fresh_registry(monkeypatch):
    """Make get_sampler()/list_plugins() rediscover entry points (e.g. after adding one to sys.path)."""
    monkeypatch.setattr(registry, "_default", None)
    yield
    registry._default = None


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch, fresh_registry):
    """Install a throw-away plugin distribution on sys.path: ``installed_plugin(name, source)``."""

    def install(name: str, source: str) -> None:
        module = f"qflow_testplugin_{name}"
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
        dist = tmp_path / f"qflow_testplugin_{name}-0.1.dist-info"
        dist.mkdir()
        (dist / "METADATA").write_text(f"Metadata-Version: 2.1\nName: qflow-testplugin-{name}\nVersion: 0.1\n")
        (dist / "entry_points.txt").write_text(f"[qflow]\n{name} = {module}\n")
        monkeypatch.syspath_prepend(str(tmp_path))

    return install
