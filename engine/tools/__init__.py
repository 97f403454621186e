"""The tools an agent acts through: `toolbox` (validate, run, record), `catalog` (their
names), `inputs` (what each takes), `tool` (a spec and its result), and one module per
kind of tool: `workspace`, `research`, `forumtools`; `env` is what a tool may touch."""
