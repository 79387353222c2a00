"""The key-number registry: what ``rare-earths numbers`` and ``cite`` print and what chapters glue.

``compute_numbers(overrides, domains=[...])``, ``get_number(id)``, ``select``, ``domains_of``;
:class:`KeyNumber` is one number. One module per domain declares its numbers (see
:mod:`rare_earths.numbers.registry`).
"""

from rare_earths.numbers.model import KeyNumber, UnknownNumberError
from rare_earths.numbers.registry import DOMAINS, compute_numbers, domain_of, domains_of, get_number, select

__all__ = ["DOMAINS", "KeyNumber", "UnknownNumberError", "compute_numbers", "domain_of", "domains_of", "get_number",
           "select"]
