"""/docs/: the documentation site built by `make docs` (or `make run`), served as static files.

Public like any manual: no login. Paths are resolved inside the built directory only
(`django.views.static.serve` refuses `..`); a directory URL serves its `index.html`, which is
how MkDocs lays pages out. Before the site is built /docs/ is a 404 that says how to build it.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, HttpResponseRedirect
from django.views.decorators.http import require_safe
from django.views.static import serve


@require_safe
def docs_page(request: HttpRequest, path: str = "") -> HttpResponseBase:
    root = Path(settings.FLOWGATE_DOCS_DIR)
    if not (root / "index.html").is_file():
        return HttpResponse(
            "The documentation is not built: run `make docs` (or `make run`, which builds it).",
            status=404,
            content_type="text/plain",
        )
    if ".." in Path(path).parts or path.startswith("/"):
        raise Http404("no such page")
    if path and not path.endswith("/") and (root / path).is_dir():
        return HttpResponseRedirect(request.path + "/")
    if path == "" or path.endswith("/"):
        path += "index.html"
    response = serve(request, path, document_root=str(root))
    # MkDocs Material inlines its own small scripts; these pages are built by us from the repo,
    # never from user input, so they get a policy of their own instead of the app's strict one.
    response["Content-Security-Policy"] = DOCS_CSP
    return response


DOCS_CSP = (
    "default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; frame-ancestors 'none'; form-action 'self'"
)
