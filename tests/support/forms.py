"""Reading an HTML form's fields as a browser would submit them (no browser needed).

Used where a test must post a *valid* admin UI form, such as the tenant isolation walk,
which takes a form from one object's edit page and posts it to another's address.
"""

from __future__ import annotations

from html.parser import HTMLParser

__all__ = ["form_fields"]


class _Forms(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.forms: list[tuple[dict[str, str], list[tuple[str, str]]]] = []
        self._fields: list[tuple[str, str]] | None = None
        self._select: str | None = None
        self._select_first: str | None = None
        self._select_chosen = False
        self._option: dict[str, str] | None = None
        self._option_text = ""
        self._option_selected = False
        self._textarea: str | None = None
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        present = {k for k, _ in attrs}
        if tag == "form":
            self._fields = []
            self.forms.append((a, self._fields))
        elif self._fields is None or "disabled" in present:
            return
        elif tag == "input" and a.get("name"):
            kind = a.get("type", "text").lower()
            if kind in ("submit", "button", "file", "image", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in present:
                return
            self._fields.append((a["name"], a.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "textarea" and a.get("name"):
            self._textarea, self._text = a["name"], ""
        elif tag == "select" and a.get("name"):
            self._select, self._select_first, self._select_chosen = a["name"], None, False
        elif tag == "option" and self._select is not None:
            self._option, self._option_text = a, ""
            self._option_selected = "selected" in present

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text += data
        if self._option is not None:
            self._option_text += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._fields = None
        elif tag == "textarea" and self._textarea is not None and self._fields is not None:
            self._fields.append((self._textarea, self._text))
            self._textarea = None
        elif tag == "option" and self._option is not None and self._select is not None:
            value = self._option.get("value", self._option_text.strip())
            if self._select_first is None:
                self._select_first = value
            if self._option_selected and self._fields is not None:
                self._fields.append((self._select, value))
                self._select_chosen = True
            self._option = None
        elif tag == "select" and self._select is not None:
            if (
                not self._select_chosen
                and self._select_first is not None
                and self._fields is not None
            ):
                self._fields.append((self._select, self._select_first))
            self._select = None


def form_fields(html: str, action: str) -> dict[str, list[str]]:
    """The fields the form posting to ``action`` would send (the first such form)."""
    parser = _Forms()
    parser.feed(html)
    for attrs, fields in parser.forms:
        if attrs.get("action", "") == action and attrs.get("method", "get").lower() == "post":
            result: dict[str, list[str]] = {}
            for name, value in fields:
                result.setdefault(name, []).append(value)
            return result
    raise AssertionError(f"no POST form to {action} on the page")
