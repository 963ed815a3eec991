"""The import graph of crawler/, spiders/ and pipelines/ has no cycle (ARCHITECTURE.md).

import-linter's ``acyclic_siblings`` contract (``lint-imports``) checks cycles between the
siblings of each package; this checks every module against every other, across packages
too (``crawler.crawl`` -> ``spiders.portal`` -> ``crawler.crawl`` would be one). Imports
inside functions count; imports under ``if TYPE_CHECKING:`` do not (they never run).
"""

from __future__ import annotations

from collections.abc import Iterator

import grimp

PACKAGES = ("crawler", "spiders", "pipelines")


def import_cycles(graph: grimp.ImportGraph) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    cycles: list[list[str]] = []
    counter = 0

    def imported_by(module: str) -> Iterator[str]:
        return iter(sorted(graph.find_modules_directly_imported_by(module)))

    for root in sorted(graph.modules):
        if root in index:
            continue
        work = [(root, imported_by(root))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, imported_by(child)))
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            else:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        cycles.append(sorted(component))
    return cycles


def test_no_module_imports_itself_through_others() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    assert len(graph.modules) > 50  # the whole project was read
    assert import_cycles(graph) == []


def test_a_cycle_would_be_found() -> None:
    graph = grimp.build_graph(*PACKAGES, exclude_type_checking_imports=True)
    graph.add_import(importer="spiders.portal", imported="crawler.crawl")  # crawl -> portal
    assert ["crawler.crawl", "spiders.portal"] in import_cycles(graph)
