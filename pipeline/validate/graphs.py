"""Prerequisite graphs: strongly connected components and the shortest cycle through a module."""

from __future__ import annotations

from collections.abc import Mapping


def strongly_connected(graph: Mapping[str, list[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components, iterative (no recursion limit), O(modules + prerequisites)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    for root in graph:
        if root in index:
            continue
        work: list[tuple[str, int]] = [(root, 0)]
        while work:
            node, child_index = work.pop()
            if child_index == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            children = [c for c in graph.get(node, []) if c in graph]
            if child_index < len(children):
                work.append((node, child_index + 1))
                child = children[child_index]
                if child not in index:
                    work.append((child, 0))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            for child in children:
                if child in on_stack:
                    low[node] = min(low[node], low[child])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(component)
    return components


def cycle_through(start: str, component: set[str], graph: Mapping[str, list[str]]) -> list[str]:
    """A shortest path start → … → start inside one strongly connected component (breadth-first)."""
    previous: dict[str, str] = {}
    queue = [start]
    for node in queue:
        for child in graph.get(node, []):
            if child == start:
                path = [node]
                while path[-1] != start:
                    path.append(previous[path[-1]])
                return list(reversed(path))
            if child in component and child not in previous:
                previous[child] = node
                queue.append(child)
    return [start]
