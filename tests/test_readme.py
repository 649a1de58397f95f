"""The README tells a newcomer every command the app has and what the end-to-end tests need (issue 14, item 15)."""

import re
from pathlib import Path

import click
from flask import Flask
from flask.cli import FlaskGroup, ScriptInfo

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_commands_table_lists_every_command_flask_lists(app: Flask):
    group = FlaskGroup(create_app=lambda: app, add_default_commands=True)
    context = click.Context(group, obj=ScriptInfo(create_app=lambda: app))
    listed = set(group.list_commands(context))
    assert {"init-db", "demo-data", "db", "run"} <= listed
    table = _section("Commands")
    documented = set(re.findall(r"^\| `flask --app app ([a-z-]+)", table, flags=re.MULTILINE))
    assert documented == listed, f"missing: {sorted(listed - documented)}, unknown: {sorted(documented - listed)}"


def test_the_readme_says_what_the_end_to_end_accessibility_checks_need():
    quick_start = _section("Quick start")
    assert "axe-core" in quick_start and "AXE_CORE_JS" in quick_start and "chromium" in quick_start
