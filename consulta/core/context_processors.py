from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import get_language

from consulta.core.languages import plural_table


def site(request: HttpRequest) -> dict[str, object]:
    # plural_table: which plural form each number takes, for page scripts (<html data-plurals>).
    return {"site_name": settings.SITE_NAME, "plural_table": plural_table(get_language() or "en")}
