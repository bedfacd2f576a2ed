"""MkDocs hooks of the qflow docs site (configured in ``mkdocs.yml``).

* the navigation may list pages that are not written yet: they are dropped (and named in the log);
* ``cli.md`` is generated from the argparse parsers (:func:`qflow_core.cli.reference.cli_reference`);
* every module named on ``api.md`` must have a docstring, and so must each name in its ``__all__``;
* no page may point readers at files they do not have (internal specification names).

Each problem is logged as a warning, so ``mkdocs build --strict`` fails on it.
"""

from __future__ import annotations

import importlib
import inspect
import logging
import re
from pathlib import Path

from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.qflow_docs")

FORBIDDEN = re.compile(r"\.\./shared|\bTHEORY\b|\bDESIGN\b|\bEMERGENT\.md|\bnotes/")


def on_config(config):
    docs = Path(config["docs_dir"])
    config["nav"] = _existing(config["nav"] or [], docs)
    return config


def _existing(nav: list, docs: Path) -> list:
    kept = []
    for entry in nav:
        ((title, target),) = entry.items() if isinstance(entry, dict) else (("", entry),)
        if isinstance(target, list):
            children = _existing(target, docs)
            if children:
                kept.append({title: children})
        elif target in ("cli.md",) or (docs / target).exists() or "://" in target:
            kept.append(entry)
        else:
            log.info("navigation: %s is not written yet, left out", target)
    return kept


def on_files(files, config):
    from qflow_core.cli.reference import cli_reference

    files.append(File.generated(config, "cli.md", content=cli_reference()))
    return files


def on_pre_build(config):
    api = Path(config["docs_dir"]) / "api.md"
    for module_name in re.findall(r"^::: *([\w.]+)", api.read_text(), re.M) if api.exists() else []:
        module = importlib.import_module(module_name)
        if not (module.__doc__ or "").strip():
            log.warning("api.md: module %s has no docstring", module_name)
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name, None)
            if (inspect.isclass(obj) or inspect.isfunction(obj)) and not (obj.__doc__ or "").strip():
                log.warning("api.md: %s.%s has no docstring", module_name, name)


def on_page_content(html, page, config, files):
    for match in FORBIDDEN.finditer(html):
        log.warning(
            "%s mentions %r, which readers do not have: say it in the page's own words",
            page.file.src_uri,
            match.group(),
        )
    return html
