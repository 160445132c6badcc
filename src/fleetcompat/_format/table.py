"""Human view of one host × one spec: per set and rule, each expression with what the host actually has."""

from __future__ import annotations

from tabulate import tabulate

from fleetcompat._format.interface import EvaluationContext
from fleetcompat._format.style import Style
from fleetcompat.results.model import SpecEvaluation, TermResult, actual_in_words


def _term_rows(term: TermResult, style: Style) -> list[list[str]]:
    rows = []
    where = ""
    if term.instance_count:
        kind = "matching" if term.matched else "closest"
        where = f" [{kind} of {term.instance_count}: #{term.instance_index}]"
    if not term.feature_present:
        where = " [feature absent on host]"
    for expr in term.expressions:
        ok = style("OK", "green") if expr.matched else style("FAIL", "red")
        actual = actual_in_words(expr.actual, expr.evaluated)
        rows.append([expr.label() + where, expr.expression.describe(), actual, ok])
    return rows


class TableFormat:
    def __init__(self, colour: bool = False) -> None:
        self.style = Style(colour)

    def render(self, evaluation: SpecEvaluation, context: EvaluationContext) -> str:
        s = self.style
        out = [f"host {context.host} × spec {context.spec_origin}"]
        for result in evaluation.sets:
            head = f"COMPATIBILITY SET #{result.index + 1}  weight {result.weight}"
            if result.tag:
                head += f"  tag {result.tag}"
            verdict = s("SATISFIED", "green", "bold") if result.satisfied else s("NOT SATISFIED", "red", "bold")
            out.append("")
            out.append(f"{s(head, 'cyan', 'bold')}  {verdict}")
            if result.description:
                out.append(f"  {result.description}")
            for rule in result.rules:
                mark = s("OK", "green") if rule.matched else s("FAIL", "red")
                out.append(f"  rule {rule.name!r}: {mark}")
                rows = []
                for term in rule.match_features:
                    rows.extend(_term_rows(term, s))
                for i, element in enumerate(rule.match_any):
                    for term in element:
                        rows.extend([[f"(any #{i + 1}) {r[0]}", *r[1:]] for r in _term_rows(term, s)])
                if rows:
                    table = tabulate(rows, headers=["feature", "expected", "host has", "status"],
                                     tablefmt="simple", disable_numparse=True)
                    out.extend("    " + line for line in table.splitlines())
        out.append("")
        best = evaluation.best
        if best is not None:
            detail = f"best set #{best.index + 1}, weight {best.weight}" + (f", tag {best.tag}" if best.tag else "")
            out.append(f"{s('COMPATIBLE', 'green', 'bold')} ({detail})")
        else:
            out.append(f"{s('INCOMPATIBLE', 'red', 'bold')} (no compatibility set is satisfied)")
        return "\n".join(out) + "\n"
