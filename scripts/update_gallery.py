#!/usr/bin/env python
"""Rewrite the figure gallery (docs/gallery.md) from plots/MANIFEST.json.

The gallery is the part of the page between the lines ``<!-- gallery:start -->`` and
``<!-- gallery:end -->``: a table of thumbnails (each links to the full PNG) with the slide titles,
a link to the SVG, the number of per-panel files and the figure's key numbers (as the manifest records
them), in the manifest's (lecture) order. Run after ``nn-ref figures``:

    python scripts/update_gallery.py [--page docs/gallery.md] [--manifest plots/MANIFEST.json]
                                     [--columns 3] [--width 260]

The page is left untouched (exit status 1) when the markers are missing.
"""

import argparse
import html
import json
import os
import sys

START, END = "<!-- gallery:start -->", "<!-- gallery:end -->"


def gallery_table(entries, image_dir, columns=3, width=260):
    """An HTML table (GitHub renders it in Markdown): one cell per manifest entry, ``columns`` per row,
    a ``width``-pixel thumbnail of ``image_dir/<file>`` above the slide title and the figure id."""
    cells = []
    for entry in entries:
        src = f"{image_dir}/{entry['file']}" if image_dir not in ("", ".") else entry["file"]
        title = html.escape(entry["slide"])
        files = entry.get("files", {})
        extra = []
        if f"{entry['id']}.svg" in files:
            extra.append(f'<a href="{src.rsplit(".", 1)[0]}.svg">SVG</a>')
        panels = sum(1 for name in files if name.startswith(f"{entry['id']}_p") and name.endswith(".png"))
        if panels:
            extra.append(f"{panels} panel files")
        more = f"<br>{' · '.join(extra)}" if extra else ""
        numbers = key_numbers_text(entry.get("key_numbers", {}))
        more += f"<br>{html.escape(numbers)}" if numbers else ""
        cells.append(
            f'<td align="center" valign="top"><a href="{src}"><img src="{src}" width="{width}" '
            f'alt="{title}"></a><br><sub>{title}<br><code>{html.escape(entry["id"])}</code>{more}</sub></td>'
        )
    rows = ["<tr>\n" + "\n".join(cells[i : i + columns]) + "\n</tr>" for i in range(0, len(cells), columns)]
    return "<table>\n" + "\n".join(rows) + "\n</table>"


def _short(value, digits=4):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return str(value)
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    if isinstance(value, int):
        return f"{value:,}"
    return None


def key_numbers_text(numbers, limit=6):
    """The first ``limit`` scalar key numbers (nested one level: ``a.b``; short lists written out), as
    ``name = value`` separated by semicolons."""
    items = []
    for name, value in numbers.items():
        if isinstance(value, dict):
            pairs = [(f"{name}.{k}", v) for k, v in value.items()]
        else:
            pairs = [(name, value)]
        for key, v in pairs:
            if isinstance(v, list) and len(v) <= 5 and all(_short(x) is not None for x in v):
                items.append(f"{key} = [{', '.join(_short(x) for x in v)}]")
            elif _short(v) is not None:
                items.append(f"{key} = {_short(v)}")
            if len(items) >= limit:
                return "; ".join(items)
    return "; ".join(items)


def replace_between_markers(text, block):
    """``text`` with everything between the START and END marker lines replaced by ``block``;
    raises ValueError when the markers are missing or out of order."""
    start, end = text.find(START), text.find(END)
    if start < 0 or end < 0 or end < start:
        raise ValueError(f"expected the markers {START} and {END} (in that order)")
    return text[: start + len(START)] + "\n" + block + "\n" + text[end:]


def update_page(page, manifest, columns=3, width=260):
    """Rewrite the gallery of ``page`` from ``manifest``; returns the number of figures listed."""
    with open(manifest, encoding="utf-8") as fh:
        entries = json.load(fh)["figures"]
    image_dir = os.path.relpath(
        os.path.dirname(os.path.abspath(manifest)), os.path.dirname(os.path.abspath(page))
    ).replace(os.sep, "/")
    with open(page, encoding="utf-8") as fh:
        text = fh.read()
    new = replace_between_markers(text, gallery_table(entries, image_dir, columns, width))
    if new != text:
        with open(page, "w", encoding="utf-8") as fh:
            fh.write(new)
    return len(entries)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--page", "--readme", dest="page", default=os.path.join("docs", "gallery.md"))
    parser.add_argument("--manifest", default=os.path.join("plots", "MANIFEST.json"))
    parser.add_argument("--columns", type=int, default=3)
    parser.add_argument("--width", type=int, default=260, help="thumbnail width in pixels")
    args = parser.parse_args(argv)
    try:
        n = update_page(args.page, args.manifest, args.columns, args.width)
    except (OSError, ValueError) as exc:
        print(f"update_gallery: {args.page}: {exc}; not changed")
        return 1
    print(f"{args.page}: gallery of {n} figures from {args.manifest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
