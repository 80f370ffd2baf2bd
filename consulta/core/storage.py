from whitenoise.storage import CompressedManifestStaticFilesStorage


class StaticStorage(CompressedManifestStaticFilesStorage):
    """Content-hashed names, also inside ES module imports, and a gzip copy of each file.

    Without import rewriting a page script would be cache-busted but the modules
    it imports would not, and a browser could mix an old module with a new page.
    WhiteNoise sends the compressed copy to every browser that accepts it: the patient
    entry page's stylesheets and scripts are a third of their size on the wire, which
    keeps the page under 100 KB in its heaviest language (BENCHMARKS.md, issue 14).
    """

    support_js_module_import_aggregation = True
