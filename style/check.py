#!/usr/bin/env python3
"""Fails when a selector (a rule's whole selector list) is defined twice in the
stylesheet, within the same @media/@supports context: a second rule for the same
selector silently restyles every page that uses the first. Run by `make lint`."""
import re
import sys
from pathlib import Path

STYLE = Path(__file__).resolve().parent


def rules(text):
    """(context, selector) of every rule, context being the enclosing at-rule."""
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    out, stack, start = [], [], 0
    for i, ch in enumerate(text):
        if ch == "{":
            head = " ".join(text[start:i].split())
            stack.append(head)
            start = i + 1
        elif ch == "}":
            head = stack.pop() if stack else ""
            if head and not head.startswith("@"):
                context = " ".join(h for h in stack if h.startswith("@"))
                out.append((context, head))
            start = i + 1
        elif ch == ";" and not stack:
            start = i + 1
    return out


def main():
    seen, failed = {}, False
    order = re.findall(r'@import "([^"]+)"', (STYLE / "main.css").read_text())
    for name in order:
        for context, selector in rules((STYLE / name).read_text()):
            key = (context, selector)
            if key in seen:
                where = f" in {context}" if context else ""
                print(f"{name}: `{selector}`{where} is already defined in {seen[key]}")
                failed = True
            seen.setdefault(key, name)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
