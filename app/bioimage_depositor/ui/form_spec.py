"""Page layouts read from ``forms/*.toml``: labels, help, examples and widget hints.

Keeping this text out of the widget code gives one place to edit wording, and
lets the help and examples be reviewed by people who do not read Python.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache

from ..paths import form_path


@dataclass(frozen=True)
class FieldSpec:
    """One field of a page as the form file describes it."""

    key: str
    label: str
    widget: str
    help: str
    example: str = ""
    required: bool = False

    @property
    def plain_label(self) -> str:
        """The label without its mnemonic marker."""
        return self.label.replace("&", "")


@dataclass(frozen=True)
class PageForm:
    """A page's title, subtitle, REMBI link and fields."""

    page: str
    title: str
    subtitle: str
    rembi_url: str
    fields: tuple[FieldSpec, ...]
    noun: str = ""

    def field(self, key: str) -> FieldSpec:
        """The field called ``key``."""
        for spec in self.fields:
            if spec.key == key:
                return spec
        raise KeyError(key)


@cache
def load_form(name: str) -> PageForm:
    """Read ``forms/<name>.toml`` (cached: the files ship with the program)."""
    data = tomllib.loads(form_path(f"{name}.toml").read_text(encoding="utf-8"))
    fields = tuple(
        FieldSpec(
            key=item["key"],
            label=item["label"],
            widget=item["widget"],
            help=item["help"],
            example=item.get("example", ""),
            required=bool(item.get("required", False)),
        )
        for item in data["fields"]
    )
    return PageForm(
        data["page"], data["title"], data.get("subtitle", ""), data.get("rembi_url", ""), fields, data.get("noun", "")
    )
