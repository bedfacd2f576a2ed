"""Plugin discovery through real entry-point metadata; broken plugins are isolated and reported."""

import pytest

from qflow_core import Boltzmann, IsingMemory
from qflow_core.cli.plugins import format_table
from qflow_core.errors import InvalidInputError
from qflow_core.registry import Registry, available_samplers, get_sampler, list_plugins, samplers_supporting

GOOD = """
from qflow_core.hookspecs import hookimpl
from qflow_sa import SimulatedAnnealing

class Renamed(SimulatedAnnealing):
    '''An SA clone under another name.'''
    name = "sa-clone"
    aliases = ()

@hookimpl
def qflow_samplers():
    return [Renamed]
"""


def test_builtin_and_third_party_plugins_are_discovered():
    names = {p.name: p for p in list_plugins()}
    assert names["sa"].error is None and names["sa"].distribution == "qflow"
    assert names["enum"].distribution == "qflow-enum"
    assert {"sa", "enum"} <= set(available_samplers())
    assert samplers_supporting(Boltzmann(beta=1)) >= ["enum", "sa"] or {"enum", "sa"} <= set(
        samplers_supporting(Boltzmann(beta=1))
    )


def test_plugin_raising_at_import_is_listed_and_others_work(installed_plugin):
    installed_plugin("broken", "raise RuntimeError('this plugin is deliberately broken')\n")
    plugins = {p.name: p for p in list_plugins()}
    assert plugins["broken"].error == "RuntimeError: this plugin is deliberately broken"
    assert "deliberately broken" in plugins["broken"].traceback
    assert plugins["broken"].distribution == "qflow-testplugin-broken"
    assert "FAILED plugin 'broken'" in format_table(list(plugins.values()))
    bqm = IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm()
    assert len(get_sampler("sa").run(bqm, Boltzmann(beta=1), num_reads=5, seed=0)) > 0


def test_plugin_whose_hook_fails_or_returns_junk_is_reported(installed_plugin):
    installed_plugin(
        "hookfail",
        """
        from qflow_core.hookspecs import hookimpl
        @hookimpl
        def qflow_samplers():
            raise ImportError("optional backend library missing")
    """,
    )
    installed_plugin(
        "junk",
        """
        from qflow_core.hookspecs import hookimpl
        @hookimpl
        def qflow_samplers():
            return [object]
    """,
    )
    plugins = {p.name: p for p in list_plugins()}
    assert plugins["hookfail"].error == "ImportError: optional backend library missing"
    assert "not a qflow Sampler subclass" in plugins["junk"].error
    assert plugins["sa"].error is None


def test_third_party_entry_point_sampler_is_usable(installed_plugin):
    installed_plugin("clone", GOOD)
    sampler = get_sampler("sa-clone")
    assert sampler.name == "sa-clone"
    info = next(p for p in list_plugins() if p.name == "clone")
    assert info.samplers[0].summary == "An SA clone under another name."


def test_unknown_sampler_names_the_installed_ones():
    with pytest.raises(InvalidInputError, match=r"no sampler named 'nope'; installed samplers: .*sa"):
        get_sampler("nope")


def test_deprecated_alias_warns():
    with pytest.warns(DeprecationWarning, match="'neal' is a deprecated alias of 'sa'"):
        assert get_sampler("neal").name == "sa"


def test_in_process_registration_and_duplicate_names():
    import qflow_sa

    registry = Registry(group="qflow-nothing-here")
    info = registry.register(qflow_sa, name="sa-again")
    assert [s.name for s in info.samplers] == ["sa"]
    assert registry.get("sa").name == "sa"


def test_run_many_equals_individual_runs_with_child_seeds():
    from qflow_core.protocols import Survival
    from qflow_core.seeding import child_seed

    sampler = get_sampler("sa")
    bqm = IsingMemory([[0, 1.0, 0.5], [1.0, 0, -0.3], [0.5, -0.3, 0]]).to_bqm()
    protocols = [Survival(s, gamma=0.1, time=2, regime="dephased", beta=1.0) for s in [(1, 1, 1), (1, -1, 1)]]
    batch = sampler.run_many(bqm, protocols, num_reads=50, seed=9)
    for i, (protocol, result) in enumerate(zip(protocols, batch, strict=True)):
        single = sampler.run(bqm, protocol, num_reads=50, seed=child_seed(9, i))
        assert result.info["qflow"]["seed"] == child_seed(9, i)
        assert (result.record.sample == single.record.sample).all()


FACTORY = """
from qflow_core.hookspecs import hookimpl
from qflow_sa import SimulatedAnnealing

class Tuned(SimulatedAnnealing):
    name = "sa-tuned"
    aliases = ()

def make_tuned():
    return Tuned()

@hookimpl
def qflow_samplers():
    return [make_tuned]
"""


def test_a_plugin_may_provide_a_zero_argument_factory(installed_plugin):
    installed_plugin("factory", FACTORY)
    sampler = get_sampler("sa-tuned")
    assert type(sampler).__name__ == "Tuned"
    info = next(p for p in list_plugins() if p.name == "factory")
    assert info.state == "ready" and [s.name for s in info.samplers] == ["sa-tuned"]
    with pytest.raises(InvalidInputError, match="zero-argument factory"):
        get_sampler("sa-tuned", beta=1)


def test_a_misspelt_hook_implementation_fails_the_plugin_loudly(installed_plugin):
    installed_plugin(
        "misspelt",
        """
        from qflow_core.hookspecs import hookimpl
        @hookimpl
        def qflow_sampler():   # missing the final s
            return []
        """,
    )
    plugins = {p.name: p for p in list_plugins()}
    assert plugins["misspelt"].state == "failed"
    assert "qflow_sampler" in plugins["misspelt"].error
    assert plugins["sa"].state == "ready"


@pytest.mark.parametrize(
    "statement", ["import sys; sys.exit('plugin quits')", "raise SystemExit(3)", "raise GeneratorExit"]
)
def test_a_plugin_exiting_at_import_is_isolated_and_named(installed_plugin, statement):
    installed_plugin("quitter", statement + "\n")
    plugins = {p.name: p for p in list_plugins()}
    assert plugins["quitter"].state == "failed"
    assert plugins["quitter"].distribution == "qflow-testplugin-quitter"
    assert get_sampler("sa").name == "sa"


def test_a_plugin_missing_its_extra_is_listed_with_the_pip_line(installed_plugin):
    installed_plugin(
        "needsextra",
        "from qflow_core.errors import MissingExtraError\nraise MissingExtraError('fancylib', extra='fancy')\n",
    )
    info = {p.name: p for p in list_plugins()}["needsextra"]
    assert info.state == "missing extra" and "pip install" in info.error


HIJACK = """
from qflow_core.hookspecs import hookimpl
from qflow_sa import SimulatedAnnealing

class Impostor(SimulatedAnnealing):
    '''Claims the built-in name.'''
    name = "sa"
    aliases = ()

@hookimpl
def qflow_samplers():
    return [Impostor]
"""


def test_a_plugin_cannot_silently_take_over_a_builtin_name(installed_plugin):
    installed_plugin("aaa", HIJACK)  # "aaa" sorts, and so loads, before the built-in "sa"
    with pytest.raises(InvalidInputError) as info:
        get_sampler("sa")
    message = str(info.value)
    assert "'qflow'" in message and "'qflow-testplugin-aaa'" in message and "plugin=" in message
    assert type(get_sampler("sa", plugin="qflow")).__name__ == "SimulatedAnnealing"
    assert type(get_sampler("sa", plugin="qflow-testplugin-aaa")).__name__ == "Impostor"
    with pytest.raises(InvalidInputError, match="no plugin 'nobody' provides sampler 'sa'"):
        get_sampler("sa", plugin="nobody")


def test_results_record_the_distribution_that_produced_them():
    bqm = IsingMemory([[0, 1.0], [1.0, 0]]).to_bqm()
    record = get_sampler("sa").run(bqm, Boltzmann(beta=1), num_reads=5, seed=0).info["qflow"]
    assert record["distribution"]["name"] == "qflow" and record["distribution"]["version"]
    record = get_sampler("enum").run(bqm, Boltzmann(beta=1), num_reads=5, seed=0).info["qflow"]
    assert record["distribution"]["name"] == "qflow-enum"
