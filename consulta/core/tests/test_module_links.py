"""`{% module_links %}`: every module of a page script, preloaded from the page's head."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.template import Context, Template, TemplateSyntaxError
from django.templatetags.static import static

from consulta.core.templatetags import modules


def test_the_graph_holds_the_page_script_and_every_module_it_imports_once() -> None:
    graph = modules.module_graph("js/pages/dashboard.js")
    assert graph[0] == "js/pages/dashboard.js"
    assert len(graph) == len(set(graph))
    # Five import levels deep: dashboard → consultation-call → call → mesh → link; and the tools' own modules.
    deep = {"js/call/call.js", "js/call/mesh.js", "js/call/link.js", "js/call/chat.js", "js/pages/page.js"}
    assert deep <= set(graph)
    for path in graph:
        assert finders.find(path), path


def test_every_kind_of_static_import_is_followed(monkeypatch: pytest.MonkeyPatch) -> None:
    sources = {
        "js/a.js": 'import { x,\n  y } from "./b.js";\nimport "./c.js";\nexport { z } from "../d.js";\n'
        '// import "./not-a-module.js" in a comment\nconst later = import("./dynamic.js");\n',
        "js/b.js": 'import { a } from "./a.js";\n',  # a cycle
        "js/c.js": "",
        "d.js": "",
    }
    monkeypatch.setattr(modules, "_source", sources.__getitem__)
    assert modules._graph("js/a.js") == ("js/a.js", "js/b.js", "js/c.js", "d.js")


def test_the_links_name_the_collected_files() -> None:
    html = Template('{% load modules %}{% module_links "js/pages/dashboard.js" %}').render(Context())
    for path in modules.module_graph("js/pages/dashboard.js"):
        assert f'<link rel="modulepreload" href="{static(path)}">' in html
    prefetch = Template('{% load modules %}{% module_links "js/pages/dashboard.js" rel="prefetch" %}').render(Context())
    assert prefetch.count('rel="prefetch"') == len(modules.module_graph("js/pages/dashboard.js"))


def test_only_the_two_kinds_of_link() -> None:
    with pytest.raises(TemplateSyntaxError):
        Template('{% load modules %}{% module_links "js/pages/dashboard.js" rel="preload" %}').render(Context())


def test_a_module_is_linked_once_per_page() -> None:
    html = Template(
        '{% load modules %}{% module_links "js/pages/dashboard.js" %}'
        '{% module_links "js/pages/room-call.js" rel="prefetch" %}'
    ).render(Context())
    for path in modules.module_graph("js/pages/dashboard.js"):
        assert html.count(f'href="{static(path)}"') == 1, path
    assert f'<link rel="modulepreload" href="{static("js/call/call.js")}">' in html  # the page's own, preloaded
    assert f'<link rel="prefetch" href="{static("js/pages/room-call.js")}">' in html
