"""`aar claude check`: is the key good, which models can it use, and does caching work?

It lists the models (Models API), then makes two small calls that share a cacheable
prefix and reports each call's latency and the cache-read tokens of the second.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import click

# A prefix (about 6k tokens) above every model's minimum cacheable length (up to 4096 tokens).
PREFIX_LINES = 220


def _prefix() -> str:
    lines = [
        f"Reference note {i}: the strong student learns from the weak teacher's labels,"
        f" and PGR measures the gap it recovers (line {i} of {PREFIX_LINES})."
        for i in range(PREFIX_LINES)
    ]
    return "You check prompt caching. Ignore these notes.\n" + "\n".join(lines)


async def _call(client: Any, model: str, prefix: str) -> dict[str, Any]:
    started = time.perf_counter()
    reply = await client.messages.create(
        model=model,
        max_tokens=16,
        system=[{"type": "text", "text": prefix, "cache_control": {"type": "ephemeral"}}],
        messages=[{"role": "user", "content": "Reply with the word ok."}],
    )
    u = reply.usage
    return {
        "latency_s": round(time.perf_counter() - started, 3),
        "input_tokens": u.input_tokens,
        "output_tokens": u.output_tokens,
        "cache_write_tokens": u.cache_creation_input_tokens or 0,
        "cache_read_tokens": u.cache_read_input_tokens or 0,
    }


async def run_check(model: str) -> dict[str, Any]:
    from engine.brains.claude.catalogue import list_models, unlisted_warning
    from engine.brains.claude.models import MODELS
    from engine.brains.claude.retry import classify
    from engine.brains.claude.transport import make_client

    client = make_client(timeout=120.0)
    try:
        listed = await list_models(client)
        prefix = _prefix()
        calls = [await _call(client, model, prefix) for _ in range(2)]
    except Exception as exc:
        raise click.ClickException(classify(exc).message) from None
    finally:
        await client.close()
    return {
        "model": model,
        "models": [
            {
                "id": m.id,
                "name": m.display_name,
                "context_tokens": m.context_tokens,
                "priced": m.id in MODELS,
            }
            for m in listed
        ],
        "warning": unlisted_warning(model, listed),
        "calls": calls,
    }


def _print(report: dict[str, Any]) -> None:
    from engine.brains.claude.models import card

    click.echo("models this key can use:")
    for m in report["models"]:
        context = f"{m['context_tokens']:,} tokens" if m["context_tokens"] else "context ?"
        price = ""
        if m["priced"]:
            c = card(m["id"])
            price = f"  ${c.input_usd_per_mtok:g} / ${c.output_usd_per_mtok:g} per M tokens"
        click.echo(f"  {m['id']:<28} {m['name']:<22} {context:>18}{price}")
    if report["warning"]:
        click.echo(f"warning: {report['warning']}", err=True)
    for n, c in enumerate(report["calls"], 1):
        click.echo(
            f"call {n} ({report['model']}): {c['latency_s']:.2f} s, input {c['input_tokens']},"
            f" cache write {c['cache_write_tokens']}, cache read {c['cache_read_tokens']}"
        )
    if report["calls"][1]["cache_read_tokens"] == 0:
        click.echo("warning: the second call read nothing from the prompt cache", err=True)


@click.group()
def claude() -> None:
    """Claude: check the API key, the models it can use, and prompt caching."""


@claude.command()
@click.option("--model", help="The model to try (default: the brain's default model).")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def check(model: str | None, as_json: bool) -> None:
    """List the models, make two small calls sharing a cached prefix, report latency."""
    from engine.brains.claude.models import DEFAULT_MODEL
    from engine.brains.claude.transport import KEY_HINT, has_key

    if not has_key():
        raise click.ClickException(f"no Anthropic API key: {KEY_HINT}")
    report = asyncio.run(run_check(model or DEFAULT_MODEL))
    if as_json:
        click.echo(json.dumps(report))
    else:
        _print(report)
