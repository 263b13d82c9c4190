"""The command line's own words in Chinese (issue 20): click, Typer and argparse take their messages ("Usage:",
"Options", "[required]", "Show this message and exit.", "Missing option" …) from `gettext` when they are
imported. `install()`, called by the entry point before any of them is imported, answers those messages from the
table below; a message it does not know stays as it is. Typer's own copy of click (typer._click) writes its few
messages without gettext: `translate_typer()` wraps the methods that write them. Only the `yibao` process is
affected."""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from typing import Any

ZH = {
    # click
    "Usage:": "用法：",
    "Options": "选项",
    "Commands": "命令",
    "Arguments": "参数",
    "Positional arguments": "位置参数",
    "Show this message and exit.": "显示本帮助并退出。",
    "Error": "错误",
    "Error: {message}": "错误：{message}",
    "Missing option": "缺少选项",
    "Missing argument": "缺少参数",
    "Missing parameter": "缺少参数",
    "Missing command.": "缺少命令。",
    "No such option {name!r}.": "没有选项 {name!r}。",
    "No such command {name!r}.": "没有命令 {name!r}。",
    "Invalid value for {param_hint}: {message}": "{param_hint} 的值无效：{message}",
    "Invalid value: {message}": "值无效：{message}",
    "Try '{command} {option}' for help.": "用 '{command} {option}' 查看帮助。",
    "Got unexpected extra argument ({args})": "多出了参数（{args}）",
    "Got unexpected extra arguments ({args})": "多出了参数（{args}）",
    "Option {name!r} requires an argument.": "选项 {name!r} 需要一个值。",
    "Option {name!r} requires {nargs} arguments.": "选项 {name!r} 需要 {nargs} 个值。",
    "{value!r} is not a valid {number_type}.": "{value!r} 不是有效的{number_type}。",
    "{value} is not in the range {range}.": "{value} 不在范围 {range} 内。",
    "{value!r} is not {choice}.": "{value!r} 不是 {choice}。",
    "{value!r} is not one of {choices}.": "{value!r} 不是 {choices} 之一。",
    "{name} {filename!r} does not exist.": "{name} {filename!r} 不存在。",
    "{name} {filename!r} is a directory.": "{name} {filename!r} 是文件夹。",
    "{name} {filename!r} is not readable.": "{name} {filename!r} 无法读取。",
    "Could not open file {filename!r}: {message}": "无法打开文件 {filename!r}：{message}",
    "Did you mean {possibility}?": "是不是要用 {possibility}？",
    "(Did you mean one of: {possibilities}?)": "（是不是要用其中之一：{possibilities}？）",
    "integer": "整数",
    "float": "数字",
    "file": "文件",
    "directory": "文件夹",
    "path": "路径",
    "Aborted!": "已中止！",
    # Typer's help panels
    "[required]": "[必填]",
    "[default: {}]": "[默认：{}]",
    "[env var: {}]": "[环境变量：{}]",
    "(deprecated) ": "（已停用）",
    "Aborted.": "已中止。",
    "Try [blue]'{command_path} {help_option}'[/] for help.": "用 [blue]'{command_path} {help_option}'[/] 查看帮助。",
    # argparse (yibao calc)
    "usage: ": "用法：",
    "options": "选项",
    "positional arguments": "位置参数",
    "show this help message and exit": "显示本帮助并退出",
    "the following arguments are required: %s": "缺少必填参数：%s",
    "unrecognized arguments: %s": "无法识别的参数：%s",
    "invalid choice: %(value)r (choose from %(choices)s)": "无效的选择：%(value)r（可选：%(choices)s）",
    "invalid %(type)s value: %(value)r": "无效的 %(type)s 值：%(value)r",
    "expected one argument": "需要一个值",
    "%(prog)s: error: %(message)s\n": "%(prog)s：错误：%(message)s\n",
    "argument %(argument_name)s: %(message)s": "参数 %(argument_name)s：%(message)s",
}


def chinese(message: str) -> str:
    return ZH.get(message, message)


def chinese_plural(msgid1: str, msgid2: str, n: int) -> str:
    return chinese(msgid1 if n == 1 else msgid2)


def install() -> None:
    """Before click, Typer or argparse is imported: their messages in Chinese."""
    gettext.gettext = chinese
    gettext.ngettext = chinese_plural


USAGE = "用法："
HELP_OPTION = "显示本帮助并退出。"
ERRORS = (  # typer._click's error messages, as patterns, and their Chinese
    (re.compile(r"^Missing option(.*)$", re.S), r"缺少选项\1"),
    (re.compile(r"^Missing argument(.*)$", re.S), r"缺少参数\1"),
    (re.compile(r"^Missing parameter:? ?(.*)$", re.S), r"缺少参数 \1"),
    (re.compile(r"^Invalid value for (.+?): (.*)$", re.S), r"\1 的值无效：\2"),
    (re.compile(r"^Invalid value: (.*)$", re.S), r"值无效：\1"),
    (re.compile(r"^No such option: (.*)$", re.S), r"没有选项 \1"),
    (re.compile(r"^No such command (.*)$", re.S), r"没有命令 \1"),
    (re.compile(r"^Got unexpected extra arguments? \((.*)\)$", re.S), r"多出了参数（\1）"),
)


def chinese_error(message: str) -> str:
    for pattern, replacement in ERRORS:
        if pattern.match(message):
            return pattern.sub(replacement, message)
    return message


def _translated(method: Callable[..., str]) -> Callable[..., str]:
    def format_message(self: Any) -> str:
        return chinese_error(method(self))
    return format_message


def translate_typer() -> None:
    """Once Typer is imported: its usage line, help option and error messages in Chinese."""
    from typer._click import core, exceptions, formatting

    write_usage = formatting.HelpFormatter.write_usage

    def usage(self: Any, prog: str, args: str = "", prefix: str | None = None) -> None:
        write_usage(self, prog, args, USAGE if prefix is None else prefix)

    formatting.HelpFormatter.write_usage = usage  # type: ignore[method-assign]
    get_help_option = core.Command.get_help_option

    def help_option(self: Any, ctx: Any) -> Any:
        found = get_help_option(self, ctx)
        if found is not None:
            found.help = HELP_OPTION
        return found

    core.Command.get_help_option = help_option  # type: ignore[method-assign]
    for kind in (exceptions.UsageError, exceptions.BadParameter, exceptions.MissingParameter,
                 exceptions.NoSuchOption):
        if "format_message" in vars(kind):
            kind.format_message = _translated(vars(kind)["format_message"])  # type: ignore[method-assign]
