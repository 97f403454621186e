"""PGR over time as a PNG: every scored submission, and the best so far on each half."""

from __future__ import annotations

from pathlib import Path

from engine.report.data import RunData


def draw_pgr(data: RunData, path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")  # no display: a report is written on servers too
    import matplotlib.pyplot as plt

    start = data.snapshot.run.started_at or min((s.ts for s in data.submissions), default=0.0)
    scored = [s for s in data.submissions if s.scored and s.public and s.public.pgr is not None]
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    agents = sorted({s.agent_id for s in scored}, key=lambda a: (len(a), a))
    for agent in agents:
        mine = [s for s in scored if s.agent_id == agent]
        ax.scatter(
            [(s.ts - start) / 60 for s in mine],
            [s.public.pgr for s in mine if s.public and s.public.pgr is not None],
            s=18,
            alpha=0.7,
            label=f"{agent} (public)",
        )
    for half, style in (("public", "-"), ("private", "--")):
        xs, ys, best = [], [], None
        for s in sorted(scored, key=lambda s: s.ts):
            score = getattr(s, half)
            if s.voided or score is None or score.pgr is None:
                continue
            if best is None or score.pgr > best:
                best = score.pgr
            xs.append((s.ts - start) / 60)
            ys.append(best)
        if xs:
            ax.step(xs, ys, style, where="post", color="black", label=f"best so far ({half})")
    ax.axhline(0.0, color="grey", lw=0.8)
    ax.axhline(1.0, color="grey", lw=0.8, ls=":")
    ax.set_xlabel("minutes since the run started")
    ax.set_ylabel("PGR (0: weak supervisor, 1: ceiling)")
    ax.set_title(f"{data.snapshot.run.name}: PGR over time")
    if scored:
        ax.legend(fontsize=7, loc="lower right")
    else:
        ax.text(0.5, 0.5, "no scored submissions", ha="center", transform=ax.transAxes)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path
