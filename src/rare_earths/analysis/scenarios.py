"""Uncertainty: Monte Carlo sweeps and tornado tables over the book's uncertain inputs.

Each *model* maps arrays of inputs to arrays of outputs with the same formulas the registry
uses (:mod:`rare_earths.analysis.costs`, :mod:`rare_earths.analysis.rebuild`): vectorised with NumPy, no Python
loop per draw, so a sweep of a million draws takes a fraction of a second.

Each uncertain input has ``low``, ``central`` and ``high`` and a distribution:

* ``uniform``: every value in ``[low, high]`` equally likely (``central`` used by the tornado only);
* ``triangular``: most likely at ``central``, falling linearly to zero at ``low`` and ``high``;
* ``fixed``: always ``central`` (a contract term, or a what-if knob such as the volume).

:func:`default_inputs` builds them from the resolved parameters (:mod:`rare_earths.params`)
and the data, and says on what basis each range rests; pass your own to explore others.

A *tornado* table moves one input at a time from ``low`` to ``high`` with the others at
``central``, and ranks the inputs by how far each moves each output (``swing = |out(high) -
out(low)|``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from rare_earths.analysis import costs
from rare_earths.analysis import rebuild
from rare_earths.params.checks import ParameterError, check_int, check_number, check_range

DISTRIBUTIONS = ("uniform", "triangular", "fixed")
MAX_DRAWS = 50_000_000


@dataclass(frozen=True)
class UncertainInput:
    """One uncertain input: its range, distribution, unit and the basis for the range."""

    name: str
    low: float
    central: float
    high: float
    distribution: str = "uniform"
    unit: str = ""
    basis: str = ""

    def __post_init__(self):
        for part in ("low", "central", "high"):
            object.__setattr__(self, part, check_number(f"{self.name}.{part}", getattr(self, part)))
        check_range(f"{self.name}.low", self.low, f"{self.name}.central", self.central)
        check_range(f"{self.name}.central", self.central, f"{self.name}.high", self.high)
        if self.distribution not in DISTRIBUTIONS:
            raise ParameterError(f"{self.name}.distribution={self.distribution}: must be one of {', '.join(DISTRIBUTIONS)}")

    @property
    def is_fixed(self) -> bool:
        return self.distribution == "fixed" or self.low == self.high

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        if self.is_fixed:
            return np.full(n, self.central)
        if self.distribution == "uniform":
            return rng.uniform(self.low, self.high, n)
        return rng.triangular(self.low, self.central, self.high, n)


@dataclass(frozen=True)
class Model:
    """A vectorised model: ``fn(**inputs) -> {output: array}``; ``outputs`` maps names to units."""

    name: str
    inputs: tuple[str, ...]
    outputs: Mapping[str, str]
    fn: Callable[..., dict]
    description: str = ""

    def __call__(self, values: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
        missing = [k for k in self.inputs if k not in values]
        if missing:
            raise ParameterError(f"{missing[0]}=<missing>: model {self.name} needs inputs {', '.join(self.inputs)}")
        out = self.fn(**{k: values[k] for k in self.inputs})
        return {k: np.asarray(out[k], dtype=float) for k in self.outputs}


def _cost_gap_model(china_cost_usd_per_kg, cost_gap, volume_t):
    return {
        "us_cost_usd_per_kg": costs.us_unit_cost(china_cost_usd_per_kg, cost_gap),
        "extra_usd_per_kg": costs.extra_cost_per_kg(china_cost_usd_per_kg, cost_gap),
        "subsidy_usd_m_per_year": costs.subsidy_to_close_gap_usd_m(china_cost_usd_per_kg, cost_gap, volume_t),
    }


def _floor_model(floor_price_usd_per_kg, market_price_usd_per_kg, volume_t, dod_upside_share):
    return {
        "floor_multiple": costs.floor_multiple(floor_price_usd_per_kg, market_price_usd_per_kg),
        "topup_usd_m_per_year": costs.floor_topup_usd_m_per_year(floor_price_usd_per_kg, market_price_usd_per_kg, volume_t),
        "net_usd_m_per_year": costs.floor_net_payment_usd_m_per_year(
            floor_price_usd_per_kg, market_price_usd_per_kg, volume_t, dod_upside_share),
    }


def _rebuild_model(rebuild_total_usd_bn, rebuild_years, committed_usd_bn, elapsed_years):
    pace = np.asarray(committed_usd_bn, dtype=float) / np.asarray(elapsed_years, dtype=float)
    return {
        "annual_need_usd_bn": rebuild.annual_need_usd_bn(rebuild_total_usd_bn, rebuild_years),
        "coverage_pct": rebuild.coverage_pct(committed_usd_bn, rebuild_total_usd_bn),
        "years_to_reach": rebuild.years_to_reach(committed_usd_bn, rebuild_total_usd_bn, pace),
    }


MODELS: dict[str, Model] = {
    "cost_gap": Model(
        "cost_gap", ("china_cost_usd_per_kg", "cost_gap", "volume_t"),
        {"us_cost_usd_per_kg": "USD/kg", "extra_usd_per_kg": "USD/kg", "subsidy_usd_m_per_year": "USD m/yr"},
        _cost_gap_model, "US unit cost, extra cost per kg and closing subsidy per year",
    ),
    "floor": Model(
        "floor", ("floor_price_usd_per_kg", "market_price_usd_per_kg", "volume_t", "dod_upside_share"),
        {"floor_multiple": "x", "topup_usd_m_per_year": "USD m/yr", "net_usd_m_per_year": "USD m/yr"},
        _floor_model, "The NdPr floor as a multiple of market and the DoD top-up per year",
    ),
    "rebuild": Model(
        "rebuild", ("rebuild_total_usd_bn", "rebuild_years", "committed_usd_bn", "elapsed_years"),
        {"annual_need_usd_bn": "USD bn/yr", "coverage_pct": "%", "years_to_reach": "years"},
        _rebuild_model, "Annual need, coverage of the estimate and years to reach it at the observed pace",
    ),
}


def get_model(name: str) -> Model:
    if name not in MODELS:
        raise ParameterError(f"model={name}: must be one of {', '.join(MODELS)}")
    return MODELS[name]


def default_inputs(model: str, params: Mapping | None = None, data=None) -> dict[str, UncertainInput]:
    """The book's uncertain inputs for a model, centred on the resolved parameters.

    Ranges and their basis:

    * ``cost_gap``: uniform on [cost_gap_low, cost_gap_high] (the article's 30–40 %);
    * ``china_cost_usd_per_kg``: triangular from half the parameter up to the parameter, most
      likely at the parameter (the default is a ceiling; the book's assumption);
    * ``market_price_usd_per_kg``: uniform over the NdPr prices around the deal
      (:func:`rare_earths.data.queries.prices_around_deal`: the USGS averages of the year before
      and of the deal year, and the deal-day benchmark) and the parameter;
    * ``rebuild_total_usd_bn``: triangular from the parameter to 1.5 times it, most likely at
      the parameter ("over $200 billion" is a lower bound; the 1.5 is the book's assumption);
    * ``rebuild_years``: triangular from 2/3 to 4/3 of the parameter (the book's assumption);
    * ``committed_usd_bn``: triangular between the 'firm' and the 'all' scopes, most likely at
      the chosen scope;
    * volume, floor, upside share and elapsed time: fixed.
    """
    from rare_earths.data.load import load_table
    from rare_earths.params.resolve import ResolvedParameters, resolve_lazily

    # Lazily: a model reads only its own parameters, so only their defaults touch the data.
    p = params if isinstance(params, ResolvedParameters) else resolve_lazily(dict(params or {}))
    get_model(model)
    out: dict[str, UncertainInput] = {}
    if model == "cost_gap":
        c = p["china_cost_usd_per_kg"]
        out["china_cost_usd_per_kg"] = UncertainInput(
            "china_cost_usd_per_kg", 0.5 * c, c, c, "triangular", "USD/kg",
            "assumption: the parameter is a ceiling; cost between half of it and all of it")
        lo, hi = p["cost_gap_low"], p["cost_gap_high"]
        out["cost_gap"] = UncertainInput("cost_gap", lo, (lo + hi) / 2, hi, "uniform", "fraction",
                                         "the seed article's 30–40% (cost_gap_low to cost_gap_high)")
        out["volume_t"] = UncertainInput("volume_t", p["volume_t"], p["volume_t"], p["volume_t"], "fixed", "t/yr",
                                         "what-if volume (parameter volume_t)")
    elif model == "floor":
        from rare_earths.data.queries import prices_around_deal

        around = prices_around_deal(load_table("prices", data), load_table("sources", data))
        m = p["market_price_usd_per_kg"]
        values = list(around["price_usd_per_kg"]) + [m]
        out["market_price_usd_per_kg"] = UncertainInput(
            "market_price_usd_per_kg", min(values), m, max(values), "uniform", "USD/kg",
            "NdPr prices around the deal (" + ", ".join(around["label"]) + ") and the parameter")
        f = p["floor_price_usd_per_kg"]
        out["floor_price_usd_per_kg"] = UncertainInput("floor_price_usd_per_kg", f, f, f, "fixed", "USD/kg", "contract term")
        out["volume_t"] = UncertainInput("volume_t", p["volume_t"], p["volume_t"], p["volume_t"], "fixed", "t/yr",
                                         "what-if volume (parameter volume_t)")
        s = p["dod_upside_share"]
        out["dod_upside_share"] = UncertainInput("dod_upside_share", s, s, s, "fixed", "fraction", "contract term")
    else:
        commitments = load_table("commitments", data)
        firm = rebuild.committed_usd_bn(commitments, p["as_of"], "firm")
        chosen = rebuild.rebuild_summary(commitments, p["as_of"], p["committed_scope"], p["rebuild_total_usd_bn"],
                                         p["rebuild_years"])
        every = rebuild.committed_usd_bn(commitments, p["as_of"], "all")
        if chosen.status != "computed":
            raise ParameterError(f"as_of={p['as_of']}: no pace can be observed yet ({chosen.status})")
        t = p["rebuild_total_usd_bn"]
        out["rebuild_total_usd_bn"] = UncertainInput("rebuild_total_usd_bn", t, t, 1.5 * t, "triangular", "USD bn",
                                                     "'over $200 billion' is a lower bound; up to 1.5x (assumption)")
        y = float(p["rebuild_years"])
        out["rebuild_years"] = UncertainInput("rebuild_years", y * 2 / 3, y, y * 4 / 3, "triangular", "years",
                                              "2/3 to 4/3 of the article's years (assumption)")
        # With no firm money yet (early as_of) the low end would be 0 and the pace 0, for which
        # "years to reach" is undefined: the range then starts at the chosen scope instead.
        low = min(firm, chosen.committed_usd_bn) if firm > 0 else chosen.committed_usd_bn
        out["committed_usd_bn"] = UncertainInput(
            "committed_usd_bn", low, chosen.committed_usd_bn,
            max(every, chosen.committed_usd_bn), "triangular", "USD bn",
            "between the 'firm' and the 'all' scopes of committed money (from the chosen scope when nothing is firm)")
        e = chosen.elapsed_years
        out["elapsed_years"] = UncertainInput("elapsed_years", e, e, e, "fixed", "years",
                                              "first counted announcement to as_of")
    return out


def draw(inputs: Mapping[str, UncertainInput] | Sequence[UncertainInput], n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """``n`` draws of each input (independent), reproducible for a given ``seed``."""
    n = check_int("n", n, 1, MAX_DRAWS)
    seed = check_int("seed", seed, 0, 2**63 - 1)
    items = inputs.values() if isinstance(inputs, Mapping) else inputs
    rng = np.random.default_rng(seed)
    return {u.name: u.sample(rng, n) for u in items}


@dataclass
class Sweep:
    """The draws and outputs of one sweep; :meth:`summary` gives the distribution of each output."""

    model: Model
    inputs: dict[str, UncertainInput]
    draws: dict[str, np.ndarray]
    outputs: dict[str, np.ndarray]
    central: dict[str, float] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(next(iter(self.outputs.values())))

    def summary(self, quantiles: Sequence[float] = (0.05, 0.5, 0.95)) -> pd.DataFrame:
        """Per output: unit, central (all inputs at central), mean, the quantiles, min, max, n."""
        qs = np.asarray(quantiles, dtype=float)
        check_number("quantiles", qs, 0.0, 1.0)
        rows = []
        for name, values in self.outputs.items():
            finite = np.isfinite(values)
            if not finite.all():
                raise ParameterError(f"{name}: {int((~finite).sum())} draws are not finite; narrow the inputs")
            row = {"output": name, "unit": self.model.outputs[name], "central": self.central[name],
                   "mean": float(values.mean())}
            for q, v in zip(qs, np.quantile(values, qs)):
                row[f"p{round(q * 100):02d}"] = float(v)
            row.update(min=float(values.min()), max=float(values.max()), n=len(values))
            rows.append(row)
        return pd.DataFrame(rows)


def _central_values(inputs: Mapping[str, UncertainInput]) -> dict[str, np.ndarray]:
    return {k: np.asarray(u.central, dtype=float) for k, u in inputs.items()}


def sweep(model: str | Model, inputs: Mapping[str, UncertainInput] | None = None, n: int = 100_000, seed: int = 0,
          params: Mapping | None = None) -> Sweep:
    """Run ``model`` on ``n`` joint draws of its inputs (default: :func:`default_inputs`)."""
    m = get_model(model) if isinstance(model, str) else model
    inputs = dict(inputs) if inputs is not None else default_inputs(m.name, params)
    draws = draw({k: inputs[k] for k in m.inputs if k in inputs}, n, seed)
    outputs = m(draws)
    central = {k: float(v) for k, v in m(_central_values(inputs)).items()}
    return Sweep(m, inputs, draws, outputs, central)


def tornado(model: str | Model, inputs: Mapping[str, UncertainInput] | None = None, params: Mapping | None = None) -> pd.DataFrame:
    """One-at-a-time sensitivity: which input moves each output most.

    For every non-fixed input, the output with that input at ``low`` and at ``high`` and the others
    at ``central``. Evaluated in one vectorised call. Columns: output, unit, input, input_low,
    input_high, output_at_low, output_at_central, output_at_high, swing, rank (1 = largest swing).
    """
    m = get_model(model) if isinstance(model, str) else model
    inputs = dict(inputs) if inputs is not None else default_inputs(m.name, params)
    varying = [k for k in m.inputs if not inputs[k].is_fixed]
    k = len(varying)
    # Column 2i: input i at low; column 2i+1: input i at high; last column: all central.
    values = {}
    for name in m.inputs:
        col = np.full(2 * k + 1, inputs[name].central, dtype=float)
        if name in varying:
            i = varying.index(name)
            col[2 * i], col[2 * i + 1] = inputs[name].low, inputs[name].high
        values[name] = col
    out = m(values)
    rows = []
    for output, arr in out.items():
        central = float(arr[-1])
        for i, name in enumerate(varying):
            lo, hi = float(arr[2 * i]), float(arr[2 * i + 1])
            rows.append({"output": output, "unit": m.outputs[output], "input": name,
                         "input_low": inputs[name].low, "input_high": inputs[name].high,
                         "output_at_low": lo, "output_at_central": central, "output_at_high": hi,
                         "swing": abs(hi - lo)})
    frame = pd.DataFrame(rows, columns=["output", "unit", "input", "input_low", "input_high", "output_at_low",
                                        "output_at_central", "output_at_high", "swing"])
    frame["rank"] = frame.groupby("output")["swing"].rank(ascending=False, method="first").astype(int)
    return frame.sort_values(["output", "rank"]).reset_index(drop=True)
