"""More ``rmwork`` commands, one module each (``new``, ``import-ecerto``, ``keys``, ``sign``,
``verify-certificate`` ...).

A module here registers its command with :func:`rmwork.run.cli.command`; the CLI imports every
module of this package when it builds its parser, so adding a command is adding a file (no
shared list to edit).  Example::

    from rmwork.run.cli import command

    def _arguments(p):
        p.add_argument("lot")
        p.add_argument("--data", default=None)

    @command("new", "write parameters/LOT.yaml with every key commented", _arguments)
    def cmd_new(args) -> int:
        from rmwork import scaffold           # the library function lives outside rmwork.run
        print(scaffold.new(args.lot, data=args.data))
        return 0

Registering a name that exists replaces it (``verify`` with ``--trust`` may wrap
:func:`rmwork.run.cli.cmd_verify`).  Raise :class:`rmwork.errors.InputError` for bad input: the
CLI prints it as one line and exits 2.
"""
