"""The data-path commands of the CLI (``import-ecerto``, ``new``), kept apart from rmwork.cli so
that the CLI hook is a few lines (CONTRACT.md, issue 15)."""

from __future__ import annotations

COMMANDS = ("import-ecerto", "new")


def add_commands(sub) -> None:
    i = sub.add_parser("import-ecerto", help="turn an eCerto backup (.rda / .RData) into a lot")
    i.add_argument("file")
    i.add_argument("out_dir")
    n = sub.add_parser("new", help="write parameters/LOT.yaml with every key commented")
    n.add_argument("lot")
    n.add_argument("--data", default=None, help="folder whose data files are filled in")
    n.add_argument("--out", default="parameters", help="folder for LOT.yaml (default: parameters)")


def run(args) -> int:
    if args.cmd == "import-ecerto":
        from . import ecerto

        print(ecerto.import_backup(args.file, args.out_dir).summary())
        return 0
    from . import scaffold

    print(f"wrote {scaffold.new(args.lot, data=args.data, out=args.out)}")
    return 0
