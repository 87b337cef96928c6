#!/usr/bin/env python3
"""Write the 1000 ImageNet class names (index order) from torchvision's _meta.py.

torchvision ships the list as a Python literal; reading it with `ast` needs no
torch. Usage: imagenet_labels.py PATH/_meta.py OUT.txt
"""
import ast
import sys

tree = ast.parse(open(sys.argv[1], encoding="utf-8").read())
for node in tree.body:
    if isinstance(node, ast.Assign) and getattr(node.targets[0], "id", "") == "_IMAGENET_CATEGORIES":
        labels = ast.literal_eval(node.value)
        break
else:
    raise SystemExit("no _IMAGENET_CATEGORIES in " + sys.argv[1])
if len(labels) != 1000:
    raise SystemExit(f"expected 1000 labels, found {len(labels)}")
with open(sys.argv[2], "w", encoding="utf-8") as out:
    out.write("\n".join(labels) + "\n")
