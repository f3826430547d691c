"""``rmwork import-ecerto`` and ``rmwork new`` (issue 15; the library code is :mod:`rmwork.ecerto`
and :mod:`rmwork.scaffold`)."""

from __future__ import annotations

from ..cli import command


def _import_args(p) -> None:
    p.add_argument("file")
    p.add_argument("out_dir")


@command("import-ecerto", "turn an eCerto backup (.rda / .RData) into a lot", _import_args)
def cmd_import_ecerto(args) -> int:
    from ... import ecerto

    print(ecerto.import_backup(args.file, args.out_dir).summary())
    return 0


def _new_args(p) -> None:
    p.add_argument("lot")
    p.add_argument("--data", default=None, help="folder whose data files are filled in")
    p.add_argument("--out", default="parameters", help="folder for LOT.yaml (default: parameters)")


@command("new", "write parameters/LOT.yaml with every key commented", _new_args)
def cmd_new(args) -> int:
    from ... import scaffold

    print(f"wrote {scaffold.new(args.lot, data=args.data, out=args.out)}")
    return 0
