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
