"""End-to-end evaluation of whole conversations: a JSONL suite of dialogues, run through the chat API.

* :mod:`.suite`: the format and its validation (line and field of each error);
* :mod:`.checks`: the ten check kinds, applied to the turn results the API returns;
* :mod:`.runner`: one new conversation per dialogue, over HTTP (in-process server or ``--url``);
* :mod:`.report`: the JSON summary's Markdown companion, for a shop owner;
* :mod:`.command`: ``shopassist evaluate dialogues``.
"""

from assistant.evaluation.dialogues.suite import CHECK_KINDS, Dialogue, Suite, SuiteError, load_suite, parse_suite

__all__ = ["CHECK_KINDS", "Dialogue", "Suite", "SuiteError", "load_suite", "parse_suite"]
