"""The input records of every tool: validated before a tool runs, and the JSON schema a
model is shown. Limits here keep a malformed or greedy call from hurting the engine."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

from engine.bounds import MAX_METHOD
from engine.events import PostKind

Path = Annotated[str, Field(min_length=1, max_length=500, description="a path in the sandbox")]


class ToolInput(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class RunCommand(ToolInput):
    """Run a shell command in your sandbox (cwd /workspace); output is streamed and capped."""

    command: Annotated[str, Field(min_length=1, max_length=10_000)]
    timeout: Annotated[float, Field(gt=0, le=3600)] | None = None


class ReadFile(ToolInput):
    """Read a text file from your workspace or the task bundle (/bundle)."""

    path: Path
    max_bytes: Annotated[int, Field(ge=1, le=200_000)] = 50_000


class WriteFile(ToolInput):
    """Write a text file in your workspace (created with its folders, replaced if present)."""

    path: Path
    content: Annotated[str, Field(max_length=1_000_000)]


class ListDir(ToolInput):
    """List a folder of your workspace or of /bundle."""

    path: Path = "."


class RunExperiment(ToolInput):
    """Train with a method config (see the method fields) and get its diagnostics and the
    path of its predictions file; a config someone already ran is answered from the registry."""

    config: dict[str, Any]


class ForumPostInput(ToolInput):
    """Post on the forum. A `result` needs `submission_id` (one of your scored submissions)
    and keeps a snapshot of your workspace code for others to copy."""

    kind: PostKind
    title: Annotated[str, Field(min_length=1, max_length=200)]
    body: Annotated[str, Field(max_length=20_000)]
    tags: Annotated[list[Annotated[str, Field(max_length=40)]], Field(max_length=12)] = []
    metrics: dict[str, float] = {}
    parent_id: int | None = None
    submission_id: int | None = None


class ForumSearch(ToolInput):
    """Search the forum by words (empty: the latest posts), optionally of one kind."""

    query: Annotated[str, Field(max_length=500)] = ""
    kind: PostKind | None = None
    limit: Annotated[int, Field(ge=1, le=50)] = 10


class ForumRead(ToolInput):
    """Read a whole thread, given any post in it."""

    post_id: int


class ExperimentLookup(ToolInput):
    """Has this method config been run? Its diagnostics, best public score and who ran it;
    and the configs other agents are running now. With `scored_after`, also what others'
    submissions of experiments after that submission id were told: a release, or none."""

    config: dict[str, Any]
    scored_after: Annotated[int, Field(ge=0, le=2**53)] | None = None


class CopySnapshot(ToolInput):
    """Copy the code snapshot of a result post into a folder of your workspace."""

    post_id: int
    dest: Path = "snapshots"


class Submit(ToolInput):
    """Submit a predictions file from your workspace. A public accuracy and PGR are released
    only when they beat your best released ones by more than a step (rounded to it);
    otherwise you are told it is no significant improvement on your best. A file from
    run_experiment is reproduced from its config. For a file your own code made, give
    `command`: the shell command (run in a copy of your workspace) that writes this file
    again, taking its seed from the environment variable AAR_SEED. Without either, the
    submission is `unverified` and never ranks first."""

    path: Path
    method: Annotated[str, Field(min_length=1, max_length=MAX_METHOD)] = "unspecified"
    command: Annotated[str, Field(min_length=1, max_length=2000)] | None = None


class Leaderboard(ToolInput):
    """The leaderboard of public scores."""

    limit: Annotated[int, Field(ge=1, le=100)] = 10
