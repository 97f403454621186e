"""A run's default name is unique on the machine, not just in its runs directory.

Local sandboxes, their cgroups and Docker containers are named after the run, machine-wide,
so two runs started in the same minute from different runs directories (two test suites,
two users as root) must not share a name: the second one's agents would fail to start.
"""

from __future__ import annotations

import re

from engine.config import load
from engine.run.names import run_name


def test_runs_named_in_the_same_minute_never_share_a_name(tmp_path):
    # More names than there are words: a name drawn from the words alone must repeat.
    configs = [load(None, {"run_dir": str(tmp_path / f"run{i}")}) for i in range(31)]
    names = [run_name(config) for config in configs]
    assert len(set(names)) == len(names), names
    assert all(re.fullmatch(r"toy-[a-z]{3}\d{2}-\d{4}-[a-z]+-[0-9a-f]{6}", n) for n in names)


def test_a_given_name_is_kept():
    assert run_name(load(None, {"name": "ablation-7"})) == "ablation-7"
