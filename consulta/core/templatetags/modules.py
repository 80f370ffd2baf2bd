"""`{% module_links "js/pages/dashboard.js" %}`: a `<link rel="modulepreload">` for a page
script and every module it imports, however deep.

Without them the browser finds the imports one level at a time (page script → call.js →
tools.js → chat.js), a round trip each: four on the call pages. With them every module is
asked for at once, from the page's head. `rel="prefetch"` instead only warms the HTTP cache
for a page opened next (another call page, say), without running anything. Each
module is linked once per page, by whichever tag names it first.
"""

from __future__ import annotations

import functools
import posixpath
import re
from typing import Any

from django import template
from django.conf import settings
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.templatetags.static import static
from django.utils.html import format_html_join
from django.utils.safestring import SafeString

register = template.Library()

# Static imports and re-exports of a relative path: `import {a} from "./x.js"`, `import "./x.js"`,
# `export {a} from "../x.js"`, over several lines too. Dynamic import() is left alone.
IMPORT = re.compile(
    r"""^\s*(?:import|export)\b(?:[^;'"]*?\bfrom)?\s*["'](?P<path>\.{1,2}/[^"']+)["']""",
    re.MULTILINE,
)
RELS = frozenset({"modulepreload", "prefetch"})


def _source(path: str) -> str:
    found = finders.find(path)
    if found:
        with open(found, encoding="utf-8") as file:
            return file.read()
    with staticfiles_storage.open(path) as file:  # a deployment with the collected files only
        return file.read().decode("utf-8")


def _graph(entry: str) -> tuple[str, ...]:
    """The entry, then every module it imports (depth first), each once; static paths."""
    order: list[str] = []

    def visit(path: str) -> None:
        if path in order:
            return
        order.append(path)
        for match in IMPORT.finditer(_source(path)):
            visit(posixpath.normpath(posixpath.join(posixpath.dirname(path), match["path"])))

    visit(entry)
    return tuple(order)


_cached_graph = functools.cache(_graph)


def module_graph(entry: str) -> tuple[str, ...]:
    # Read once per process; while developing (DEBUG) the files may change under it.
    return _graph(entry) if settings.DEBUG else _cached_graph(entry)


@register.simple_tag(takes_context=True)
def module_links(context: template.Context, entry: str, rel: str = "modulepreload") -> SafeString:
    if rel not in RELS:
        raise template.TemplateSyntaxError(f"module_links: rel must be one of {sorted(RELS)}")
    # Each module once per page: a prefetch of one already preloaded would fetch it twice.
    render: Any = context.render_context  # django-stubs types its values as the template engine's own
    linked: set[str] = render.setdefault("module_links", set())
    paths = [path for path in module_graph(entry) if path not in linked]
    linked.update(paths)
    return format_html_join("", '<link rel="{}" href="{}">', ((rel, static(path)) for path in paths))
