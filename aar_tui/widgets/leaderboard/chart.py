"""The best public PGR over the run's time, with the weak (0) and ceiling (1) lines."""

from __future__ import annotations

from textual_plotext import PlotextPlot

from aar_tui.model import RunModel


class BestChart(PlotextPlot):
    DEFAULT_CSS = """
    BestChart { height: 1fr; min-height: 8; }
    """

    def show(self, model: RunModel, now: float) -> None:
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        start = model.run.started_at if model.run and model.run.started_at else None
        history = model.best_history
        origin = start if start is not None else (history[0][0] if history else now)
        end_min = max(1.0, (now - origin) / 60)
        plt.title("best public PGR by minute · weak = 0 · ceiling = 1")
        plt.hline(0.0, "red")
        plt.hline(1.0, "green")
        if history:
            xs = [(ts - origin) / 60 for ts, _ in history] + [end_min]
            ys = [pgr for _, pgr in history] + [history[-1][1]]
            plt.plot(xs, ys, marker="braille", label="best")
            low = min(0.0, *ys)
            high = max(1.0, *ys)
        else:
            low, high = 0.0, 1.0
        plt.xlim(0, end_min)
        plt.ylim(low - 0.05, high + 0.05)
        self.refresh()
