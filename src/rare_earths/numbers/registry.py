"""The key-number registry: every number the book prints, registered once, by domain.

A domain is a module of :mod:`rare_earths.numbers` with a ``build(ctx)`` that declares its
numbers (id, label, unit, printed rounding, formula, sources, chapters, claims) from the values
of :mod:`rare_earths.analysis`, and the id prefixes it owns (``PREFIXES``). This module only
assembles: :func:`compute_numbers` runs the builders asked for, :func:`select` picks numbers by
id (an unknown id raises, with the closest known one), :func:`domains_of` finds the domain of an
id from its prefix, so one number's citation computes only its own domain.

Outputs are deterministic for given data, overrides and ``as_of``.
"""

from __future__ import annotations

import difflib
from typing import Callable, Iterable, Mapping

from rare_earths.numbers import buildout, costs, dataset, gap, ledger, outlook, pipeline, rebuild, reserves, shares
from rare_earths.numbers.model import Context, KeyNumber, Store, UnknownNumberError
from rare_earths.params.resolve import resolve_lazily


#: The builders by domain, in the order ``rare-earths numbers`` lists them.
DOMAINS: dict[str, Callable[[Context], list[KeyNumber]]] = {
    "shares": shares.build, "reserves": reserves.build, "costs": costs.build, "rebuild": rebuild.build,
    "pipeline": pipeline.build, "commitments": rebuild.build_commitments, "ledger": ledger.build,
    "dataset": dataset.build, "gap": gap.build, "buildout": buildout.build, "outlook": outlook.build,
}

#: The id prefixes each domain owns.
PREFIXES: dict[str, tuple[str, ...]] = {
    "shares": shares.PREFIXES, "reserves": reserves.PREFIXES, "costs": costs.PREFIXES, "rebuild": rebuild.PREFIXES,
    "pipeline": pipeline.PREFIXES, "commitments": rebuild.COMMITMENT_PREFIXES, "ledger": ledger.PREFIXES,
    "dataset": dataset.PREFIXES, "gap": gap.PREFIXES, "buildout": buildout.PREFIXES, "outlook": outlook.PREFIXES,
}


def _check_domains(domains: Iterable[str]) -> list[str]:
    if isinstance(domains, str):
        domains = [domains]
    out = []
    for name in domains:
        if name not in DOMAINS:
            close = difflib.get_close_matches(str(name), DOMAINS, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            raise ValueError(f"unknown number domain {name!r}{hint}; domains are: {', '.join(DOMAINS)}")
        if name not in out:
            out.append(name)
    return out


def compute_numbers(overrides: dict | None = None, data=None, domains: Iterable[str] | None = None,
                    store: Store | None = None) -> list[KeyNumber]:
    """The key numbers for the given parameter overrides (typed values; see ``parse_assignments``).

    ``domains`` (e.g. ``["costs"]``) limits the work to those builders, which read only their
    own tables and resolve only the parameter defaults they use; the numbers are the same as in
    the full list, domain by domain in the order asked. All domains, in :data:`DOMAINS` order,
    when None. ``store`` (a :class:`~rare_earths.numbers.model.Store` for ``data``) shares the
    tables, the values derived from them and the defaults between calls: a sweep's points.
    """
    wanted = list(DOMAINS) if domains is None else _check_domains(domains)
    params = resolve_lazily(overrides, defaults=store.defaults if store is not None else None)
    ctx = Context(params, data, store=store)
    numbers: list[KeyNumber] = []
    for name in wanted:
        built = _build(name, ctx)
        for num in built:
            if not num.id.startswith(PREFIXES[name]):  # a registration error, caught by the tests
                raise ValueError(f"number {num.id!r} of domain {name!r} does not start with {PREFIXES[name]}")
        numbers.extend(built)
    seen = set()
    for num in numbers:
        if num.id in seen:
            raise ValueError(f"number id {num.id!r} registered twice")
        seen.add(num.id)
    return numbers


class _ReadRecorder(Mapping):
    """The parameters as a builder sees them, noting which it read (``everything``: it iterated them)."""

    def __init__(self, params: Mapping):
        self._params, self.names, self.everything = params, [], False

    def __getitem__(self, name):
        value = self._params[name]
        if name not in self.names:
            self.names.append(name)
        return value

    def __iter__(self):
        self.everything = True
        return iter(self._params)

    def __len__(self):
        self.everything = True
        return len(self._params)


#: Builds of one domain a store keeps (a sweep's thousand points would otherwise keep a thousand).
_BUILDS_KEPT = 32


def _build(name: str, ctx: Context) -> list[KeyNumber]:
    """The numbers of domain ``name``. With a store, a domain's numbers are kept with the parameters
    its builder read and their values, and reused by a later call whose parameters have those values
    (a domain that read none, such as shares or reserves, is built once per store): what is reused is
    what the builder showed it depends on, so nothing a parameter it read moves is ever reused. A
    chapter's what-if grid and figures then rebuild only the domains a changed parameter feeds."""
    store = ctx.store
    if store is None:
        return DOMAINS[name](ctx)
    kept = store.derived.setdefault(("registry.domain", name), [])
    for reads, built in kept:
        if all(ctx.params[k] == v for k, v in reads):
            return built
    recorder = _ReadRecorder(ctx.params)
    built = DOMAINS[name](Context(recorder, ctx.data, store=store))
    if not recorder.everything:
        if len(kept) >= _BUILDS_KEPT:
            del kept[0]
        kept.append((tuple((k, ctx.params[k]) for k in recorder.names), built))
    return built


def domain_of(id_: str) -> str | None:
    """The domain whose prefix ``id_`` starts with (the longest prefix wins), or None."""
    best = None
    for name, prefixes in PREFIXES.items():
        for prefix in prefixes:
            if str(id_).startswith(prefix) and (best is None or len(prefix) > best[1]):
                best = (name, len(prefix))
    return best[0] if best else None


def domains_of(ids: Iterable[str]) -> list[str] | None:
    """The domains that hold these ids (None, meaning all, if an id has no known prefix)."""
    found = []
    for id_ in ids:
        domain = domain_of(id_)
        if domain is None:
            return None  # let select() report the unknown id against the full list
        if domain not in found:
            found.append(domain)
    return found


def _unknown_id(id_: str, known: Iterable[str]) -> UnknownNumberError:
    close = difflib.get_close_matches(id_, list(known), n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    return UnknownNumberError(f"unknown number id {id_!r}{hint}; `rare-earths numbers` lists them")


def select(numbers: list[KeyNumber], ids: Iterable[str] | None) -> list[KeyNumber]:
    """The numbers with these ids, in the order asked (all when ``ids`` is None or empty)."""
    if not ids:
        return numbers
    by_id = {n.id: n for n in numbers}
    out = []
    for id_ in ids:
        if id_ not in by_id:
            raise _unknown_id(id_, by_id)
        out.append(by_id[id_])
    return out


def get_number(id: str, overrides: dict | None = None, data=None) -> KeyNumber:
    """One key number by id (only its domain is computed)."""
    return select(compute_numbers(overrides, data, domains_of([id])), [id])[0]
