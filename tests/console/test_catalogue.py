"""The Chinese catalogue is complete and compiled: no English leaks into the zh-CN console."""

from fundpool.console import catalogue


def test_every_console_string_is_in_the_catalogue_and_translated():
    catalog = catalogue.load()
    known = {message.id for message in catalog if message.id}
    missing = catalogue.source_messages() - known
    assert not missing, f"run python -m fundpool.console.catalogue, then translate: {missing}"
    untranslated = [message.id for message in catalog if message.id and not message.string]
    assert not untranslated
    assert not [message.id for message in catalog if message.id and message.fuzzy]


def test_the_compiled_catalogue_matches_its_source():
    assert catalogue.MO.read_bytes() == catalogue.compiled(catalogue.load()), \
        "run python -m fundpool.console.catalogue to compile messages.mo"


def test_english_shows_data_codes_as_words():
    english = catalogue.load(catalogue.EN_PO)
    codes = catalogue.code_words(catalogue.source_messages())
    assert codes and all(english.get(code) and english.get(code).string for code in codes)
    assert english.get("bank_transfer").string == "Bank transfer"
    assert catalogue.EN_MO.read_bytes() == catalogue.compiled(english)


def test_the_english_console_says_bank_transfer_not_its_code(app):
    from flask import render_template_string
    with app.test_request_context("/?lang=en"):
        assert render_template_string("{{ _('bank_transfer') }} / {{ _('admin') }}") == \
            "Bank transfer / Administrator"
    with app.test_request_context("/"):
        assert render_template_string("{{ _('bank_transfer') }}") == "银行转账"
