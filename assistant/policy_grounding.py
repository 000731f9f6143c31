"""Policy grounding: retrieved help-center passages, preferring documents on the asked topic.

Replies quote the passage and cite its document id ([배송-02]); the passage text, not a
model, is the source of every policy fact.
"""

from __future__ import annotations

from typing import Sequence

from assistant.facts import PolicyFact


def ground_policy(retriever, policies: Sequence, query: str, topic: str | None = None,
                  k: int = 2) -> list[PolicyFact]:
    """Retrieved policy passages, preferring documents on the asked topic."""
    filters = None
    try:
        from retrieval import Filters

        filters = Filters(kinds=("policy",))
    except Exception:  # fall back to filtering hits by kind below
        filters = None
    by_id = {d.id: d for d in policies}
    hits = [h for h in (retriever.search(query, k=10, filters=filters) or []) if getattr(h, "kind", "") == "policy"]
    if topic:
        on_topic = [h for h in hits if _topic_of(by_id.get(h.id.split("#")[0]), h.id).startswith(topic[:2])]
        hits = on_topic + [h for h in hits if h not in on_topic]
    out: list[PolicyFact] = []
    for h in hits:
        fact = _passage(h, by_id)
        if fact and all(f.passage_id != fact.passage_id for f in out):
            out.append(fact)
        if len(out) >= k:
            break
    return out


def _topic_of(doc, hit_id: str) -> str:
    if doc is not None and getattr(doc, "category", ""):
        return doc.category + " " + doc.id
    return hit_id


def _passage(hit, by_id: dict) -> PolicyFact | None:
    """The hit's best passage with its section heading (hit ids may be `doc` or `doc#n`)."""
    doc = by_id.get(hit.id.split("#")[0])
    if doc is None:
        return None
    passage = getattr(hit, "passage", "") or ""
    sections = list(getattr(doc, "sections", ()) or ())
    heading, text = "", passage
    for head, body in sections:
        if body.strip() and body.strip()[:40] in passage:
            heading, text = head, body
            break
    else:
        if not passage and sections:
            heading, text = sections[0]
    passage_id = getattr(hit, "passage_id", "") or hit.id
    return PolicyFact(doc_id=doc.id, title=doc.title, heading=heading, text=_clip(text or doc.body),
                      passage_id=passage_id)


def _clip(text: str, limit: int = 400) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
