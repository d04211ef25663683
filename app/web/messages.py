"""Service refusals in the reader's language.

Services and the API speak English to programs (their messages name fields and rules); a person
in the UI reads the same refusal translated. Each known message shape maps to a catalog string;
a message with no translation is shown after a translated lead-in, marked as English (lang="en")
so it is honest about being untranslated."""
from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext as _
from markupsafe import Markup, escape

Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _rules() -> list[Rule]:
    r = re.compile
    return [
        (r(r"a flag needs at least one category"), lambda m: _("Pick at least one category for the flag.")),
        (r(r"unknown categor"), lambda m: _("Pick categories from the list.")),
        (r(r"the comment is longer than (\d+) characters"),
         lambda m: _("The comment is longer than %(n)s characters.", n=m.group(1))),
        (r(r"rect .*not inside the image|rect needs numbers"), lambda m: _("The marked area is not inside the image.")),
        (r(r"mark an area \(rect\)"), lambda m: _("Mark an area on the image first.")),
        (r(r"restyle needs a prompt"), lambda m: _("Restyle needs a prompt.")),
        (r(r"tagline must be 1 to (\d+) characters"), lambda m: _("The tagline must be 1 to %(n)s characters.", n=m.group(1))),
        (r(r"cannot be decided: it is now"), lambda m: _("Someone else decided on this variant first; the page shows what they did.")),
        (r(r"cannot be undone|undo window"), lambda m: _("Too late to undo: reopen the variant instead.")),
        (r(r"cannot be reopened"), lambda m: _("Only an approved variant can be reopened.")),
        (r(r"does not exist"), lambda m: _("It does not exist any more.")),
        (r(r"has no approved variants to export"), lambda m: _("This campaign has no approved variants to export yet.")),
        (r(r"only failed exports can be retried"), lambda m: _("Only failed exports can be retried.")),
        (r(r"an export target named '(.*)' exists"), lambda m: _("A target named %(name)s exists already.", name=m.group(1))),
        (r(r"an s3 target needs options\.bucket"), lambda m: _("An S3 target needs a bucket.")),
        (r(r"give both secret_refs\.access_key_id"), lambda m: _("Give both access key variables, or neither.")),
        (r(r"a [\w-]+ target needs a url"), lambda m: _("This kind of target needs a URL.")),
        (r(r"a webhook target needs secret_refs\.secret"), lambda m: _("A webhook needs the variable that holds its signing secret.")),
        (r(r"secret_refs must name environment variables \(A-Z, 0-9, _\), got (.*)"),
         lambda m: _("Environment variable names use A-Z, 0-9 and _ (got %(name)s).", name=m.group(1))),
        (r(r"regions are two-letter codes; got (.*)"), lambda m: _("Regions are two-letter codes (got %(codes)s).", codes=m.group(1))),
        (r(r"unknown format"), lambda m: _("Pick formats from the list.")),
        (r(r"each line reads 'Header-Name: value', got (.*)"),
         lambda m: _("Each header line reads “Name: value” (got %(line)s).", line=m.group(1))),
        (r(r"url refused: host '(.*)' does not resolve"), lambda m: _("The URL's host %(host)s does not resolve.", host=m.group(1))),
        (r(r"url refused: host '(.*)' (is a cloud metadata service|resolves to .*metadata)"),
         lambda m: _("The URL's host %(host)s is a cloud metadata service.", host=m.group(1))),
        (r(r"url refused: host '(.*)' resolves to .*, (.*); refused"),
         lambda m: _("The URL's host %(host)s is a private or internal address; targets must be public.", host=m.group(1))),
        (r(r"url refused: scheme"), lambda m: _("The URL must start with https:// or http://.")),
        (r(r"url refused: credentials in the URL"), lambda m: _("Do not put credentials in the URL; name an environment variable.")),
        (r(r"url refused: (not a valid URL|the URL has no host)"), lambda m: _("This is not a valid URL.")),
        (r(r"public_base_url must be an http\(s\) URL"), lambda m: _("The public base URL must start with https:// or http://.")),
        (r(r"name: (Missing data for required field|Length must be)"), lambda m: _("Give the target a name (up to 80 characters).")),
        (r(r"the kind of a target cannot change"),
         lambda m: _("The kind of a target cannot change; create a new target instead.")),
        (r(r"kind must be one of|kind: Must be one of"), lambda m: _("Pick a kind of target from the list.")),
        (r(r"Missing data for required field"), lambda m: _("A required field is empty.")),
    ]


def ui_message(message: str) -> Markup:
    """The refusal as the reader should see it: translated when its shape is known."""
    for pattern, text in _rules():
        m = pattern.search(message)
        if m:
            return Markup(escape(text(m)))
    return Markup('{lead} <span lang="en" dir="ltr">{msg}</span>').format(
        lead=_("The server refused this:"), msg=message)
