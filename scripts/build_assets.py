"""Build the KERN UX assets the pages use into app/static/kern/ (not committed: `make test`
and `make demo` run this after `npm ci`).

- ``kern.css``: KERN's built stylesheet from node_modules/@kern-ux/native, without its
  ``prefers-color-scheme: dark`` block. Our own styles, the map tiles and the town's colours
  are light only; half a dark theme (dark KERN tokens under light page parts) would fail
  contrast, so the pages stay light until a dark town theme is designed as a whole.
- ``fonts/``: Fira Sans Regular and SemiBold (the two weights KERN's tokens use), subset with
  fonttools to the Latin characters German and English pages need: ~25 KB each instead of
  ~130 KB, which keeps /melden's first visit within its weight budget.
- ``fonts.css``: the @font-face rules for them.
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

from fontTools import subset

ROOT = Path(__file__).resolve().parent.parent
KERN = ROOT / "node_modules" / "@kern-ux" / "native" / "dist"
OUT = ROOT / "app" / "static" / "kern"

# Basic Latin, Latin-1 (ä ö ü ß é …), Latin Extended-A (names like Łukasz, Šimić), general
# punctuation („ “ ‚ ‘ – — … • ′), superscripts, €, ™, arrows, minus, the replacement character.
UNICODES = "U+0020-007E,U+00A0-017F,U+0192,U+0218-021B,U+02C6-02DD,U+1E9E,U+2000-206F,U+2070-209F,U+20AC," \
           "U+2116,U+2122,U+2190-2199,U+2212,U+2713,U+FFFD"
WEIGHTS = {"Regular": "400", "SemiBold": "500 700"}  # 500 (KERN's "medium") and bold fall to SemiBold


def strip_block(css: str, head: str) -> str:
    """``css`` without the at-rule starting with ``head`` (its braces matched)."""
    start = css.find(head)
    while start >= 0:
        depth, i = 0, css.index("{", start)
        while True:
            if css[i] == "{":
                depth += 1
            elif css[i] == "}":
                depth -= 1
                if depth == 0:
                    break
            i += 1
        css = css[:start] + css[i + 1:]
        start = css.find(head)
    return css


def build() -> None:
    if not KERN.exists():
        sys.exit(f"{KERN} missing: run `npm ci` first (make does)")
    if OUT.exists():
        shutil.rmtree(OUT)
    (OUT / "fonts").mkdir(parents=True)
    css = (KERN / "kern.min.css").read_text(encoding="utf-8")
    css = strip_block(css, "@media (prefers-color-scheme: dark)")
    (OUT / "kern.css").write_text(css, encoding="utf-8")
    faces = []
    for name, weight in WEIGHTS.items():
        target = OUT / "fonts" / f"FiraSans-{name}.woff2"
        subset.main([str(KERN / "fonts" / "fira-sans" / f"FiraSans-{name}.woff2"), f"--unicodes={UNICODES}",
                     "--flavor=woff2", "--layout-features=kern,liga,calt,ccmp,locl,mark,mkmk,tnum,case",
                     "--no-hinting", "--desubroutinize", f"--output-file={target}"])
        faces.append("@font-face{font-family:'Fira Sans';font-style:normal;font-display:swap;"
                     f"font-weight:{weight};src:url(fonts/{target.name}) format('woff2')}}")
    (OUT / "fonts.css").write_text("\n".join(faces) + "\n", encoding="utf-8")
    license_text = (KERN.parent / "LICENSE.md")
    if license_text.exists():
        shutil.copy(license_text, OUT / "LICENSE-KERN.md")


if __name__ == "__main__":
    build()
