"""Policy Markdown: front matter, `##` sections, and clear errors for broken files."""

from __future__ import annotations

import pytest

from store.catalog import CatalogError, load_policies, parse_policy

DOC = """---
id: 배송-01
title: 배송 안내
category: 배송
---
# 배송 안내

## 배송비
기본 배송비는 3,000원입니다.
4만 원 이상 무료입니다.

## 새벽배송
밤 11시까지 주문하면 다음 날 아침 7시 전에 도착합니다.
"""


def test_parse_policy_sections():
    doc, errors = parse_policy(DOC)
    assert errors == []
    assert (doc.id, doc.title, doc.category) == ("배송-01", "배송 안내", "배송")
    assert doc.sections == (("배송비", "기본 배송비는 3,000원입니다.\n4만 원 이상 무료입니다."),
                            ("새벽배송", "밤 11시까지 주문하면 다음 날 아침 7시 전에 도착합니다."))
    assert doc.body.startswith("# 배송 안내")


@pytest.mark.parametrize("text, reason", [
    ("# 제목\n## 섹션\n내용\n", "missing front matter"),
    ("---\nid: 배송-01\ntitle: t\n", "not closed"),
    (DOC.replace("id: 배송-01", "id: delivery_1"), "policy id 'delivery_1' is not like 배송-01"),
    (DOC.replace("category: 배송\n", ""), "front matter lacks category"),
    (DOC.replace("## 새벽배송\n밤 11시까지 주문하면 다음 날 아침 7시 전에 도착합니다.\n", "## 새벽배송\n\n"),
     "section '새벽배송' is empty"),
    ("---\nid: 배송-01\ntitle: t\ncategory: c\n---\n본문만 있음\n", "no ## sections"),
    (DOC.replace("title: 배송 안내", "title 배송 안내"), "not key: value"),
])
def test_broken_policy_is_reported_with_line(text, reason):
    doc, errors = parse_policy(text, "x.md")
    assert doc is None
    assert any(reason in e and e.startswith("x.md:") for e in errors), errors


def test_load_policies_sorted_and_duplicate_ids(tmp_path):
    (tmp_path / "b.md").write_text(DOC.replace("배송-01", "배송-02"), "utf-8")
    (tmp_path / "a.md").write_text(DOC, "utf-8")
    assert [d.id for d in load_policies(tmp_path)] == ["배송-01", "배송-02"]
    (tmp_path / "c.md").write_text(DOC, "utf-8")
    with pytest.raises(CatalogError) as info:
        load_policies(tmp_path)
    assert info.value.errors == ["c.md:1: duplicate policy id 배송-01 (also in a.md)"]


def test_load_policies_missing_or_empty_dir(tmp_path):
    with pytest.raises(CatalogError, match="not a directory"):
        load_policies(tmp_path / "none")
    with pytest.raises(CatalogError, match="no policy documents"):
        load_policies(tmp_path)
