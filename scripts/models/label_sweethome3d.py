#!/usr/bin/env python3
"""Build the labelled furniture evaluation set from Sweet Home 3D catalogues.

Each .sh3f library is a zip with PluginFurnitureCatalog.properties (name#N,
icon#N, category#N) and 128x128 icon renders. An item's marketplace category
comes from words in its English name; items that match none (doors, plants,
vehicles, appliances…) are left out. The first matching rule wins, so
"desk lamp" is lighting and "bedside table" is storage, not bed or table.

Decor (mirrors, rugs, vases, frames) is not one of the classifier's categories, so it stays out
of the evaluation set (labels.tsv); its renders go to demo.tsv, for the demo listings only.

The application's own jar (Debian's `sweethome3d`) has a default catalogue of the same
shape: passed instead of a library, its renders make the category head's training set
(scripts/models/train_head.sh), disjoint from the evaluation libraries.

Usage: label_sweethome3d.py OUT_DIR LIBRARY.sh3f|sweethome3d.jar...
Writes OUT_DIR/<category>/<library>-<icon>.png, OUT_DIR/labels.tsv and OUT_DIR/demo.tsv.
"""
import os
import re
import sys
import zipfile

RULES = [
    ("lighting", r"\b(lamp|lamps|light|lights|chandelier|lantern|sconce)\b"),
    ("storage", r"\b(bedside|nightstand|night table|wardrobe|cabinet|bookcase|bookshelf|shelf|shelves|dresser|"
                r"chest|cupboard|sideboard|drawers?|closet|armoire|buffet|commode)\b"),
    # Armchairs are sofas in our tree (sofa > armchair, "1인 소파").
    ("sofa", r"\b(sofa|couch|settee|loveseat|chesterfield|armchair|armchairs)\b"),
    ("bed", r"\b(bed|beds|bunk)\b"),
    ("desk", r"\b(desk|desks)\b"),
    ("chair", r"\b(chair|chairs|stool|stools|bench|seat)\b"),
    ("table", r"\b(table|tables)\b"),
]
PROPERTIES = "PluginFurnitureCatalog.properties"
DEFAULT_PROPERTIES = "com/eteks/sweethome3d/io/DefaultFurnitureCatalog.properties"
# Demo photos only (see above).
DECOR = re.compile(r"\b(mirror|rug|carpet|vase|frame|picture|painting)\b")
# Things that share a word with furniture but are not furniture we sell.
SKIP = re.compile(r"\b(toy|doll|dollhouse|baby|crib|garden|outdoor|kitchen|sink|bath|wc|toilet|fan|tennis|bat|"
                  r"football|billiard|abdominal|hospital|car|seat leon)\b")


def category(name):
    lower = name.lower()
    if SKIP.search(lower):
        return None
    for cat, pattern in RULES:
        if re.search(pattern, lower):
            return cat
    return None


def main():
    out = sys.argv[1]
    rows, decor = [], []
    for lib in sys.argv[2:]:
        libname = os.path.splitext(os.path.basename(lib))[0]
        with zipfile.ZipFile(lib) as z:
            props = z.read(PROPERTIES if PROPERTIES in z.namelist() else DEFAULT_PROPERTIES).decode("iso-8859-1")
            fields = {}
            for line in props.splitlines():
                m = re.match(r"^(name|icon|category)#(\d+)=(.*)$", line)
                if m:
                    fields.setdefault(m.group(2), {})[m.group(1)] = m.group(3).strip()
            for item in fields.values():
                name = item.get("name", "")
                cat = category(name)
                target = rows
                if not cat and not SKIP.search(name.lower()) and DECOR.search(name.lower()):
                    cat, target = "decor", decor
                icon = item.get("icon", "").lstrip("/")
                if not cat or not icon.endswith(".png") or icon not in z.namelist():
                    continue
                dest = os.path.join(out, cat, f"{libname}-{os.path.basename(icon)}")
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                with open(dest, "wb") as f:
                    f.write(z.read(icon))
                target.append((os.path.relpath(dest, out), cat, item["name"]))
    for file, table in (("labels.tsv", rows), ("demo.tsv", decor)):
        table.sort()
        with open(os.path.join(out, file), "w", encoding="utf-8") as f:
            f.write("path\tcategory\tname\n")
            for r in table:
                f.write("\t".join(r) + "\n")
    counts = {}
    for _, c, _ in rows:
        counts[c] = counts.get(c, 0) + 1
    print(f"{len(rows)} images: " + ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
          + f"; {len(decor)} decor renders for the demo data", file=sys.stderr)


if __name__ == "__main__":
    main()
