#!/usr/bin/env python3
"""Writes the namespace-heavy seeds of the `parse` and `c14n` targets.

Shapes that made namespace handling quadratic before the scope map: many
declarations per element times deep nesting, rebinding the same prefixes at
every level, default-namespace undeclaration (xmlns=""), and (c14n) a long
InclusiveNamespaces PrefixList. Run from the repository root:
    python3 fuzz/seeds/ns_heavy.py
"""
import pathlib

SEEDS = pathlib.Path(__file__).resolve().parent


def nested(depth, decls, rebind, default_toggle):
    out = []
    for d in range(depth):
        attrs = []
        for i in range(decls):
            uri = f"urn:n{i}:{d if rebind else 0}"
            attrs.append(f' xmlns:p{i}="{uri}"')
        if default_toggle:
            attrs.append(' xmlns=""' if d % 2 else f' xmlns="urn:d{d}"')
        attrs.append(f' p{d % max(decls, 1)}:a="{d}"')
        if d % 3 == 0:
            attrs.append(f' xml:lang="l{d}"')
        name = f"p{d % max(decls, 1)}:e" if decls else "e"
        out.append(f"<{name}{''.join(attrs)}>t{d}")
    for d in reversed(range(depth)):
        name = f"p{d % max(decls, 1)}:e" if decls else "e"
        out.append(f"<p0:leaf/></{name}>" if d == depth - 1 else f"</{name}>")
    return "".join(out)


def main():
    docs = {
        # 16 levels x 8 declarations: the default limit of 128 in scope, exactly.
        "ns-deep-wide": nested(16, 7, rebind=False, default_toggle=True),
        "ns-rebind": nested(9, 12, rebind=True, default_toggle=True),
        "ns-default-toggle": nested(40, 1, rebind=True, default_toggle=True),
    }
    prefix_list = " ".join(["#default"] + [f"p{i}" for i in range(0, 16)] + ["q", "xml"])
    for name, doc in docs.items():
        (SEEDS / "parse" / f"{name}.xml").write_text(doc)
        (SEEDS / "c14n" / f"{name}.bin").write_text(f"{prefix_list}\n{doc}")
    # Over the in-scope limit: the parser's refusal path.
    (SEEDS / "parse" / "ns-over-limit.xml").write_text(nested(24, 16, False, True))
    # A short list over the same shape: the visibly-utilized path alone.
    (SEEDS / "c14n" / "ns-no-list.bin").write_text("\n" + docs["ns-rebind"])


if __name__ == "__main__":
    main()
