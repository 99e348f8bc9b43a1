"""How tangled are jeras's imports? A report for issue #12, standard library only.

Prints: the number of function-level imports, the strongly connected components of the module
import graph (module-level and function-level imports both make an edge, as for import-linter),
the largest file, and the private names (`_x`) one package imports from another.

    python scripts/import_report.py [path/to/src/jeras]
"""

import ast
import sys
from pathlib import Path


def module_name(path, root):
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def collect_imports(tree, importer, is_package, known):
    """`(target_module, imported_name_or_None, lineno, inside_function)` for every import."""
    found = []

    def resolve(base, names):
        for alias in names:
            candidate = f"{base}.{alias.name}"
            # `from pkg import submodule` imports the submodule; `from mod import name` the module.
            target = candidate if candidate in known else base
            yield target, alias.name

    def visit(node, inside_function):
        for child in ast.iter_child_nodes(node):
            nested = inside_function or isinstance(
                child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
            )
            if isinstance(child, ast.Import):
                for alias in child.names:
                    found.append((alias.name, None, child.lineno, inside_function))
            elif isinstance(child, ast.ImportFrom):
                if child.level:
                    package = importer if is_package else importer.rpartition(".")[0]
                    for _ in range(child.level - 1):
                        package = package.rpartition(".")[0]
                    base = f"{package}.{child.module}" if child.module else package
                else:
                    base = child.module
                for target, name in resolve(base, child.names):
                    found.append((target, name, child.lineno, inside_function))
            visit(child, nested)

    visit(tree, False)
    return found


def strongly_connected_components(graph):
    """Tarjan's algorithm, iterative so that deep graphs do not hit the recursion limit."""
    index, low, on_stack, stack, components = {}, {}, set(), [], []
    counter = 0
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def top_package(module):
    parts = module.split(".")
    return ".".join(parts[:2])


def main(root):
    root = Path(root).resolve()
    files = sorted(root.rglob("*.py"))
    modules = {module_name(path, root): path for path in files}
    graph = {name: set() for name in modules}
    function_level = []
    private_imports = []
    for name, path in modules.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for target, imported, lineno, inside_function in collect_imports(
            tree, name, path.name == "__init__.py", modules
        ):
            if target not in modules:
                continue
            location = f"{path.relative_to(root.parent)}:{lineno}"
            if inside_function:
                function_level.append(f"{location}  {target}")
            if target != name:
                graph[name].add(target)
            if (
                imported
                and imported.startswith("_")
                and not imported.startswith("__")
                and top_package(target) != top_package(name)
            ):
                private_imports.append(f"{location}  {target}.{imported}")

    cycles = [c for c in strongly_connected_components(graph) if len(c) > 1]
    in_cycles = sum(len(c) for c in cycles)
    lines = {name: len(path.read_text().splitlines()) for name, path in modules.items()}
    largest = max(lines, key=lines.get)

    print(f"modules: {len(modules)}")
    print(f"function-level imports: {len(function_level)}")
    for entry in function_level:
        print(f"    {entry}")
    print(
        f"import cycles (strongly connected components): {len(cycles)}, "
        f"modules in cycles: {in_cycles}"
    )
    for component in sorted(cycles, key=len, reverse=True):
        print(f"    {len(component)} modules: {', '.join(component)}")
    print(f"largest file: {modules[largest].relative_to(root.parent)} ({lines[largest]} lines)")
    print(f"private names imported across packages: {len(private_imports)}")
    for entry in private_imports:
        print(f"    {entry}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else Path(__file__).parent.parent / "src" / "jeras")
