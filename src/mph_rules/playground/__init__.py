"""The playground: try a case against a bundled pack in a browser (extra ``playground``).

``create_app()`` returns a Starlette ASGI application; ``mph-rules serve`` mounts it at
``/playground`` and ``mph-rules playground`` runs it alone. Server-rendered HTML forms, no
script and no web resource: the stylesheet and the example cases ship with the package, the
pictures are inline SVG. Each citation links to the rule's row in the pack's reference page
(served here, from the same generator as ``docs/packs``).
"""

from __future__ import annotations

import datetime as dt
import re
from functools import lru_cache
from html import escape
from importlib import resources
from pathlib import Path
from typing import Any

import markdown
from pydantic import ValidationError
from starlette.applications import Starlette
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from mph_rules import render
from mph_rules.engine import Engine
from mph_rules.errors import EventError, MphRulesError, Problem
from mph_rules.events import Case
from mph_rules.loading import bundled_names, load_pack, validation_problems
from mph_rules.render.i18n import Messages, language
from mph_rules.suggestions import did_you_mean
from mph_rules.yamlread import MAX_BYTES, read_yaml

__all__ = ["create_app"]

_AS_OF = re.compile(r"--as-of (\S+)")
_MERMAID = re.compile(r"```mermaid\n.*?```\n", re.S)


def _examples_dir() -> Path:
    return Path(str(resources.files("mph_rules.playground") / "examples"))


def examples(pack: str) -> list[str]:
    """The example cases shipped for a pack (file stems)."""
    folder = _examples_dir() / pack
    return sorted(p.stem for p in folder.glob("*.yaml")) if folder.is_dir() else []


def _example_text(pack: str, name: str) -> tuple[str, str]:
    """An example case's text and the as-of its header comment names."""
    if name not in examples(pack):
        return "", ""
    text = (_examples_dir() / pack / f"{name}.yaml").read_text(encoding="utf-8")
    found = _AS_OF.search(text)
    return text, found.group(1) if found else ""


@lru_cache(maxsize=16)
def _engine(pack: str) -> Engine:
    """One compiled engine per bundled pack (an engine is pure: sharing it is invisible)."""
    return Engine(load_pack(pack))


def _pack_name(name: str) -> str:
    names = bundled_names()
    if name not in names:
        raise MphRulesError(
            [Problem(f"unknown pack {name!r}", hint=did_you_mean(name, names), code="MPH-P001")]
        )
    return name


def _case(raw: bytes | str, file: str) -> Case:
    """A case from pasted or uploaded text, with the same located errors as a file."""
    doc, problems = read_yaml(raw, file)
    if problems:
        raise EventError(problems)
    if not isinstance(doc.data, dict):
        raise EventError(
            [Problem("a case is a mapping with id, facts, subjects, events", file, code="MPH-C001")]
        )
    try:
        return Case.model_validate(doc.data)
    except ValidationError as exc:
        raise EventError(validation_problems(exc, doc, Case)) from None


def _as_of(text: str) -> dt.date | dt.datetime:
    from mph_rules.cli.common import as_of  # the CLI's parser: one reading of --as-of

    return as_of(text.strip())


class _Page:
    """The playground page: the form, then the decision or the problems."""

    def __init__(self, request: Request, m: Messages) -> None:
        self.request = request
        self.m = m

    def url(self, name: str, **params: Any) -> str:
        return str(self.request.url_for(name, **params))

    def form(self, pack: str, case_text: str, as_of: str) -> str:
        m = self.m
        packs = "".join(
            f'<option value="{p}"{" selected" if p == pack else ""}>{p}</option>'
            for p in bundled_names()
        )
        langs = "".join(
            f'<option value="{code}"{" selected" if code == m.lang else ""}>{code}</option>'
            for code in ("nl", "en")
        )
        links = " ".join(
            f'<a class="example" href="{self.url("home")}?pack={pack}&amp;example={name}'
            f'&amp;lang={m.lang}">{escape(name)}</a>'
            for name in examples(pack)
        )
        return (
            f'<form class="case" method="post" action="{self.url("evaluate")}" '
            'enctype="multipart/form-data">'
            f'<label for="pack">{escape(m("playground.pack"))}</label>'
            f'<div class="row"><select id="pack" name="pack">{packs}</select>'
            f'<a href="{self.url("docs", pack=pack)}?lang={m.lang}">'
            f'{escape(m("playground.docs"))}</a></div>'
            f"<label>{escape(m('playground.examples'))}</label>"
            f'<div class="examples">{links or "-"}</div>'
            f'<label for="case_text">{escape(m("playground.case"))}</label>'
            f'<textarea id="case_text" name="case_text" spellcheck="false">'
            f"{escape(case_text)}</textarea>"
            f'<label for="case_file">{escape(m("playground.upload"))}</label>'
            '<input type="file" id="case_file" name="case_file" accept=".yaml,.yml,.json">'
            f'<label for="as_of">{escape(m("playground.as_of"))}</label>'
            f'<div class="row"><input id="as_of" name="as_of" value="{escape(as_of)}" '
            'placeholder="2024-10-01" required>'
            f'<label for="lang">{escape(m("playground.lang"))}</label>'
            f'<select id="lang" name="lang">{langs}</select>'
            f'<button type="submit" id="evaluate">{escape(m("playground.evaluate"))}</button>'
            "</div></form>"
        )

    def document(self, title: str, body: str, status: int = 200) -> HTMLResponse:
        m = self.m
        head = f'<link rel="stylesheet" href="{self.url("static", path="playground.css")}">'
        bar = (
            f'<header class="bar"><h1>{escape(m("playground.title"))}</h1>'
            f'<a href="{self.url("home")}?lang={m.lang}">{escape(m("playground.new"))}</a>'
            "</header>"
        )
        page = render.html.page(title, body, lang=m.lang, extra_head=head)
        return HTMLResponse(page.replace("<body>", "<body>" + bar, 1), status_code=status)


def _lang(value: object) -> str:
    return language(value if value in ("nl", "en") else None)


async def home(request: Request) -> Response:
    m = Messages(_lang(request.query_params.get("lang")))
    pack = request.query_params.get("pack", "hilversum")
    if pack not in bundled_names():
        pack = bundled_names()[0]
    text, as_of = _example_text(pack, request.query_params.get("example", ""))
    page = _Page(request, m)
    intro = f'<p class="meta">{escape(m("playground.intro"))}</p>'
    return page.document(m("playground.title"), intro + page.form(pack, text, as_of))


async def evaluate(request: Request) -> Response:
    form = await request.form(max_files=1, max_fields=8)
    m = Messages(_lang(form.get("lang")))
    page = _Page(request, m)
    pack = str(form.get("pack", ""))
    text = str(form.get("case_text", "") or "")
    as_of_text = str(form.get("as_of", "") or "")
    upload = form.get("case_file")
    raw: bytes | str = text
    file = m("playground.pasted")
    if isinstance(upload, UploadFile) and upload.filename:
        raw = await upload.read(MAX_BYTES + 1)
        file = upload.filename
        text = raw.decode("utf-8", errors="replace")
    try:
        engine = _engine(_pack_name(pack))
        decision = engine.evaluate(_case(raw, file), as_of=_as_of(as_of_text))
    except MphRulesError as exc:
        items = "".join(
            f"<li>{escape(render.text.problem(p, lang=m.lang))}</li>" for p in exc.problems
        )
        body = (
            page.form(pack if pack in bundled_names() else "hilversum", text, as_of_text)
            + f'<div class="problems" id="problems"><b>{escape(m("error.bad_input"))}</b>'
            f"<ul>{items}</ul></div>"
        )
        return page.document(m("playground.title"), body, status=422)
    docs = f"{page.url('docs', pack=pack)}?lang={m.lang}"
    result = render.html.decision_body(
        decision, engine.pack, lang=m.lang, docs_href=lambda rule: f"{docs}#{rule}"
    )
    body = page.form(pack, text, as_of_text) + f'<section id="decision">{result}</section>'
    return page.document(m("decision.title", case=decision.case_id, title=pack), body)


@lru_cache(maxsize=16)
def _docs_html(pack: str, lang: str) -> str:
    """The pack's reference page (the Markdown of ``mph-rules docs``) as HTML, in ``lang``;
    its pictures in the same language. The anchors are the same in every language."""
    text = _MERMAID.sub("", render.markdown.pack(load_pack(pack), lang=lang))
    html = markdown.markdown(text, extensions=["tables"], output_format="html")
    return re.sub(r'(<img [^>]*src="[^"/?]+\.svg)"', rf'\1?lang={lang}"', html)


async def docs(request: Request) -> Response:
    m = Messages(_lang(request.query_params.get("lang")))
    pack = request.path_params["pack"]
    if pack not in bundled_names():
        return HTMLResponse(escape(m("playground.no_pack", pack=pack)), status_code=404)
    page = _Page(request, m)
    return page.document(
        pack, f'<article class="docs">{_docs_html(pack, m.lang)}</article>'
    )


async def picture(request: Request) -> Response:
    pack = request.path_params["pack"]
    if pack not in bundled_names():
        return Response(status_code=404)
    pictures = render.markdown.pictures(
        load_pack(pack), lang=_lang(request.query_params.get("lang"))
    )
    name = request.path_params["name"] + ".svg"
    if name not in pictures:
        return Response(status_code=404)
    return Response(pictures[name], media_type="image/svg+xml")


def create_app() -> Starlette:
    """The playground as an ASGI application (mount it anywhere; links follow the mount)."""
    static = StaticFiles(packages=[("mph_rules.playground", "static")])
    return Starlette(
        routes=[
            Route("/", home, name="home"),
            Route("/evaluate", evaluate, methods=["POST"], name="evaluate"),
            Route("/packs/{pack}/docs", docs, name="docs"),
            Route("/packs/{pack}/{name}.svg", picture, name="picture"),
            Mount("/static", app=static, name="static"),
        ]
    )
