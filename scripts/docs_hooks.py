"""MkDocs hooks (mkdocs.yml ``hooks:``): add the generated reference pages at build time.

The connector language reference, the REST API reference (one page per OpenAPI tag) and the
status glossary are rendered from the code that defines them, so they are never stale and
never committed. ``generated_pages()`` is also what tests/docs checks.
"""

from __future__ import annotations

import os
from typing import Any

_cache: dict[str, str] = {}


def generated_pages() -> dict[str, str]:
    """{docs path: Markdown} of every generated page."""
    if _cache:
        return dict(_cache)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "web.settings")
    import django

    django.setup()
    from aggregators.connector.reference import render_reference
    from channels_app.status_glossary import glossary_markdown
    from web.api.urls import api
    from web.apidocs import api_pages

    pages = {
        "reference/connector-language.md": render_reference(),
        "reference/statuses.md": glossary_markdown(),
    }
    for name, text in api_pages(api.get_openapi_schema()).items():
        pages[f"reference/api/{name}"] = text
    _cache.update(pages)
    return pages


def on_config(config: Any) -> Any:
    """The REST API section of the nav lists one page per OpenAPI tag, whatever tags exist now
    (a new API resource needs no mkdocs.yml edit, and strict mode never sees an unlisted page)."""
    api_pages = sorted(
        p for p in generated_pages() if p.startswith("reference/api/") and p != "reference/api/index.md"
    )
    entries: list[Any] = [{"Overview": "reference/api/index.md"}]
    entries += [{p.rsplit("/", 1)[1].removesuffix(".md").replace("-", " "): p} for p in api_pages]
    _replace_section(config["nav"] or [], "REST API", entries)
    return config


def _replace_section(nav: list[Any], title: str, entries: list[Any]) -> bool:
    for item in nav:
        if isinstance(item, dict):
            for key, value in item.items():
                if key == title:
                    item[key] = entries
                    return True
                if isinstance(value, list) and _replace_section(value, title, entries):
                    return True
    return False


def on_files(files: Any, config: Any) -> Any:
    from mkdocs.structure.files import File

    for path, text in generated_pages().items():
        existing = files.get_file_from_path(path)
        if existing is not None:
            files.remove(existing)
        files.append(File.generated(config, path, content=text))
    return files
