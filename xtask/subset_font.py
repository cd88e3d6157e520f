"""Subset Noto Sans CJK SC for the console (run through `cargo xtask font`).

Keeps GB2312 level 1 (the 3755 most common hanzi), ASCII, CJK punctuation and
every character that appears in the project's Rust sources, scenarios and
asset data, so that all UI strings and place names render as glyphs.
"""

import pathlib
import subprocess
import sys

SOURCE = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"
OUT = "assets/fonts/NotoSansSC-Subset.otf"


def gb2312_level1() -> str:
    chars = []
    for hi in range(0xB0, 0xD8):
        for lo in range(0xA1, 0xFF):
            try:
                chars.append(bytes([hi, lo]).decode("gb2312"))
            except UnicodeDecodeError:
                pass
    return "".join(chars)


def project_text(root: pathlib.Path) -> str:
    text = []
    for pattern in ("**/*.rs", "scenarios/**/*.toml", "assets/**/*.json", "assets/**/*.toml"):
        for p in root.glob(pattern):
            if "target" in p.parts:
                continue
            text.append(p.read_text(encoding="utf-8", errors="ignore"))
    return "".join(text)


def main() -> None:
    root = pathlib.Path(sys.argv[1])
    from fontTools.ttLib import TTCollection

    # Pick the Simplified Chinese face out of the collection by its name.
    collection = TTCollection(SOURCE)
    index = next(
        i for i, f in enumerate(collection.fonts)
        if "SC" in f["name"].getDebugName(4) and "Mono" not in f["name"].getDebugName(4)
    )
    wanted = set(gb2312_level1())
    wanted |= {chr(c) for c in range(0x20, 0x7F)}
    wanted |= set("，。、；：？！“”‘’（）《》【】—…·℃°±×÷→←↑↓●○■□▲△★☆※")
    wanted |= {ch for ch in project_text(root) if ord(ch) > 0x7F}
    text_file = root / "target" / "font-chars.txt"
    text_file.parent.mkdir(parents=True, exist_ok=True)
    text_file.write_text("".join(sorted(wanted)), encoding="utf-8")
    out = root / OUT
    out.parent.mkdir(parents=True, exist_ok=True)
    subprocess.run(
        [
            sys.executable, "-m", "fontTools.subset", SOURCE,
            f"--font-number={index}",
            f"--text-file={text_file}",
            f"--output-file={out}",
            "--layout-features=*",
            "--no-hinting",
            "--desubroutinize",
        ],
        check=True,
    )
    print(f"{out}: {out.stat().st_size} bytes, {len(wanted)} characters")


if __name__ == "__main__":
    main()
