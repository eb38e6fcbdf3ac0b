"""The entry point: the COMMANDS table, help without torch, one-line errors, exit codes."""

import subprocess
import sys

import pytest

import cnnscope
from cnnscope.cli.main import COMMANDS, build_parser, command_module, main



def test_every_command_in_the_table_is_a_module_with_add_parser_and_run():
    parser = build_parser()
    subparsers = next(a for a in parser._actions if a.__class__.__name__ == "_SubParsersAction")
    assert list(subparsers.choices) == list(COMMANDS)  # the table is the whole list, in its order
    for command in COMMANDS:
        module = command_module(command)
        assert callable(module.add_parser) and callable(module.run), command


def test_help_does_not_import_torch():
    code = ("import sys\nfrom cnnscope.cli.main import main\n"
            "for argv in (['--help'], ['summary', '--help'], ['train', '--help']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "print('torch' in sys.modules, 'rich' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip().endswith("False False"), result.stderr


def test_console_script_and_module_entry_point(run_cli):
    result = run_cli.process("summary", "lenet5", "--input", "2,1,28", "--format", "json")
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr == "cnnscope: error: layer 0 (Conv2d) expects 1 input channels but receives 2 (input 1×2×1×28)\n"
    help_text = subprocess.run(["cnnscope", "--help"], capture_output=True, text=True)
    assert help_text.returncode == 0 and "summary" in help_text.stdout


def test_no_command_prints_the_help(run_cli):
    code, out, _ = run_cli()
    assert code == 2 and "COMMAND" in out


@pytest.mark.parametrize("argv,fragments", [
    (["summary", "lenet5", "--format", "xml"], ["invalid choice: 'xml'", "see `cnnscope summary --help`"]),
    (["nothing"], ["invalid choice: 'nothing'"]),
    (["summary", "lenet5", "--depth", "two"], ["--depth", "invalid int value"]),
])
def test_usage_errors_are_one_line_with_exit_2(run_cli, argv, fragments):
    code, _, err = run_cli(*argv)
    assert code == 2
    run_cli.assert_one_line_error(code, err, *fragments)


def test_a_bug_is_an_internal_error_with_exit_70(run_cli, monkeypatch):
    import cnnscope.analysis.analyze as analysis

    def broken(*args, **kwargs):
        raise ZeroDivisionError("division by zero\nsecond line")

    monkeypatch.setattr(analysis, "analyze", broken)
    code, _, err = run_cli("summary", "lenet5")
    assert code == 70
    assert err == ("cnnscope: internal error: ZeroDivisionError: division by zero (run with CNNSCOPE_DEBUG=1 for the "
                   "traceback, and please report it)\n")


def test_debug_env_shows_the_traceback(monkeypatch):
    monkeypatch.setenv("CNNSCOPE_DEBUG", "1")
    with pytest.raises(cnnscope.errors.ModelNotFoundError):
        main(["summary", "resnet5"])
