"""Help-center documents: parse the hand-written source text and render Markdown files.

Source format (in policy_*.py): a document starts with "@id | title | category", then
"## heading" sections; lines starting with "? " are how customers ask about it (eval
queries), optionally "? query => other-id, ..." when more documents also answer it.
Files are named by an ASCII slug (`delivery-01.md`) so every filesystem keeps them stable.
"""

from __future__ import annotations

from dataclasses import dataclass

from store.datagen import policy_delivery, policy_members, policy_returns, policy_service

SLUGS = {"배송": "delivery", "주문": "order", "반품": "return", "교환": "exchange", "환불": "refund",
         "결제": "payment", "적립금": "points", "쿠폰": "coupon", "멤버십": "membership", "회원": "account",
         "개인정보": "privacy", "픽업": "pickup", "정기배송": "subscription", "선물": "gift",
         "고객센터": "support", "알레르기": "allergy", "키오스크": "kiosk", "상품": "product"}


@dataclass(frozen=True)
class PolicySource:
    id: str
    title: str
    category: str
    sections: tuple[tuple[str, str], ...]
    queries: tuple[tuple[str, tuple[str, ...]], ...]  # (query, relevant ids)

    @property
    def filename(self) -> str:
        prefix, number = self.id.rsplit("-", 1)
        return f"{SLUGS[prefix]}-{number}.md"


def parse_source(text: str) -> list[PolicySource]:
    docs: list[PolicySource] = []
    head: list[str] | None = None
    sections: list[list[str]] = []
    queries: list[tuple[str, tuple[str, ...]]] = []

    def flush() -> None:
        if head:
            docs.append(PolicySource(head[0], head[1], head[2],
                                     tuple((s[0], "\n".join(s[1:]).strip()) for s in sections),
                                     tuple(queries)))

    for line in text.strip().splitlines():
        if line.startswith("@"):
            flush()
            head = [p.strip() for p in line[1:].split("|")]
            sections, queries = [], []
        elif line.startswith("## "):
            sections.append([line[3:].strip()])
        elif line.startswith("? "):
            query, _, extra = line[2:].partition("=>")
            ids = (head[0],) + tuple(x.strip() for x in extra.split(",") if x.strip())
            queries.append((query.strip(), ids))
        elif sections:
            sections[-1].append(line)
    flush()
    return docs


POLICIES: list[PolicySource] = [doc for module in (policy_delivery, policy_returns, policy_members, policy_service)
                                for doc in parse_source(module.TEXT)]


def render_policy(doc: PolicySource) -> str:
    """Markdown with front matter; one `##` section per retrieval chunk."""
    parts = [f"---\nid: {doc.id}\ntitle: {doc.title}\ncategory: {doc.category}\n---\n", f"# {doc.title}\n"]
    parts += [f"## {heading}\n{body}\n" for heading, body in doc.sections]
    return "\n".join(parts)
