"""`{% language_picker %}`: the one language picker, in every language's own name.

Patient pages put it at the top of their content (`patient_base.html`), where nobody
misses it; other pages keep it in the header.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.utils import translation
from django.utils.html import format_html

from consulta.core.languages import BY_CODE, picker_choices

register = template.Library()


@register.inclusion_tag("core/language_picker.html", takes_context=True)
def language_picker(context: template.Context, prominent: bool = False) -> dict[str, Any]:
    request = context.get("request")
    return {
        "choices": [(code, name, BY_CODE[code].direction) for code, name in picker_choices()],
        "current": translation.get_language(),
        "next": request.get_full_path() if request is not None else "/",
        "prominent": prominent,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def bdi(value: object) -> str:
    """`{% blocktranslate with clinic=clinic.name|bdi %}`: a name isolated from the sentence
    around it, so a Latin name in Arabic text (or the reverse) keeps its own order."""
    return format_html("<bdi>{}</bdi>", value)
