"""The Claude models the brain knows: the default, the price table and the context windows.

The one place where a model's id, its prices and its context window are written down.
Prices are US dollars per million tokens (from Anthropic's models overview); prompt-cache
writes cost 1.25x the input price (five-minute cache) and cache reads 0.1x.
"""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_MODEL = "claude-opus-5"

CACHE_WRITE_FACTOR = 1.25
CACHE_READ_FACTOR = 0.10


@dataclass(frozen=True)
class ModelCard:
    id: str
    name: str
    input_usd_per_mtok: float
    output_usd_per_mtok: float
    context_tokens: int


MODELS: dict[str, ModelCard] = {
    m.id: m
    for m in (
        ModelCard("claude-opus-5", "Claude Opus 5", 5.0, 25.0, 1_000_000),
        ModelCard("claude-sonnet-5", "Claude Sonnet 5", 2.0, 10.0, 200_000),
        ModelCard("claude-haiku-4-5", "Claude Haiku 4.5", 1.0, 5.0, 200_000),
    )
}

# A model the table does not list is priced as the dearest one, so budgets err on the safe side.
_FALLBACK = MODELS[DEFAULT_MODEL]


def card(model: str) -> ModelCard:
    """The card of `model`; a dated id (`claude-haiku-4-5-20251001`) matches its family."""
    if model in MODELS:
        return MODELS[model]
    for known, c in MODELS.items():
        if model.startswith(known + "-"):
            return c
    return ModelCard(
        model, model, _FALLBACK.input_usd_per_mtok, _FALLBACK.output_usd_per_mtok, 200_000
    )


def known(model: str) -> bool:
    return card(model).name != model


@dataclass(frozen=True)
class CallUsage:
    """The usage fields of one model call, as the API reports them."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_write_tokens: int = 0

    @property
    def prompt_tokens(self) -> int:
        """Every input token the call processed, cached or not."""
        return self.input_tokens + self.cache_read_tokens + self.cache_write_tokens

    def __add__(self, other: CallUsage) -> CallUsage:
        return CallUsage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.cache_read_tokens + other.cache_read_tokens,
            self.cache_write_tokens + other.cache_write_tokens,
        )


def cost_usd(model: str, usage: CallUsage) -> float:
    c = card(model)
    per_in = c.input_usd_per_mtok / 1e6
    return (
        usage.input_tokens * per_in
        + usage.cache_write_tokens * per_in * CACHE_WRITE_FACTOR
        + usage.cache_read_tokens * per_in * CACHE_READ_FACTOR
        + usage.output_tokens * c.output_usd_per_mtok / 1e6
    )


def run_estimate_usd(
    model: str,
    *,
    agents: int,
    hours: float,
    calls_per_hour: float = 60.0,
    prompt_tokens: int = 60_000,
    output_tokens: int = 800,
    cached_share: float = 0.9,
) -> float:
    """A rough cost of a run: each call reads `prompt_tokens`, `cached_share` of them from
    the cache, and writes `output_tokens`; the new part of the prompt is a cache write."""
    cached = int(prompt_tokens * cached_share)
    per_call = CallUsage(
        input_tokens=0,
        output_tokens=output_tokens,
        cache_read_tokens=cached,
        cache_write_tokens=prompt_tokens - cached,
    )
    return cost_usd(model, per_call) * calls_per_hour * hours * agents
