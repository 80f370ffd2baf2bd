from django.contrib.staticfiles.storage import ManifestStaticFilesStorage


class StaticStorage(ManifestStaticFilesStorage):
    """Content-hashed names, also inside ES module imports.

    Without import rewriting a page script would be cache-busted but the modules
    it imports would not, and a browser could mix an old module with a new page.
    """

    support_js_module_import_aggregation = True
