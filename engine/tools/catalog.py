"""The tools every brain gets, by name: the one list a model's tool definitions come from."""

from __future__ import annotations

from engine.tools import forumtools as f
from engine.tools import inputs as i
from engine.tools import research as r
from engine.tools import workspace as w
from engine.tools.tool import ToolSpec

TOOLS: list[ToolSpec] = [
    ToolSpec("run_command", i.RunCommand, w.run_command),
    ToolSpec("read_file", i.ReadFile, w.read_file),
    ToolSpec("write_file", i.WriteFile, w.write_file),
    ToolSpec("list_dir", i.ListDir, w.list_dir),
    ToolSpec("run_experiment", i.RunExperiment, r.run_experiment),
    ToolSpec("experiment_lookup", i.ExperimentLookup, r.experiment_lookup),
    ToolSpec("submit", i.Submit, r.submit),
    ToolSpec("leaderboard", i.Leaderboard, r.leaderboard),
    ToolSpec("forum_post", i.ForumPostInput, f.forum_post),
    ToolSpec("forum_search", i.ForumSearch, f.forum_search),
    ToolSpec("forum_read", i.ForumRead, f.forum_read),
    ToolSpec("copy_snapshot", i.CopySnapshot, f.copy_snapshot),
]
