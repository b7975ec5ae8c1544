"""The Profile Query Language subset computed attributes are evaluated with, and what PQL text implies.

Evaluated (current API): ``xEvent[<condition>].<aggregation>`` where the aggregation is one of
``sum(path)``, ``min(path)``, ``max(path)``, ``count()`` or the most-recent form
``topN(timestamp, 1).map({..., "value": path}).head()`` (also ``topN(timestamp, 1).head().path``),
and the optional condition combines with ``and``, ``or``, ``not`` and parentheses:

* ``path = "text"`` / ``!=`` / ``<`` / ``<=`` / ``>`` / ``>=`` against a string, number or boolean;
* ``path.equals("text", false)`` (the second argument: case-sensitive or not);
* ``path occurs <= N days before now`` (``<``, ``<=``, ``>``, ``>=``; hours, days, weeks, months).

Anything else parses far enough to derive the merge function (the last aggregation of the chain) but
is reported as not supported, with the reason. For the legacy API the package also infers the type an
expression returns and lists the field paths it refers to (dependencies on other attributes).

Modules: :mod:`.syntax` (tokens and the condition parser), :mod:`.evaluation` (conditions and plans
over events), :mod:`.analysis` (merge function and plan of a text), :mod:`.inference` (the legacy
API's result type and field paths), :mod:`.expression` (the stored ``{type, format, value}``).
"""

from __future__ import annotations

from profile_harness.store.computed.pql.analysis import PqlAnalysis, analyse
from profile_harness.store.computed.pql.evaluation import lookback_start_ms, lookup
from profile_harness.store.computed.pql.expression import (
    EXPRESSION_FORMAT,
    EXPRESSION_TYPE,
    expression_object,
)
from profile_harness.store.computed.pql.inference import profile_paths, referenced_paths, result_type

__all__ = [
    "EXPRESSION_FORMAT",
    "EXPRESSION_TYPE",
    "PqlAnalysis",
    "analyse",
    "expression_object",
    "lookback_start_ms",
    "lookup",
    "profile_paths",
    "referenced_paths",
    "result_type",
]
