"""The help center's own vocabulary, read from its documents (data/policies/*.md).

A shopper who asks a store rule as a situation ("중1인데 혼자 가입할 수 있나요", "택배사에 제
정보 뭐 넘어가요?") often names no topic word of `lexicon.POLICY_TOPICS`; what the message does
name is a word the help center uses and the catalog does not sell (가입, 택배사, 해지, 수량).
`service_vocabulary()` is every noun the same analyzer that reads messages finds in the policy
documents' titles, headings and bodies, with the policy families (`policy_topic_of`) that use
it; `service_words(keywords, lexicon)` keeps the message's keywords that are such words and no
kind of product the catalog knows (a category or item name). Read once, on first use; importing
this module reads nothing.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path

from assistant.nlu.lexicon import Lexicon, policy_topic_of

_POLICY_DIR = Path(__file__).resolve().parents[2] / "data" / "policies"


@functools.lru_cache(maxsize=4)
def service_vocabulary(directory: str | None = None) -> dict[str, frozenset[str]]:
    """noun -> the policy topics whose documents use it (empty when the documents are absent)."""
    from assistant.nlu.keywords import analyze

    folder = Path(directory) if directory else _POLICY_DIR
    lexicon = Lexicon.default()
    found: dict[str, set[str]] = {}
    for file in sorted(folder.glob("*.md")) if folder.is_dir() else ():
        text = file.read_text(encoding="utf-8")
        m = re.search(r"^id:\s*(\S+)", text, re.MULTILINE)
        if not m:
            continue
        topic = policy_topic_of(m.group(1))
        body = re.sub(r"^---.*?---", " ", text, count=1, flags=re.DOTALL)
        for line in re.split(r"[\n.]", body):
            line = re.sub(r"[#>*|]", " ", line).strip().lower()
            if not line:
                continue
            words, _ = analyze(line, lexicon)
            for w in words:
                if len(w) >= 2:
                    found.setdefault(w, set()).add(topic)
    return {w: frozenset(t) for w, t in found.items()}


def _product_word(word: str, lexicon: Lexicon) -> bool:
    """A kind of product the catalog knows: a category segment or an item word, or a part of one."""
    if word in lexicon.brands:
        return True
    for item in lexicon.item_words():
        if word == item or len(word) >= 2 and (word in item or item in word):
            return True
    return any(word in path.split("/") for path in lexicon.category_paths())


def service_words(keywords, lexicon: Lexicon | None = None) -> tuple[str, ...]:
    """The keywords that are help-center words and not products.

    >>> service_words(["가입", "우유"])
    ('가입',)
    """
    vocab = service_vocabulary()
    lexicon = lexicon or Lexicon.default()
    return tuple(k for k in keywords if k in vocab and not _product_word(k, lexicon))
