"""The command line's parser (orgbackup/cli.py): every command in the parser and the table, the
forms of --read-data-subset."""

from __future__ import annotations

from orgbackup.cli import SUBCOMMANDS, build_parser


def test_every_command_is_in_the_parser_and_the_table():
    parser = build_parser()
    choices = next(a for a in parser._actions if a.dest == "command").choices
    assert list(choices) == list(SUBCOMMANDS)


def test_the_read_data_subset_forms():
    parse = build_parser().parse_args
    for good in ("5%", "2.5%", "1/7", "500M", "12"):
        assert parse(["verify", "--read-data-subset", good]).read_data_subset == good
