"""Python syntax highlighting for the code view and the task editor."""

from __future__ import annotations

import keyword
import re

from PySide6.QtGui import QFont, QSyntaxHighlighter, QTextCharFormat, QTextDocument

from coreography.gui import theme


def _format(role: str, bold: bool = False, italic: bool = False) -> QTextCharFormat:
    fmt = QTextCharFormat()
    fmt.setForeground(theme.syntax_color(role))
    if bold:
        fmt.setFontWeight(QFont.Weight.Bold)
    fmt.setFontItalic(italic)
    return fmt


_KEYWORDS = r"\b(?:" + "|".join(keyword.kwlist) + r")\b"
_BUILTINS = r"\b(?:print|range|len|sum|min|max|list|dict|int|float|str|enumerate|zip|open)\b"
#: (pattern, syntax role, bold, italic, group): later rules win where they overlap.
_RULES = (
    (re.compile(_KEYWORDS), "keyword", True, False, 0),
    (re.compile(_BUILTINS), "builtin", False, False, 0),
    (re.compile(r"\b\d[\d_]*(?:\.\d+)?\b"), "number", False, False, 0),
    (re.compile(r"\b(?:def|class)\s+(\w+)"), "definition", True, False, 1),
    (re.compile(r"'[^'\n]*'|\"[^\"\n]*\""), "string", False, False, 0),
    (re.compile(r"#[^\n]*"), "comment", False, True, 0),
)
_TRIPLE = re.compile(r'"""')
_IN_DOCSTRING = 1


class PythonHighlighter(QSyntaxHighlighter):
    """Keywords, names being defined, numbers, strings, comments and docstrings, in the
    active theme's colours (:meth:`restyle` after a theme change)."""

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)
        self._restyled_for = ""
        self._formats: list[tuple[re.Pattern, QTextCharFormat, int]] = []
        self._docstring = QTextCharFormat()
        self._make_formats()

    def _make_formats(self) -> None:
        self._restyled_for = theme.active().name
        self._formats = [
            (pattern, _format(role, bold, italic), group)
            for pattern, role, bold, italic, group in _RULES
        ]
        self._docstring = _format("string", italic=True)

    def restyle(self) -> None:
        """Colour the text again if the theme changed since it was coloured."""
        if self._restyled_for != theme.active().name:
            self._make_formats()
            self.rehighlight()

    def highlightBlock(self, text: str) -> None:
        for pattern, fmt, group in self._formats:
            for match in pattern.finditer(text):
                start, end = match.span(group)
                self.setFormat(start, end - start, fmt)
        self._highlight_docstrings(text)

    def _highlight_docstrings(self, text: str) -> None:
        """Triple-quoted strings may span lines: the block state carries "inside one"."""
        inside = self.previousBlockState() == _IN_DOCSTRING
        start = 0 if inside else -1
        for match in _TRIPLE.finditer(text):
            if inside:
                self.setFormat(start, match.end() - start, self._docstring)
                inside, start = False, -1
            else:
                inside, start = True, match.start()
        if inside:
            self.setFormat(max(start, 0), len(text) - max(start, 0), self._docstring)
        self.setCurrentBlockState(_IN_DOCSTRING if inside else 0)
