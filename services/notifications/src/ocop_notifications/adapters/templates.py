"""Messages from Jinja2 templates, one per (event type, language).

Layout: `ocop_notifications/templates/<EventName>.<language>.txt` (e.g.
`EvaluationCompleted.vi.txt`), each with a `{% block subject %}` (one line: the subject of the
email and of the inbox entry) and a `{% block body %}` (plain text). Variables: see
`domain.messages.context_for`. StrictUndefined: a missing variable raises instead of leaving a
blank. Filters: `vndate` (15/03/2026), `points` (85,5 / 90), `level` (cấp tỉnh / provincial),
`stars_list` (Chè (4 sao), Mật ong (3 sao) / Tea (4 stars)).
"""

from __future__ import annotations

from datetime import date
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined, TemplateNotFound
from ocop_shared.contracts import Event

from ..domain.deliveries import DEFAULT_LANGUAGE, LANGUAGES
from ..domain.messages import Message, context_for
from ..domain.rules import Recipient

_LEVELS = {
    "vi": {"district": "cấp huyện", "province": "cấp tỉnh", "central": "cấp trung ương"},
    "en": {"district": "district", "province": "provincial", "central": "national"},
}


def vndate(day: date) -> str:
    """A date the Vietnamese way: 15/03/2026 (also used in English: unambiguous here)."""
    return f"{day:%d/%m/%Y}"


def points(score: float, language: str = "vi") -> str:
    """A score: 85.5 -> "85,5" in Vietnamese ("85.5" in English), 90.0 -> "90"."""
    text = f"{score:g}"
    return text.replace(".", ",") if language == "vi" else text


def level(value: str, language: str = "vi") -> str:
    return _LEVELS.get(language, _LEVELS["vi"]).get(value, value)


def stars_list(products: list, language: str = "vi") -> str:
    unit = "sao" if language == "vi" else "stars"
    return ", ".join(f"{p.product_name} ({p.stars} {unit})" for p in products)


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("ocop_notifications", "templates"),
        undefined=StrictUndefined,
        autoescape=False,  # plain text: email text parts and inbox entries
        keep_trailing_newline=False,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(vndate=vndate, points=points, level=level, stars_list=stars_list)
    return env


def template_name(event_type: type[Event], language: str) -> str:
    return f"{event_type.__name__}.{language}.txt"


def has_template(event_type: type[Event], language: str) -> bool:
    try:
        environment().get_template(template_name(event_type, language))
    except TemplateNotFound:
        return False
    return True


def _squeeze(text: str) -> str:
    """Blank runs of lines at most one; no spaces at line ends."""
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out)


def render(event: Event, recipient: Recipient) -> Message:
    """The subject line and body `recipient` receives about `event`, in its language
    (Vietnamese when its language has no template)."""
    language = recipient.language if recipient.language in LANGUAGES else DEFAULT_LANGUAGE
    template = environment().get_template(template_name(type(event), language))
    context = template.new_context({**context_for(event, recipient), "lang": language})
    subject = " ".join("".join(template.blocks["subject"](context)).split())
    body = _squeeze("".join(template.blocks["body"](context)))
    return Message(subject_line=subject, body=body)
