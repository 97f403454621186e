"""Tools on the agent's own sandbox: run a command, read, write and list files."""

from __future__ import annotations

from engine.events import CommandOutputPayload
from engine.tools.env import ToolEnv
from engine.tools.inputs import ListDir, ReadFile, RunCommand, WriteFile
from engine.tools.tool import ToolResult, cap

# Lines of one command streamed as events; the rest is still in the capped result.
STREAM_LINES_MAX = 2000


async def run_command(env: ToolEnv, inp: RunCommand) -> ToolResult:
    limit = env.config.sandbox.command_timeout
    timeout = min(inp.timeout or limit, limit)
    call_id = env.call_id
    streamed = 0

    def on_output(stream: str, line: str) -> None:
        nonlocal streamed
        streamed += 1
        if streamed <= STREAM_LINES_MAX:
            env.events.append(
                env.agent_id,
                CommandOutputPayload(
                    call_id=call_id,
                    stream="stderr" if stream == "stderr" else "stdout",
                    line=line[:2000],
                ),
            )

    result = await env.sandbox.exec(inp.command, timeout=timeout, on_output=on_output)
    if env.watch is not None:
        await env.watch.after_command(env.agent_id, call_id, inp.command, env.sandbox)
    out, cut_out = cap(result.stdout, 10_000)
    err, cut_err = cap(result.stderr, 5_000)
    text = out + (f"\n[stderr]\n{err}" if err.strip() else "")
    status = f"[exit {result.exit_code}{', timed out' if result.timed_out else ''}]"
    return ToolResult(
        ok=result.ok,
        output=f"{text}\n{status}".strip(),
        error=None if result.ok else status,
        data={"exit_code": result.exit_code, "timed_out": result.timed_out},
        truncated=result.truncated or cut_out or cut_err,
    )


async def read_file(env: ToolEnv, inp: ReadFile) -> ToolResult:
    data = await env.sandbox.read_file(inp.path, max_bytes=inp.max_bytes)
    return ToolResult(ok=True, output=data.decode("utf-8", errors="replace"))


async def write_file(env: ToolEnv, inp: WriteFile) -> ToolResult:
    data = inp.content.encode()
    await env.sandbox.write_file(inp.path, data)
    return ToolResult(ok=True, output=f"wrote {len(data)} bytes to {inp.path}")


async def list_dir(env: ToolEnv, inp: ListDir) -> ToolResult:
    entries = await env.sandbox.list_dir(inp.path)
    lines = [
        f"{e.name}{'/' if e.kind == 'dir' else ''}\t{e.size}"
        for e in sorted(entries, key=lambda e: e.name)
    ]
    return ToolResult(
        ok=True,
        output="\n".join(lines) or "(empty)",
        data={"entries": [{"name": e.name, "kind": e.kind, "size": e.size} for e in entries]},
    )
